import VethKit

/// Phase 5 of `up`: veth pairs outside the namespace pipeline, made from the host's handle, each
/// in one request with both ends straight in their namespaces, in one ``NetworkBatch``.
extension Run {
    func veths() throws {
        try phase("veths")
        let indexes: [Int] = plan.steps.compactMap { if case .createVeth(let i) = $0, !pipelineLinks.contains(i) { return i } else { return nil } }
        guard !indexes.isEmpty else { return }
        let chunk = 256
        var start = 0
        while start < indexes.count {
            try createVeths(Array(indexes[start..<min(start + chunk, indexes.count)]))
            options.progress?("veth pairs \(min(start + chunk, indexes.count))/\(indexes.count)")
            start += chunk
        }
    }

    /// One batch of veth pairs (indexes into ``Topology/links``).
    private func createVeths(_ part: [Int]) throws {
        var spaces: [String: NetworkNamespace] = [:]
        func space(_ node: String) throws -> NetworkNamespace? {
            if node == Topology.hostNode { return nil }
            if let s = spaces[node] { return s }
            let s = try NetworkNamespace.open(nsName(node))
            spaces[node] = s
            return s
        }
        var batch = NetworkBatch()
        var ends: [(Topology.Endpoint, Topology.Endpoint)] = []
        var made: [(String, String)] = []
        for i in part {
            let l = topo.links[i]
            do {
                let (p, q) = orient(l)
                let pHost = p.node == Topology.hostNode
                let qHost = q.node == Topology.hostNode
                // Both ends in the host: no namespace of ours holds either, so each is made
                // under a temporary name until the request that sets its alias renames it.
                let pName = pHost && qHost ? temporaryLinkName() : p.name
                let qName = pHost && qHost ? temporaryLinkName() : q.name
                let hostGroup = pHost && qHost ? temporaryGroup : group
                var pa = LinkAttributes(name: try InterfaceName(pName), namespace: try space(p.node), mtu: (p.mtu ?? l.mtu).map(UInt32.init),
                                        address: p.mac, group: pHost ? hostGroup : nil, alias: pHost ? alias : nil,
                                        master: try p.master.map { .index(try bridgeIndexOf(p.node, $0)) }, up: !(pHost && qHost))
                if pHost { pa.namespace = nil }
                let qa = LinkAttributes(name: try InterfaceName(qName), namespace: try space(q.node), mtu: (q.mtu ?? l.mtu).map(UInt32.init),
                                        address: q.mac, group: qHost ? hostGroup : nil, up: false)
                batch.addLink(LinkSpec(pa, kind: Veth(peer: qa)))
                ends.append((p, q))
                made.append((pName, qName))
            } catch { throw fail(plan.describe(.createVeth(link: i)), error) }
        }
        let results: [Result<Void, KernelError>]
        do { results = try host.perform(batch) } catch {
            // Which requests the kernel took is unknown: temporary names are ours by their
            // pattern, so those at least are undone.
            for (k, (p, q)) in ends.enumerated() where p.node == Topology.hostNode && q.node == Topology.hostNode {
                undo.append(contentsOf: [.removeHostLink(made[k].0), .removeHostLink(made[k].1)])
            }
            throw fail(plan.describe(.createVeth(link: part[0])), error)
        }
        var firstFailure: (Int, Error)?
        for (k, r) in results.enumerated() {
            let (p, q) = ends[k]
            let (pName, qName) = made[k]
            switch r {
            case .success:
                undo.append(contentsOf: undoOfPair(p, q, made: (pName, qName)))
                pendingPeers.with { $0[q.node, default: []].append((qName, q.master)) }
                // The kernel applies IFLA_IFALIAS to neither end at creation (only IFLA_GROUP).
                if q.node == Topology.hostNode { pendingAliases.with { $0.append((qName, q.name)) } }
                if p.node == Topology.hostNode { pendingAliases.with { $0.append((pName, p.name)) } }
                if p.node == Topology.hostNode && q.node == Topology.hostNode {
                    // Made down under a temporary name: brought up with the rename.
                    pendingPeers.with { $0[p.node, default: []].append((pName, nil)) }
                }
            case .failure(let e):
                if firstFailure == nil { firstFailure = (k, e) }
            }
        }
        if let (k, e) = firstFailure {
            let (p, q) = ends[k]
            let what = p.node == Topology.hostNode ? p : q.node == Topology.hostNode ? q : p
            throw fail(plan.describe(.createVeth(link: part[k])), LinkFailure(node: what.node, name: what.name, error: e))
        }
    }

    /// What undoes a pair the kernel made: deleting one end takes the other. Nothing when both
    /// ends are in namespaces this run creates (they go with those).
    func undoOfPair(_ p: Topology.Endpoint, _ q: Topology.Endpoint, made: (String, String)) -> [UndoStep] {
        let pHost = p.node == Topology.hostNode
        let qHost = q.node == Topology.hostNode
        if pHost && qHost { return [.removeHostLink(made.0), .removeHostLink(made.1)] }
        if pHost { return [.removeHostLink(p.name)] }
        if qHost { return [.removeHostLink(q.name)] }
        if !newNodes.contains(p.node) { return [.removeLink(node: p.node, name: p.name)] }
        if !newNodes.contains(q.node) { return [.removeLink(node: q.node, name: q.name)] }
        return []
    }

    /// Which end is created as the link (attributes applied in full) and which as its peer:
    /// the host's end first (the alias marks it), else an end with a master.
    func orient(_ l: Topology.Link) -> (Topology.Endpoint, Topology.Endpoint) {
        if l.b.node == Topology.hostNode && l.a.node != Topology.hostNode { return (l.b, l.a) }
        if l.a.node == Topology.hostNode { return (l.a, l.b) }
        if l.a.master == nil && l.b.master != nil { return (l.b, l.a) }
        return (l.a, l.b)
    }
}
