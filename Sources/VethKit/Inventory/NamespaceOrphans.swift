import CLinuxUAPI
import Glibc

/// A network namespace nothing uses any more: no process in it, none holding it open, kept
/// alive only by container runtimes' bind mounts whose container is gone (docs/orphans.md).
public struct NamespaceOrphan: Sendable {
    public var id: NamespaceID
    /// Its mounts (every one at a runtime's place), sorted by path.
    public var mounts: [NamespaceMount]
    /// The runtime the first mount's place belongs to (`docker`, `cni`, `podman`, …).
    public var runtime: String
    /// Its veths: `end` the end outside it (normally the host's) and `peer` the end inside; when
    /// the outside end is in no namespace read, `end` is the inside end and `peer` nil.
    public var veths: [MachineVethPair]
    /// Seconds since the namespace's nsfs inode was made (about when it was first mounted).
    public var ageSeconds: Int?

    public init(id: NamespaceID, mounts: [NamespaceMount], runtime: String, veths: [MachineVethPair] = [], ageSeconds: Int? = nil) {
        self.id = id
        self.mounts = mounts
        self.runtime = runtime
        self.veths = veths
        self.ageSeconds = ageSeconds
    }
}

/// The namespace-orphan rule, and its removal through the same checks made again.
public enum NamespaceOrphans {
    public struct Options: Sendable {
        /// A namespace younger than this is never an orphan: a runtime makes and mounts a
        /// namespace before it starts the container's process in it.
        public var minimumAge: Double = 60
        public var procRoot = "/proc"
        /// Where each removal records the mount point it is about to unmount, until its file is
        /// unlinked (``NamespaceOrphans/interruptedRemovals(options:)`` finds what a killed
        /// run left).
        public var journalDirectory = "/run/vethkit/orphans"
        public init(minimumAge: Double = 60) { self.minimumAge = minimumAge }
    }

    /// Why a discovered namespace is not an orphan, or nil when it is one (its runtime).
    public static func verdict(_ n: DiscoveredNamespace, evidence: ContainerEvidence, options: Options = .init(), now: Double? = nil) -> Result<String, NotOrphan> {
        if n.isCallers { return .failure(.init("the caller's own namespace")) }
        if n.memberCount > 0 { return .failure(.init("a process is in it")) }
        if n.holderCount > 0 { return .failure(.init("a process holds it open")) }
        if n.mounts.isEmpty { return .failure(.init("not mounted anywhere")) }
        var runtime: String?
        for m in n.mounts {
            switch RuntimeNamespacePaths.classify(m.path) {
            case .runtime(let r, let name):
                runtime = runtime ?? r
                if evidence.mentions(name) { return .failure(.init("a process names \(name)")) }
            case .oddName: return .failure(.init("mounted at a runtime's place under a name no runtime makes"))
            case .other: return .failure(.init("mounted at a place that is not a runtime's (a user's name)"))
            }
        }
        for name in n.names where RuntimeNamespacePaths.classify(NetworkNamespace.path(of: name)) == .other {
            return .failure(.init("named \(name.rawValue) by a user"))
        }
        for o in n.owners {
            if case .cni(let id, _, _) = o { if evidence.mentions(id) { return .failure(.init("its CNI container \(id) is alive")) }; continue }
            return .failure(.init("it has an owner"))
        }
        if options.minimumAge > 0 {
            guard let age = age(of: n, now: now) else { return .failure(.init("its age is unknown")) }
            if Double(age) < options.minimumAge { return .failure(.init("younger than \(Int(options.minimumAge)) s")) }
        }
        return .success(runtime ?? "")
    }

