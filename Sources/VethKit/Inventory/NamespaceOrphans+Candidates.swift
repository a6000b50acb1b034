import Glibc

extension NamespaceOrphans {
    /// The namespaces mounted at a runtime's place in the caller's mount namespace, each with
    /// every mount of it there, its names and whether a process is in it or holds it: what the
    /// rule needs, when a whole-machine discovery (``NamespaceInventory/discover(options:)``,
    /// which also sees mounts in other mount namespaces) is not wanted. A mount shadowed by a
    /// later one at the same path (its path now opens something else) is left out.
    public static func callersMountCandidates(procRoot: String = "/proc") -> [DiscoveredNamespace] {
        var byInode: [UInt64: [String]] = [:]
        for m in callersNamespaceMounts() { byInode[m.inode, default: []].append(m.path) }
        let me = ProcFiles.identity("\(procRoot)/thread-self/ns/net").map { NamespaceID(device: $0.0, inode: $0.1) }
        var out: [DiscoveredNamespace] = []
        for (inode, paths) in byInode.sorted(by: { $0.key < $1.key }) {
            guard paths.contains(where: { RuntimeNamespacePaths.classify($0) != .other }) else { continue }
            var id: NamespaceID?
            var mounts: [NamespaceMount] = []
            for p in Set(paths).sorted() {
                var st = stat()
                guard lstat(p, &st) == 0, UInt64(st.st_ino) == inode else { continue }   // shadowed or gone
                id = NamespaceID(device: UInt64(st.st_dev), inode: inode)
                mounts.append(NamespaceMount(path: p, mountNamespace: 0, viaPID: getpid(), isInCallersMountNamespace: true))
            }
            guard let id, !mounts.isEmpty else { continue }
            let holders = NamespaceHolders.find(id, procRoot: procRoot)
            let names = mounts.compactMap { m -> NamespaceName? in
                guard m.path.hasPrefix(NetworkNamespace.runDirectory + "/") else { return nil }
                return try? NamespaceName(String(m.path.dropFirst(NetworkNamespace.runDirectory.count + 1)))
            }
            out.append(DiscoveredNamespace(id: id, names: names, mounts: mounts, processes: holders,
                                           memberCount: holders.filter { !isFD($0.hold) }.count,
                                           holderCount: holders.filter { isFD($0.hold) }.count,
                                           isCallers: id == me, openPaths: mounts.map(\.path)))
        }
        return out
    }

    static func isFD(_ h: NamespaceProcess.Hold) -> Bool {
        if case .fileDescriptor = h { return true }
        return false
    }
}
