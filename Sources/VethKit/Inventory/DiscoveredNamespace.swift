/// One network namespace found on the machine, with everything that keeps it alive and what it
/// belongs to. Found by ``NamespaceInventory/discover(options:)``; opened (to read its links) by
/// ``NamespaceInventory/open(_:)`` through ``openPaths``, never by moving the caller's thread.
public struct DiscoveredNamespace: Sendable, Identifiable {
    public var id: NamespaceID
    /// Its names under /run/netns (and iproute2's /var/run/netns when that is another place) in
    /// the caller's mount namespace, sorted.
    public var names: [NamespaceName]
    /// Every nsfs bind mount of it, in every mount namespace (named ones included), sorted by path.
    public var mounts: [NamespaceMount]
    /// The first few processes in it or holding it (lowest pids first; members before holders).
    public var processes: [NamespaceProcess]
    /// How many processes are in it (a thread counts for its process).
    public var memberCount: Int
    /// How many processes hold it through an open file descriptor only.
    public var holderCount: Int
    /// Its owners, most specific first (empty when nothing is known: e.g. held only by a mount).
    public var owners: [NamespaceOwner]
    /// True for the namespace the caller's thread is in.
    public var isCallers: Bool
    /// Paths that open it, best first (a name, a mount through /proc/PID/root, /proc/PID/ns/net,
    /// a task's ns/net, a /proc/PID/fd entry); ``NamespaceInventory/open(_:)`` tries them in turn
    /// and checks the opened file is this namespace.
    public var openPaths: [String]

    public init(id: NamespaceID, names: [NamespaceName] = [], mounts: [NamespaceMount] = [],
                processes: [NamespaceProcess] = [], memberCount: Int = 0, holderCount: Int = 0,
                owners: [NamespaceOwner] = [], isCallers: Bool = false, openPaths: [String] = []) {
        self.id = id
        self.names = names
        self.mounts = mounts
        self.processes = processes
        self.memberCount = memberCount
        self.holderCount = holderCount
        self.owners = owners
        self.isCallers = isCallers
        self.openPaths = openPaths
    }

    /// True when no process is in it or holds it: only bind mounts keep it alive.
    public var isHeldOnlyByMounts: Bool { memberCount == 0 && holderCount == 0 && !mounts.isEmpty }
}