    /// Why something is not (or no longer) an orphan.
    public struct NotOrphan: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
    }

    /// The orphans among `namespaces` (as ``NamespaceInventory/discover(options:)`` finds them),
    /// each with its veths from `map` (when nil: one ``MachinePeerMap/scan(_:threads:)`` of the
    /// caller's namespace and the orphans).
    public static func find(_ namespaces: [DiscoveredNamespace], map: MachinePeerMap? = nil, options: Options = .init()) -> [NamespaceOrphan] {
        let evidence = ContainerEvidence.collect(procRoot: options.procRoot)
        var out: [NamespaceOrphan] = []
        let now = Double(time(nil))
        for n in namespaces {
            guard case .success(let runtime) = verdict(n, evidence: evidence, options: options, now: now) else { continue }
            // A fresh look at /proc for this one: discovery may be seconds old, and a descriptor
            // opened through a bind mount reads as the mount's path, not as `net:[N]`.
            guard NamespaceHolders.find(n.id, procRoot: options.procRoot).isEmpty else { continue }
            out.append(NamespaceOrphan(id: n.id, mounts: n.mounts.sorted { $0.path < $1.path }, runtime: runtime, ageSeconds: age(of: n, now: now)))
        }
        guard !out.isEmpty else { return out }
        // Their veths: from `map`, else from one MachinePeerMap.scan of the caller's namespace
        // and the orphans (only they are read), else (a namespace the scan could not read) directly.
        let byID = Dictionary(namespaces.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var peers = map
        if peers == nil {
            let caller = namespaces.first { $0.isCallers } ?? callersEntry()
            peers = caller.map { MachinePeerMap.scan([$0] + out.compactMap { byID[$0.id] }) }
        }
        for i in out.indices {
            let id = out[i].id
            if let peers, peers.failures[id] == nil {
                for p in peers.pairs {
                    if p.peer?.namespace == id { out[i].veths.append(p) } else if p.end.namespace == id {
                        out[i].veths.append(MachineVethPair(end: p.peer ?? p.end, peer: p.peer == nil ? nil : p.end, peerIndex: p.peer == nil ? p.peerIndex : p.end.index))
                    }
                }
            } else if let n = byID[id] {
                out[i].veths = readVeths(n)
            }
        }
        return out
    }

    /// The caller's namespace as a discovered one (for a scan), through its thread's /proc entry.
    static func callersEntry() -> DiscoveredNamespace? {
        let path = "/proc/\(getpid())/task/\(vk_gettid())/ns/net"
        guard let (device, inode) = ProcFiles.identity(path) else { return nil }
        let id = NamespaceID(device: device, inode: inode)
        return DiscoveredNamespace(id: id, isCallers: true, openPaths: [path])
    }

    static func age(of n: DiscoveredNamespace, now: Double?) -> Int? {
        for m in n.mounts {
            var st = stat()
            let path = m.isInCallersMountNamespace ? m.path : "/proc/\(m.viaPID)/root\(m.path)"
            guard stat(path, &st) == 0, UInt64(st.st_ino) == n.id.inode else { continue }
            return max(0, Int((now ?? Double(time(nil))) - Double(st.st_ctim.tv_sec)))
        }
        return nil
    }

    /// The veths between `n` and the caller's namespace, read through one of its open paths:
    /// the host end from the caller's links (IFLA_LINK_NETNSID naming `n`), the inner end from its own.
    static func readVeths(_ n: DiscoveredNamespace) -> [MachineVethPair] {
        guard let ns = try? NamespaceInventory.open(n), let host = try? NetHandle(),
              let hostID = try? host.namespace.identity() else { return [] }
        let inner = (try? NetHandle(namespace: ns).linksWithoutStatistics()) ?? []
        guard let nsid = try? host.namespaceID(of: ns), let links = try? host.linksWithoutStatistics() else { return [] }
        return links.filter { $0.isVeth && $0.linkNetnsID == nsid }.map { l in
            let peer = inner.first { $0.index == l.linkIndex }.map {
                MachineVethEnd(namespace: n.id, name: $0.name, index: $0.index, isUp: $0.isUp, alias: $0.alias, group: $0.group, master: $0.masterIndex)
            }
            return MachineVethPair(end: MachineVethEnd(namespace: hostID, name: l.name, index: l.index, isUp: l.isUp, alias: l.alias, group: l.group, master: l.masterIndex),
                                   peer: peer, peerIndex: l.linkIndex)
        }
    }
}
