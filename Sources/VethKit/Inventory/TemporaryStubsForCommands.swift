// TEMPORARY (ns-commands only): a stand-in for H2's MachinePeerMap.scan/discover so the commands build and can be tried before those branches are
// merged. Deleted in the merge of ns-peers.

extension MachinePeerMap {
    public static func scan(_ namespaces: [DiscoveredNamespace], threads: Int? = nil) -> MachinePeerMap {
        var readings: [NamespaceID: NamespaceReading] = [:]
        var failures: [NamespaceID: String] = [:]
        var handles: [(NamespaceID, NetHandle, NetworkNamespace)] = []
        var ends: [(NamespaceID, Link)] = []
        for d in namespaces {
            do {
                let ns = try NamespaceInventory.open(d)
                let h = try NetHandle(namespace: ns)
                let links = try h.links()
                readings[d.id] = NamespaceReading(id: d.id, loopbackAlias: links.first { $0.name == "lo" }?.alias, linkCount: links.count)
                handles.append((d.id, h, ns))
                for l in links where l.isVeth { ends.append((d.id, l)) }
            } catch {
                failures[d.id] = "\(error)"
            }
        }
        func end(_ e: (NamespaceID, Link)) -> MachineVethEnd {
            MachineVethEnd(namespace: e.0, name: e.1.name, index: e.1.index, isUp: e.1.isUp, alias: e.1.alias, group: e.1.group, master: e.1.masterIndex)
        }
        var done = Set<Int>()
        var pairs: [MachineVethPair] = []
        for (n, e) in ends.enumerated() where !done.contains(n) {
            done.insert(n)
            var peerNS: NamespaceID? = e.0
            if let nsid = e.1.linkNetnsID {
                let h = handles.first { $0.0 == e.0 }!.1
                peerNS = handles.first { (try? h.namespaceID(of: $0.2)) == nsid }?.0
            }
            var peer: MachineVethEnd?
            if let pn = peerNS, let m = ends.indices.first(where: { ends[$0].0 == pn && ends[$0].1.index == e.1.linkIndex }) {
                done.insert(m)
                peer = end(ends[m])
            }
            pairs.append(MachineVethPair(end: end(e), peer: peer, peerIndex: e.1.linkIndex))
        }
        return MachinePeerMap(pairs: pairs, readings: readings, failures: failures)
    }

    public static func discover(options: NamespaceInventory.Options = .init()) throws -> (namespaces: [DiscoveredNamespace], map: MachinePeerMap) {
        let n = try NamespaceInventory.discover(options: options)
        return (n, scan(n))
    }
}
