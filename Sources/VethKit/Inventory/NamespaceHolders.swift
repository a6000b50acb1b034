/// The processes that keep one network namespace alive, found by a fresh look at /proc: a
/// process or a thread in it, or an open file descriptor of it. The check the orphan rules make
/// right before removing anything (docs/orphans.md); a socket created inside the namespace also
/// keeps it alive and is not seen here (the kernel does not show which namespace a socket is in).
public enum NamespaceHolders {
    /// Up to `limit` processes in or holding `id`, members first. The calling process's own open
    /// descriptors are not counted (its own thread being in the namespace is). A descriptor
    /// opened through a bind mount (its link reads as the mount's path) counts: it is recognised
    /// by its identity on `id`'s device.
    public static func find(_ id: NamespaceID, procRoot: String = "/proc", limit: Int = 1) -> [NamespaceProcess] {
        guard let scan = ProcScan.scan(procRoot: procRoot, fileDescriptors: true, nsfsDevice: id.device, ownThreads: true) else { return [] }
        var ns = DiscoveredNamespace(id: id)
        var parents: [Int32: Int32] = [:]
        scan.fill(&ns, procRoot: procRoot, sample: limit, parents: &parents, keepingUnreadable: true)
        return ns.processes
    }
}
