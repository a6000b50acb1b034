import Glibc

/// A quick first list of namespaces for ``MachinePeerMap/discover(options:threads:)``: the names
/// under the run directories and every process's /proc/PID/ns/net (one readlink each), so the
/// scan's workers can start while the full discovery (threads, descriptors, mounts in other
/// mount namespaces, owners) runs. Only ids and open paths; the map's namespaces are discovery's.
enum MachineScanPrepass {
    static func namespaces(_ options: NamespaceInventory.Options) -> [DiscoveredNamespace] {
        var st = stat()
        guard stat("/proc/self/ns/net", &st) == 0 else { return [] }
        let device = UInt64(st.st_dev)
        var out: [DiscoveredNamespace] = []
        var index: [UInt64: Int] = [:]
        func add(_ inode: UInt64, _ path: String) {
            if let i = index[inode] { out[i].openPaths.append(path); return }
            index[inode] = out.count
            out.append(DiscoveredNamespace(id: NamespaceID(device: device, inode: inode), openPaths: [path]))
        }
        if let me = ProcFiles.linkedNamespace("/proc/thread-self/ns/net", type: "net") { add(me, "/proc/self/ns/net") }
        for dir in NamedNamespaces.distinctDirectories(options.runDirectories) {
            guard let d = opendir(dir) else { continue }
            defer { closedir(d) }
            while let e = readdir(d) {
                let n = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
                if n == "." || n == ".." { continue }
                let path = "\(dir)/\(n)"
                if stat(path, &st) == 0, UInt64(st.st_dev) == device { add(UInt64(st.st_ino), path) }
            }
        }
        for pid in ProcFiles.numericEntries("/proc") ?? [] {
            let path = "/proc/\(pid)/ns/net"
            if let ino = ProcFiles.linkedNamespace(path, type: "net") { add(ino, path) }
        }
        return out
    }
}
