import ArgumentParser
import Glibc
import VethKit

/// `vethctl --batch FILE`: one command per line, in one process, like `ip -batch`. Every line is
/// parsed and checked before the first one runs, so a typo on line 900 creates nothing; errors
/// name their line. Without --force the first failing line stops the batch.
struct BatchRunner {
    var path: String
    var force: Bool

    struct Line {
        var number: Int
        var namespace: String?
        var command: any CommandAction
        /// The same line when it is a `link impair`: such lines go to the kernel together.
        var impair: LinkImpairAction?
    }

    /// The largest batch input read (bytes): ~250,000 typical lines. Past it, one error and nothing runs.
    static let maxInputBytes = 16 << 20

    func run() throws {
        var clock = Timings()
        let input = try readInput()
        // `vethctl -n NS --batch FILE`: NS is every line's namespace unless the line names its own.
        let outer = Context.shared.defaultNamespace
        var lines: [Line] = []
        var failures = 0
        for (i, rawBytes) in Self.lines(of: input).enumerated() {
            let number = i + 1
            do {
                if let bad = firstInvalidUTF8(rawBytes) {
                    throw UsageError("invalid UTF-8 (byte 0x\(String(bad.byte, radix: 16)) at column \(bad.column))")
                }
                let raw = String(decoding: rawBytes, as: UTF8.self)
                var words = try Self.words(of: raw[...])
                if words.isEmpty { continue }
                if words.first == "vethctl" { words.removeFirst() }
                let ns = try Main.takeLeadingNamespace(&words) ?? outer
                Context.shared.defaultNamespace = ns
                let command: any CommandAction
                if let fast = BatchFastPath.parse(words, namespace: ns) {
                    command = fast
                } else if let parsed = try VethCtl.parseAsRoot(words) as? any VethCommand {
                    // `link impair` is batchable; its namespace is resolved now, with the line's.
                    command = (parsed as? LinkCommand.Impair)?.action ?? parsed
                } else {
                    throw UsageError("\"\(raw.terminalEscaped())\" is not a command that can run in a batch")
                }
                var impair = command as? LinkImpairAction
                if impair != nil { try impair!.prepare() } else { try command.check() }
                lines.append(Line(number: number, namespace: ns, command: impair ?? command, impair: impair))
            } catch {
                _ = Main.report(error, prefix: "\(path):\(number): ")
                failures += 1
            }
        }
        if failures > 0 { throw BatchFailed(count: failures, status: .badInput) }
        clock.mark("read+check \(lines.count) lines")
        if let refusal = preflight(lines) {
            _ = Main.report(refusal.error, prefix: "\(path):\(refusal.line): ")
            throw BatchFailed(count: 1, status: .refused)
        }
        defer {
            clock.mark("run")
            clock.report()
        }
        Context.shared.inBatch = true
        defer { Context.shared.inBatch = false }
        var next = 0
        while next < lines.count {
            let line = lines[next]
            // Consecutive impair lines of one namespace: one NetworkBatch (a few sendmsg).
            if let first = line.impair {
                var end = next + 1
                while end < lines.count, let b = lines[end].impair, b.namespace == first.namespace { end += 1 }
                if end - next > 1 {
                    failures += runTogether(lines[next..<end])
                    next = end
                    if failures > 0 && !force { break }
                    continue
                }
            }
            Context.shared.defaultNamespace = line.namespace
            do {
                try line.command.execute(Context.shared)
            } catch {
                _ = Main.report(error, prefix: "\(path):\(line.number): ")
                failures += 1
                if !force { break }
            }
            next += 1
        }
        Context.shared.defaultNamespace = outer
        if failures > 0 { throw BatchFailed(count: failures, status: .refused) }
    }

    /// What the whole batch needs from the kernel before any line runs: a batch with a line
    /// that needs a qdisc kind this kernel lacks (netem) is refused with one message, nothing run.
    /// The kernel is asked once per kind.
    func preflight(_ lines: [Line]) -> (line: Int, error: Error)? {
        var asked: Set<String> = []
        var seedChecked = false
        for line in lines {
            guard let impair = line.impair, let kind = impair.qdiscKind else { continue }
            if !asked.contains(kind) {
                asked.insert(kind)
                if let missing = impair.missingQdiscKind() {
                    return (line.number, CommandError(context: impair.stepName, underlying: missing))
                }
            }
            // A seed the kernel would ignore (before Linux 6.6) is refused by VethKit when the line
            // runs; refuse the whole batch for it instead, before anything runs.
            if !seedChecked, impair.parsed?.seed != nil {
                seedChecked = true
                if !TrafficControl.supportsNetemSeed {
                    return (line.number, CommandError(context: impair.stepName, underlying: TrafficControlUnsupported(
                        feature: "netem seed", reason: "TCA_NETEM_PRNG_SEED needs Linux 6.6 or later (older kernels ignore it)")))
                }
            }
        }
        return nil
    }

