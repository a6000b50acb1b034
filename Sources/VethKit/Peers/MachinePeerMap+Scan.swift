import Glibc
import Netlink

extension MachinePeerMap {
    /// Reads every namespace of `namespaces` once and maps every veth pair among them.
    ///
    /// Each namespace is read by one of `threads` worker pthreads (default: one per CPU) that
    /// moves into it (setns), opens one netlink socket there and takes one RTM_GETLINK dump; the
    /// caller's thread never moves. A peer's namespace comes from its end's IFLA_LINK_NETNSID:
    /// the id each namespace uses for the caller's is asked with the same socket (RTM_GETNSID),
    /// which settles every pair with an end in the caller's namespace; a pair between two other
    /// namespaces is confirmed by asking one end's namespace about the candidates the readings
    /// give (``MachineScanResolution``). Nothing on the machine changes: no id is assigned
    /// (RTM_NEWNSID is never sent; RTM_GETNSID does not allocate).
    ///
    /// A namespace that cannot be opened or read (gone mid-scan, no permission) goes to
    /// ``failures`` with the reason; the rest of the answer stands. A veth whose peer is in no
    /// namespace read has `peer` nil and `peerIndex` set. Pairs with an end in the caller's
    /// namespace come first, that end as `end`; then the others by namespace (in the given
    /// order) and ifindex.
    public static func scan(_ namespaces: [DiscoveredNamespace], threads: Int? = nil) -> MachinePeerMap {
        var scanner = MachineScanner(threads: threads)
        var reads = scanner.startReading(namespaces)
        reads.finish()
        return scanner.map(for: namespaces, reads: [reads])
    }

    /// Each pair once: the caller's namespace's ends first (as `end`), then by namespace and ifindex.
    static func pairs(spaces: [DiscoveredNamespace], resolution r: MachineScanResolution,
                      peers: [MachineScanResolution.End: MachineScanResolution.End]) -> [MachineVethPair] {
        func end(_ e: MachineScanResolution.End) -> MachineVethEnd {
            let l = r.link(e)
            return MachineVethEnd(namespace: spaces[e.space].id, name: l.name, index: l.index, isUp: l.isUp,
                                  alias: l.alias, group: l.group, master: l.masterIndex)
        }
        var order = Array(spaces.indices)
        if let c = r.callerSpace { order.remove(at: c); order.insert(c, at: 0) }
        var done = Set<MachineScanResolution.End>()
        var pairs: [MachineVethPair] = []
        for i in order {
            guard let reading = r.readings[i] else { continue }
            let ks = reading.veths.indices.sorted { reading.veths[$0].index < reading.veths[$1].index }
            for k in ks {
                let e = MachineScanResolution.End(space: i, veth: k)
                guard done.insert(e).inserted else { continue }
                let p = peers[e]
                if let p { done.insert(p) }
                pairs.append(MachineVethPair(end: end(e), peer: p.map(end), peerIndex: r.link(e).linkIndex))
            }
        }
        return pairs
    }
}

extension MachinePeerMap {
    /// Every network namespace on the machine (``NamespaceInventory/discover(options:)``) and the
    /// map of every veth pair among them (``scan(_:threads:)``). Throws only when discovery
    /// itself cannot run; a namespace that cannot be read is in the map's ``failures``.
    public static func discover(options: NamespaceInventory.Options = .init(), threads: Int? = nil) throws
        -> (namespaces: [DiscoveredNamespace], map: MachinePeerMap) {
        // The scan's workers start on a quick first list (names, processes' ns/net) while this
        // thread runs the full discovery; what only discovery found is read afterwards.
        // Default workers: one per CPU but one, this thread being busy with discovery meanwhile
        // (more only add contention for the kernel's RTNL lock the link dumps take).
        var scanner = MachineScanner(threads: threads ?? max(1, MachineScanWorkers.defaultCount - 1))
        var early = scanner.startReading(options.procRoot == "/proc" ? MachineScanPrepass.namespaces(options) : [])
        let found: [DiscoveredNamespace]
        do { found = try NamespaceInventory.discover(options: options) } catch {
            early.finish()
            throw error
        }
        early.finish()
        let rest = found.filter { early.reading(of: $0.id) == nil }
        var late = scanner.startReading(rest)
        late.finish()
        return (found, scanner.map(for: found, reads: [early, late]))
    }
}
