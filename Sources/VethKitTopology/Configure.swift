import VethKit

/// Phase 6 of `up`: per node outside the pipeline, one batch (``NodeBatch``) of masters and
/// state of the ends made earlier, link edits, addresses and routes. Namespaces on worker
/// threads (each with a handle opened inside), the host first, on this thread.
extension Run {
    func configureNodes() throws {
        try phase("configure")
        var nodes = Set(stepsOf.keys)
        for b in plan.steps { if case .createBridge(let n, _) = b { nodes.insert(n) } }
        for (n, _) in pendingPeers.value { nodes.insert(n) }
        for (n, _) in pendingKindUps.value { nodes.insert(n) }
        nodes.subtract(pipelineNodes)
        if !pipelineHostEnds.value.isEmpty || !pendingAliases.value.isEmpty { nodes.insert(Topology.hostNode) }
        let others = nodes.filter { $0 != Topology.hostNode }.sorted()
        if nodes.contains(Topology.hostNode) { try configure(node: Topology.hostNode, handle: host) }
        let failures = parallelFor(others.count, stopOnError: true) { [self] i in
            let n = others[i]
            try NetworkNamespace.open(nsName(n)).run {
                try configure(node: n, handle: NetHandle())
            }
        }
        if let f = failures.first { throw f.1 }
    }

    func configure(node: String, handle h: NetHandle) throws {
        let links = try h.linksWithoutStatistics()
        var index: [String: Int32] = [:]
        for l in links { index[l.name] = l.index }
        var batch = NodeBatch(node: node, namespace: topo.namespaceName(of: node), index: index)
        func add(_ line: String, _ body: (inout NodeBatch) throws -> Void) throws {
            do { try body(&batch) } catch { throw fail(line, error) }
        }
        // Bridges created by this run come up now; peer ends join their bridges.
        if node == Topology.hostNode {
            for (name, master) in pipelineHostEnds.value {
                // A bridge port carries no IP configuration: without IPv6 on it, bringing it up
                // creates no link-local address and floods no DAD, MLD or router solicitation into
                // the bridge (with N ports, N² deliveries). Our own interface's sysctl only.
                if master != nil { try? Sysctl.write("net.ipv6.conf.\(name).disable_ipv6", "1") }
                let line = "~ link host/\(name): up" + (master.map { ", master \($0)" } ?? "")
                try add(line) { b in try b.setLink(name, LinkChange(up: true, alias: alias, master: try master.map { .set(.index(try b.link($0))) }), line: line) }
            }
        }
        for s in plan.steps {
            guard case .createBridge(let n, let br) = s, n == node else { continue }
            // After the ports joined: a bridge's MTU set now sticks (see pipeline).
            let line = plan.describe(s)
            try add(line) { b in try b.setLink(br.name, LinkChange(up: true, mtu: br.mtu.map(UInt32.init)), line: line) }
        }
        if node == Topology.hostNode {
            // Renames first: a link must be down to be renamed.
            for (current, final) in pendingAliases.value {
                let line = "~ link host/\(final): alias"
                try add(line) { b in
                    let rename = current == final ? nil : try InterfaceName(final)
                    try b.setLink(current, LinkChange(name: rename, alias: alias, group: rename == nil ? nil : group), line: line,
                                  undo: rename == nil ? [] : [.removeHostLink(final)])
                    b.index[final] = b.index[current]
                }
            }
        }
        for (name, master) in pendingPeers.value[node] ?? [] {
            let line = "~ link \(node)/\(name): up" + (master.map { ", master \($0)" } ?? "")
            try add(line) { b in try b.setLink(name, LinkChange(up: true, master: try master.map { .set(.index(try b.link($0))) }), line: line) }
        }
        // Kind links made by this run, parents first (their peers and bridges are up by now).
        for name in pendingKindUps.value[node] ?? [] {
            let line = "~ link \(node)/\(name): up"
            try add(line) { b in try b.setLink(name, LinkChange(up: true), line: line) }
        }
        try addConfiguration(stepsOf[node] ?? [], to: &batch)
        guard !batch.isEmpty else { return }
        try perform(batch, on: h)
        // The kernel treats a carrier change as urgent only when a device's index differs from
        // its link's (a veth's peer index); when they happen to be equal, the new operstate, and
        // with it a bridge port's forwarding, waits for the next link-watch run (up to 1 s). A
        // single RTM_GETLINK makes the kernel process it now.
        let slow = links.filter { $0.isVeth && !$0.isUp && $0.linkIndex == $0.index }
        for l in slow { _ = try? h.link(index: l.index) }
    }
}