    /// Runs `run` (impair lines of one namespace) as one ``NetworkBatch`` and reports each
    /// refused line with its number; returns how many failed. When the batch cannot be sent at all
    /// (a link that does not exist, a qdisc that is not VethKit's: found before anything is
    /// sent), the lines run one by one instead, so each error names its own line and, without
    /// --force, the lines after it do not run, as for any other line. A refusal by the kernel
    /// itself does not stop the other lines sent with it.
    func runTogether(_ run: ArraySlice<Line>) -> Int {
        let namespace = run.first!.namespace
        Context.shared.defaultNamespace = namespace
        var batch = NetworkBatch()
        let results: [Result<Void, KernelError>]
        do {
            let handle = try Context.shared.handle(run.first!.impair!.namespace)
            // Names to indexes, an ioctl each (a link dump of a big namespace costs more than
            // the requests); a missing link makes the run go line by line, which names it.
            let indexes = try handle.linkIndexes(run.map { try InterfaceName($0.impair!.name) })
            for (line, index) in zip(run, indexes) {
                guard let index else { throw NotFound.link(line.impair!.name) }
                try line.impair!.add(to: &batch, link: .index(index))
            }
            results = try handle.perform(batch)
            guard results.count == run.count else { throw UsageError("internal: \(results.count) results for \(run.count) lines") }
        } catch {
            var failures = 0
            for line in run {
                do { try line.command.execute(Context.shared) } catch {
                    _ = Main.report(error, prefix: "\(path):\(line.number): ")
                    failures += 1
                    if !force { break }
                }
            }
            return failures
        }
        var failures = 0
        for (line, result) in zip(run, results) {
            guard case .failure(let e) = result else { continue }
            let name = line.impair!.stepName
            _ = Main.report(CommandError(context: name, underlying: e), prefix: "\(path):\(line.number): ")
            failures += 1
        }
        return failures
    }

    /// The input's lines as bytes: split at LF, a CR before it dropped (CRLF files work). A
    /// String would not do: Swift takes "\r\n" as one character, so it never splits there.
    static func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
    }

    /// Reads the whole input, at most ``maxInputBytes`` (so /dev/zero or an endless pipe is one error).
    func readInput() throws -> [UInt8] {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw CommandError(context: "--batch \(path)", underlying: SystemCallError("open", .current)) }
        defer { if fd != 0 { close(fd) } }
        do {
            return try BoundedRead.all(fd, limit: Self.maxInputBytes)
        } catch is BoundedRead.TooLarge {
            throw UsageError("--batch \(path): larger than \(Self.maxInputBytes) bytes (the limit for a batch input)")
        } catch let e as SystemCallError {
            throw CommandError(context: "--batch \(path)", underlying: e)
        }
    }

    /// Splits a line into words: blanks separate, '…' and "…" quote, backslash escapes, # starts a comment.
    static func words(of line: Substring) throws -> [String] {
        // Byte-wise: every delimiter is ASCII, and UTF-8 never uses ASCII bytes inside other characters.
        var words: [String] = []
        var current: [UInt8] = []
        var inWord = false
        var quote: UInt8?
        var escaped = false
        for c in line.utf8 {
            if escaped { current.append(c); escaped = false; inWord = true; continue }
            if let q = quote {
                if c == q { quote = nil } else if c == UInt8(ascii: "\\") && q == UInt8(ascii: "\"") { escaped = true } else { current.append(c) }
                continue
            }
            switch c {
            case UInt8(ascii: "\\"): escaped = true
            case UInt8(ascii: "'"), UInt8(ascii: "\""): quote = c; inWord = true
            case UInt8(ascii: "#") where !inWord: return words
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                if inWord { words.append(String(decoding: current, as: UTF8.self)); current.removeAll(keepingCapacity: true); inWord = false }
            default: current.append(c); inWord = true
            }
        }
        if quote != nil { throw UsageError("unterminated quote") }
        if inWord { words.append(String(decoding: current, as: UTF8.self)) }
        return words
    }
}

/// The batch had failing lines (each already reported).
struct BatchFailed: Error, CustomStringConvertible {
    var count: Int
    var status: ExitStatus
    var description: String { "\(count) line\(count == 1 ? "" : "s") failed" }
}

/// `VETHKIT_TIMINGS=1`: the batch's phases on standard error (`timings: read+check 1000 lines 4.1 ms, run 20.3 ms`).
struct Timings {
    private var last = monotonicSeconds()
    private var marks: [String] = []
    static let requested: Bool = { getenv("VETHKIT_TIMINGS").map { String(cString: $0) == "1" } ?? false }()

    mutating func mark(_ what: String) {
        guard Self.requested else { return }
        let now = monotonicSeconds()
        marks.append("\(what) \(Int((now - last) * 1_000_000)) us")
        last = now
    }

    func report() {
        if Self.requested, !marks.isEmpty { warn("timings: " + marks.joined(separator: ", ")) }
    }
}
