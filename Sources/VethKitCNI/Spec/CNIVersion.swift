import VethKitJSON
/// CNI specification versions this plugin speaks, and the negotiation rules.
public enum CNIVersion {
    /// Every version we accept in a configuration, oldest first.
    public static let supported = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]
    /// The newest.
    public static let latest = "1.1.0"

    /// Parses `major.minor.patch` into a comparable triple; nil when it is not one.
    public static func parse(_ v: String) -> (Int, Int, Int)? {
        let parts = v.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var n: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.utf8.count <= 6, p.allSatisfy({ $0.isASCII && $0.isNumber }), let i = Int(p) else { return nil }
            n.append(i)
        }
        return (n[0], n[1], n[2])
    }

    /// True when `v` is at least `min` (both valid versions).
    public static func atLeast(_ v: String, _ min: String) -> Bool {
        guard let a = parse(v), let b = parse(min) else { return false }
        return a >= b
    }

    /// Checks that a configuration's `cniVersion` is supported; throws code 1 otherwise.
    public static func check(_ v: String?) throws -> String {
        guard let v, !v.isEmpty else {
            throw CNIError(.incompatibleVersion, "incompatible CNI version: the configuration has no cniVersion (meaning 0.1.0)",
                           details: "supported versions: \(supported.joined(separator: ", "))")
        }
        guard supported.contains(v) else {
            throw CNIError(.incompatibleVersion, "incompatible CNI version \"\(v)\"",
                           details: "supported versions: \(supported.joined(separator: ", "))")
        }
        return v
    }

    /// The answer to the VERSION command. `requested` is the cniVersion the runtime sent on
    /// stdin (if any): the answer echoes it when we support it.
    public static func versionInfo(requested: String?) -> JSON {
        let v = requested.flatMap { supported.contains($0) ? $0 : nil } ?? latest
        return ["cniVersion": .string(v), "supportedVersions": .array(supported.map { .string($0) })]
    }
}
