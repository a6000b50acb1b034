import VethKit

/// The CNI verbs.
public enum CNICommand: String, Sendable, CaseIterable {
    case add = "ADD", del = "DEL", check = "CHECK", version = "VERSION", status = "STATUS", gc = "GC"
}

/// The CNI_* environment of one invocation, validated before anything uses it: a container id or
/// interface name never reaches a file path or the kernel unchecked.
public struct CNIEnvironment: Sendable, Equatable {
    public var command: CNICommand
    /// CNI_CONTAINERID (ADD, DEL, CHECK).
    public var containerID: String?
    /// CNI_NETNS: the path of the container's network namespace (ADD, CHECK; validated only there).
    public var netns: String?
    /// CNI_IFNAME: the interface name inside the container.
    public var ifname: String?
    /// CNI_ARGS parsed as `K=V;K2=V2`.
    public var args: [(String, String)]
    /// CNI_PATH split on `:`.
    public var path: [String]
    /// The variables we were given (the executable passes the CNI_* ones); a delegate gets the
    /// process environment with these on top.
    public var raw: [String: String]

    public static func == (a: Self, b: Self) -> Bool {
        a.command == b.command && a.containerID == b.containerID && a.netns == b.netns && a.ifname == b.ifname
            && a.args.map { "\($0.0)=\($0.1)" } == b.args.map { "\($0.0)=\($0.1)" } && a.path == b.path
    }

    /// Parses and validates; throws ``CNIError`` code 4 (invalid environment) naming the variable.
    public init(_ env: [String: String]) throws {
        raw = env
        guard let c = env["CNI_COMMAND"], !c.isEmpty else {
            throw CNIError(.invalidEnvironment, "CNI_COMMAND is not set",
                           details: "expected one of \(CNICommand.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let cmd = CNICommand(rawValue: c) else {
            throw CNIError(.invalidEnvironment, "unknown CNI_COMMAND \"\(c.cniEscaped)\"",
                           details: "expected one of \(CNICommand.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        command = cmd
        func value(_ k: String) -> String? { env[k].flatMap { $0.isEmpty ? nil : $0 } }

        let needsAttachment = cmd == .add || cmd == .del || cmd == .check
        containerID = value("CNI_CONTAINERID")
        ifname = value("CNI_IFNAME")
        netns = value("CNI_NETNS")
        if needsAttachment {
            guard let id = containerID else { throw CNIError(.invalidEnvironment, "CNI_CONTAINERID is not set") }
            try CNIEnvironment.validateContainerID(id)
            guard let i = ifname else { throw CNIError(.invalidEnvironment, "CNI_IFNAME is not set") }
            do { try InterfaceName.validate(i) } catch let e as InvalidInput {
                throw CNIError(.invalidEnvironment, "invalid CNI_IFNAME \"\(i.cniEscaped)\": \(e.reason)")
            }
        }
        if cmd == .add || cmd == .check {
            guard let n = netns else { throw CNIError(.invalidEnvironment, "CNI_NETNS is not set") }
            try CNIEnvironment.validateNetnsPath(n)
        }
        // DEL never opens CNI_NETNS and never reads CNI_ARGS (see Deletion): they are not checked,
        // so a DEL after an ADD refused for one of them succeeds.
        args = cmd == .del ? ((try? CNIEnvironment.parseArgs(env["CNI_ARGS"] ?? "")) ?? []) : try CNIEnvironment.parseArgs(env["CNI_ARGS"] ?? "")
        path = (env["CNI_PATH"] ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
        if cmd == .gc && path.isEmpty {
            throw CNIError(.invalidEnvironment, "CNI_PATH is not set", details: "GC requires CNI_PATH")
        }
    }

    /// Container ids: the spec's grammar (alphanumeric first, then alphanumerics, `_`, `.`, `-`),
    /// at most 512 bytes. That keeps them out of any path trouble (`/`, `..` at the start, NUL).
    public static func validateContainerID(_ id: String) throws {
        try validateSpecIdentifier(id, maxBytes: 512) { CNIError(.invalidEnvironment, "invalid CNI_CONTAINERID \"\(id.cniEscaped)\": \($0)") }
    }

    /// The spec's identifier grammar (container ids, network names): a letter or digit first, then
    /// letters, digits, `_`, `.`, `-`; at most `maxBytes`. `error` builds the refusal from the reason.
    static func validateSpecIdentifier(_ s: String, maxBytes: Int, error: (String) -> CNIError) throws {
        let u = Array(s.utf8)
        if u.isEmpty { throw error("empty") }
        if u.count > maxBytes { throw error("longer than \(maxBytes) bytes") }
        guard u[0].isAlnum else { throw error("must start with a letter or digit") }
        for b in u where !(b.isAlnum || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")) {
            throw error("may contain only letters, digits, '_', '.' and '-' (found \(b == 0 ? "NUL" : "'\(UnicodeScalar(b).escaped(asASCII: true))'"))")
        }
    }

    /// CNI_NETNS must be an absolute path without NUL, `..` components or newlines.
    public static func validateNetnsPath(_ p: String) throws {
        func bad(_ why: String) -> CNIError { CNIError(.invalidEnvironment, "invalid CNI_NETNS \"\(p.cniEscaped)\": \(why)") }
        if !p.hasPrefix("/") { throw bad("must be an absolute path") }
        if p.utf8.count > 4095 { throw bad("longer than PATH_MAX") }
        if p.utf8.contains(0) { throw bad("contains NUL") }
        if p.utf8.contains(where: { $0 < 0x20 }) { throw bad("contains control characters") }
        if p.split(separator: "/").contains("..") { throw bad("contains a '..' component") }
    }

    /// `K=V;K2=V2`. Empty pieces are skipped; a piece without `=` or with an empty key is refused.
    public static func parseArgs(_ s: String) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for piece in s.split(separator: ";", omittingEmptySubsequences: true) {
            guard let eq = piece.firstIndex(of: "="), eq != piece.startIndex else {
                throw CNIError(.invalidEnvironment, "invalid CNI_ARGS \"\(s.cniEscaped)\"",
                               details: "\"\(String(piece).cniEscaped)\" is not KEY=VALUE")
            }
            out.append((String(piece[..<eq]), String(piece[piece.index(after: eq)...])))
        }
        return out
    }
}

extension UInt8 {
    var isAlnum: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

extension String {
    /// The string with control characters escaped, cut at 200 characters, for error messages.
    var cniEscaped: String { cniEscaped(max: 200) }

    /// The string with control characters escaped, cut at `max` characters.
    func cniEscaped(max: Int) -> String {
        if utf8.count <= max && !utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) { return self }
        var out = ""
        for (i, s) in unicodeScalars.enumerated() {
            if i >= max { out += "…"; break }
            if s.value < 0x20 || s.value == 0x7f { out += "\\u{\(String(s.value, radix: 16))}" } else { out.unicodeScalars.append(s) }
        }
        return out
    }
}
