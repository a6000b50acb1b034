/// Named network namespaces (iproute2's): nsfs mounts directly under a run directory
/// (/run/netns, /var/run/netns when that is another place) in the caller's mount namespace. They
/// are taken from the caller's mountinfo, already read for its mounts: no stat per name.
enum NamedNamespaces {
    /// The run directories that are distinct places (by the identity of the directory when it
    /// exists; a missing one is kept by its path), without a trailing slash.
    static func distinctDirectories(_ directories: [String]) -> [String] {
        var seen: [(UInt64, UInt64)] = []
        var out: [String] = []
        for raw in directories {
            var d = raw
            while d.count > 1 && d.hasSuffix("/") { d.removeLast() }
            if out.contains(d) { continue }
            if let id = ProcFiles.identity(d) {
                if seen.contains(where: { $0 == id }) { continue }
                seen.append(id)
            }
            out.append(d)
        }
        return out
    }

    /// The name a mount point gives when it is `DIR/NAME` for one of `directories`.
    static func name(ofMountPoint path: String, directories: [String]) -> NamespaceName? {
        for d in directories {
            let prefix = d == "/" ? "/" : d + "/"
            guard path.hasPrefix(prefix) else { continue }
            let rest = path.dropFirst(prefix.count)
            if rest.isEmpty || rest.contains("/") { continue }
            return try? NamespaceName(String(rest))
        }
        return nil
    }
}
