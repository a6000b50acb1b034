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
    }

    /// The largest batch input read (bytes): ~250,000 typical lines. Past it, one error and nothing runs.
    static let maxInputBytes = 16 << 20

    func run() throws {
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
                    command = parsed
                } else {
                    throw UsageError("\"\(raw.terminalEscaped())\" is not a command that can run in a batch")
                }
                try command.check()
                lines.append(Line(number: number, namespace: ns, command: command))
            } catch {
                _ = Main.report(error, prefix: "\(path):\(number): ")
                failures += 1
            }
        }
        if failures > 0 { throw BatchFailed(count: failures, status: .badInput) }
        for line in lines {
            Context.shared.defaultNamespace = line.namespace
            do {
                try line.command.execute(Context.shared)
            } catch {
                _ = Main.report(error, prefix: "\(path):\(line.number): ")
                failures += 1
                if !force { break }
            }
        }
        Context.shared.defaultNamespace = outer
        if failures > 0 { throw BatchFailed(count: failures, status: .refused) }
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
