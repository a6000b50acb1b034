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
        var spaces: [DiscoveredNamespace] = []
        var seen = Set<NamespaceID>()
        for d in namespaces where seen.insert(d.id).inserted { spaces.append(d) }
        var failures: [NamespaceID: String] = [:]
        let callers: NetworkNamespace
        let callersID: NamespaceID
        do {
            callers = try NetworkNamespace.current()
            callersID = try callers.identity()
        } catch {
            for d in spaces { failures[d.id] = "the caller's namespace cannot be opened: \(error)" }
            return MachinePeerMap(pairs: [], readings: [:], failures: failures)
        }
        let callerSpace = spaces.firstIndex { $0.id == callersID }
        let workers = max(1, threads ?? MachineScanWorkers.defaultCount)

        let slots = MachineScanSlots<Result<MachineScanReading, Error>>(count: spaces.count)
        let list = spaces
        do {
            try MachineScanWorkers.run(count: list.count, threads: workers) { i in
                slots[i] = Result { try MachineScanRead.read(list[i], isCallers: i == callerSpace, callers: callers) }
            }
        } catch {
            for d in spaces { failures[d.id] = "no worker thread could be started: \(error)" }
            return MachinePeerMap(pairs: [], readings: [:], failures: failures)
        }
        var readings: [MachineScanReading?] = []
        var readingsByID: [NamespaceID: NamespaceReading] = [:]
        for (i, d) in spaces.enumerated() {
            switch slots[i] {
            case .success(let r)?:
                readings.append(r)
                readingsByID[d.id] = NamespaceReading(id: d.id, loopbackAlias: r.loopbackAlias, linkCount: r.linkCount)
            case .failure(let e)?:
                readings.append(nil)
                failures[d.id] = "\(e)"
            case nil:
                readings.append(nil)
                failures[d.id] = "not read"
            }
        }

        let resolution = MachineScanResolution(readings: readings, callerSpace: callerSpace)
        var (peers, open) = resolution.settleFromReadings()
        resolution.resolve(open, into: &peers, threads: workers)
        open.removeAll()
        let pairs = Self.pairs(spaces: spaces, resolution: resolution, peers: peers)
        return MachinePeerMap(pairs: pairs, readings: readingsByID, failures: failures)
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
