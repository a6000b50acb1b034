import Glibc
import VethKit

/// One problem in a topology file, at a line and column (1-based). Long quoted values in the
/// message are shortened and control characters escaped, so one error is one readable line.
public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = SchemaError.readable(message)
    }
    public var line: Int { location.line }
    public var column: Int { location.column }
    /// `file:line:column: message`
    public var description: String { "\(location): \(message)" }

    /// `message` with each "quoted" value longer than ``TopologyLimits/quotedValueLength``
    /// shortened to its start, "…" and its length, and control characters written as `\xNN`.
    static func readable(_ message: String) -> String {
        let limit = TopologyLimits.quotedValueLength
        let parts = message.split(separator: "\"", omittingEmptySubsequences: false)
        guard parts.count > 2 || longer(message, than: 4 * limit) else { return message.terminalEscaped() }
        var out: [String] = []
        for (i, part) in parts.enumerated() {
            // Odd parts sit between quotes (an unbalanced last one too).
            if i % 2 == 1, longer(part, than: limit) {
                out.append("\(part.prefix(limit / 2))… (\(characters(part)) characters)")
            } else {
                out.append(String(part))
            }
        }
        var text = out.joined(separator: "\"")
        if longer(text, than: 8 * limit) { text = "\(text.prefix(8 * limit))… (\(characters(text)) characters)" }
        return text.terminalEscaped()
    }

    /// `s.count > n`, without counting the characters of a short text (never more than its bytes).
    static func longer<S: StringProtocol>(_ s: S, than n: Int) -> Bool {
        s.utf8.count > n && characters(s) > n
    }

    /// `s.count`; for ASCII (each byte one character) without Unicode's grapheme rules, which cost
    /// seconds on a value of megabytes.
    static func characters<S: StringProtocol>(_ s: S) -> Int {
        s.utf8.allSatisfy({ $0 < 0x80 && $0 != 0x0d }) ? s.utf8.count : s.count
    }
}

/// Every problem found in a topology file, in file order. Nothing is created when a file has any.
/// Printed, at most ``TopologyLimits/reportedErrors`` lines and then "… and N more".
public struct SchemaErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [SchemaError]
    /// Errors found but not kept (beyond ``TopologyLimits/storedErrors``).
    public var omitted: Int
    public init(_ errors: [SchemaError], omitted: Int = 0) {
        self.errors = errors
        self.omitted = omitted
    }
    /// The total number of problems found.
    public var count: Int { errors.count + omitted }

    /// The lines to print, each with `prefix`: the first ``TopologyLimits/reportedErrors``, then
    /// `… and N more errors` when there were more.
    public func lines(prefix: String = "") -> [String] {
        var out = errors.prefix(TopologyLimits.reportedErrors).map { prefix + $0.description }
        let more = count - out.count
        if more > 0 { out.append("\(prefix)… and \(more) more error\(more == 1 ? "" : "s")") }
        return out
    }

    public var description: String { lines().joined(separator: "\n") }
}

extension Topology {
    /// Reads and validates a topology file. Throws ``SchemaErrors`` (every problem, with
    /// file:line:column) or ``InvalidInput`` naming the file when it cannot be read, is larger
    /// than ``TopologyLimits/maxFileBytes`` or is not UTF-8.
    public static func load(_ path: String) throws -> Topology {
        let bytes = try readBounded(path)
        return try parse(bytes: bytes, file: path)
    }

    /// Parses and validates the bytes of a topology file: refused (with line:column) when they
    /// are not UTF-8, nest too deep or expand too far (``TopologyLimits``).
    public static func parse(bytes: [UInt8], file: String = "<string>") throws -> Topology {
        guard bytes.count <= TopologyLimits.maxFileBytes else {
            throw InvalidInput("topology file", file, "is larger than \(TopologyLimits.maxFileBytes) bytes (the limit for a topology file)")
        }
        if let bad = firstInvalidUTF8(bytes) {
            throw SchemaErrors([SchemaError(SourceLocation(file: file, line: bad.line, column: bad.column),
                                            "invalid UTF-8 (byte 0x\(String(bad.byte, radix: 16)))")])
        }
        return try parse(String(decoding: bytes, as: UTF8.self), file: file)
    }

    /// Parses and validates YAML text. `file` names it in error messages.
    public static func parse(_ text: String, file: String = "<string>") throws -> Topology {
        var text = text
        guard text.utf8.count <= TopologyLimits.maxFileBytes else {
            throw InvalidInput("topology file", file, "is larger than \(TopologyLimits.maxFileBytes) bytes (the limit for a topology file)")
        }
        func at(_ line: Int, _ column: Int, _ message: String) -> SchemaErrors {
            SchemaErrors([SchemaError(SourceLocation(file: file, line: line, column: column), message)])
        }
        let root: YAMLNode? = try text.withUTF8 { bytes in
            if let bad = YAMLText.firstForbiddenCharacter(bytes) {
                throw at(bad.line, bad.column, "YAML syntax: control characters are not allowed (\(unicodeName(bad.scalar)))")
            }
            do {
                return try YAMLLoader.load(bytes)
            } catch let p as YAMLProblem {
                throw at(p.line, p.column, p.message)
            }
        }
        guard let root else {
            throw at(1, 1, "empty file: expected a mapping with name, nodes and links")
        }
        var p = TopologyParser(file: file)
        let topo = p.parseRoot(root)
        if !p.errors.isEmpty || topo == nil {
            throw SchemaErrors(p.errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) }, omitted: p.omitted)
        }
        return topo!
    }

    /// `U+001B`: four hex digits at least, as Unicode writes code points.
    static func unicodeName(_ scalar: UInt32) -> String {
        let hex = String(scalar, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// The file's bytes, at most ``TopologyLimits/maxFileBytes`` (a FIFO or /dev/zero is refused
    /// once past the limit, not read forever).
    static func readBounded(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InvalidInput("topology file", path, "cannot be read (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        do {
            return try BoundedRead.all(fd, limit: TopologyLimits.maxFileBytes)
        } catch is BoundedRead.TooLarge {
            throw InvalidInput("topology file", path, "is larger than \(TopologyLimits.maxFileBytes) bytes (the limit for a topology file)")
        } catch let e as SystemCallError {
            throw InvalidInput("topology file", path, "cannot be read (\(String(cString: strerror(e.errno.rawValue))))")
        }
    }
}
