/// Where container runtimes bind-mount the network namespaces they make (docs/orphans.md): the
/// only places an orphaned namespace may be found. A path anywhere else — any other /run/netns
/// entry above all — is a user's, and never an orphan.
public enum RuntimeNamespacePaths {
    /// One place: a directory (with `*` standing for one path component of digits: a uid) and a
    /// file name prefix.
    public struct Pattern: Sendable, Hashable {
        public var runtime: String
        public var directory: String
        public var namePrefix: String
    }

    /// The patterns, in the order they are tried.
    public static let patterns: [Pattern] = [
        Pattern(runtime: "docker", directory: "/run/docker/netns", namePrefix: ""),
        Pattern(runtime: "docker", directory: "/var/run/docker/netns", namePrefix: ""),
        Pattern(runtime: "cni", directory: "/run/netns", namePrefix: "cni-"),
        Pattern(runtime: "cni", directory: "/var/run/netns", namePrefix: "cni-"),
        Pattern(runtime: "podman", directory: "/run/netns", namePrefix: "netns-"),
        Pattern(runtime: "podman", directory: "/var/run/netns", namePrefix: "netns-"),
        Pattern(runtime: "podman-rootless", directory: "/run/user/*/netns", namePrefix: ""),
        Pattern(runtime: "containerd", directory: "/run/containerd/netns", namePrefix: ""),
        Pattern(runtime: "containerd", directory: "/var/run/containerd/netns", namePrefix: ""),
    ]

    /// What `path` is, judged by its text alone.
    public enum Verdict: Sendable, Hashable {
        /// A runtime's mount point: the runtime and the file name (the runtime's id for it).
        case runtime(String, name: String)
        /// A runtime's directory, but a name no runtime makes (control characters, `..`, other
        /// bytes): never judged an orphan, reported.
        case oddName(String)
        /// Not a runtime's place (a user's).
        case other
    }

    /// The verdict for an absolute mount path.
    public static func classify(_ path: String) -> Verdict {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return .other }
        let dir = String(path[path.startIndex..<slash])
        let name = String(path[path.index(after: slash)...])
        for p in patterns where matches(directory: dir, pattern: p.directory) && name.hasPrefix(p.namePrefix) {
            guard isRuntimeName(name), name.utf8.count > p.namePrefix.utf8.count else { return .oddName(p.runtime) }
            return .runtime(p.runtime, name: name)
        }
        return .other
    }

    /// Names runtimes make: 1…128 bytes of letters, digits, `_`, `-`, `.`, not starting with `.`.
    public static func isRuntimeName(_ name: String) -> Bool {
        let b = Array(name.utf8)
        guard !b.isEmpty, b.count <= 128, b[0] != UInt8(ascii: ".") else { return false }
        return b.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a)
            || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    static func matches(directory: String, pattern: String) -> Bool {
        let d = directory.split(separator: "/", omittingEmptySubsequences: false)
        let p = pattern.split(separator: "/", omittingEmptySubsequences: false)
        guard d.count == p.count else { return false }
        for (a, b) in zip(d, p) {
            if b == "*" {
                guard !a.isEmpty, a.utf8.count <= 10, a.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            } else if a != b { return false }
        }
        return true
    }
}
