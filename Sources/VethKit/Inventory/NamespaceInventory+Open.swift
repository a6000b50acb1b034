import Glibc
import Netlink

extension NetworkNamespace {
    /// This namespace's identity (device and inode of its nsfs file).
    public func identity() throws -> NamespaceID {
        var st = stat()
        try syscall("fstat(\(self))") { fstat(fileDescriptor, &st) }
        return NamespaceID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}

/// Every network namespace on the machine: found by ``discover(options:)``, opened by ``open(_:)``.
public enum NamespaceInventory {
    /// Opens a discovered namespace through the first of its ``DiscoveredNamespace/openPaths`` that
    /// still leads to it (a path may have been unmounted, a process may have exited or, worse, its
    /// pid been reused: each opened file's identity is checked). The caller's thread never moves.
    /// Throws ``NotFound`` when none does: the namespace is gone, or no longer reachable.
    public static func open(_ namespace: DiscoveredNamespace) throws -> NetworkNamespace {
        for path in namespace.openPaths {
            guard let ns = try? NetworkNamespace.open(path: path) else { continue }
            if (try? ns.identity()) == namespace.id, ns.isNetworkNamespace { return ns }
        }
        throw NotFound.namespace(namespace.id.description)
    }
}
