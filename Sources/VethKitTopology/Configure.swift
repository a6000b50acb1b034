import Foundation
import VethKit

/// Step 4 of `up`: per node, one batch of link settings, addresses and routes.
extension Run {
    /// One operation of a node's configuration batch (in a ``NetworkBatch`` alongside), with the
    /// plan line it stands for.
    struct Item {
        var line: String
        var undo: (() -> Void)?
        /// A host link this request gave its final name (journaled once the kernel took it).
        var renamed: String? = nil
    }

    /// Per node: masters of peer ends, link edits, addresses, routes. Namespaces on worker
    /// threads (each with a socket opened inside), the host on this thread.
    func configureNodes() throws {
        try phase("configure")
        var byNode: [String: [Plan.Step]] = [:]
        for s in plan.steps {
            switch s {
            case .setLink(let n, _, _, _), .addAddress(let n, _, _), .addRoute(let n, _): byNode[n, default: []].append(s)
            default: continue
            }
        }
        for b in plan.steps { if case .createBridge(let n, _) = b { byNode[n, default: []] += [] } }
        for n in pipelineNodes { byNode[n] = nil }
        if !pipelineHostEnds.value.isEmpty { byNode[Topology.hostNode, default: []] += [] }
        for (n, _) in pendingPeers.value { byNode[n, default: []] += [] }
        if !pendingAliases.value.isEmpty { byNode[Topology.hostNode, default: []] += [] }
        let work = byNode
        let nodes = work.keys.sorted()
        let hostFirst = nodes.filter { $0 == Topology.hostNode }
        let others = nodes.filter { $0 != Topology.hostNode }
        for n in hostFirst { try configure(node: n, steps: work[n]!, handle: host) }
        let failures = parallelFor(others.count, stopOnError: true) { [self] i in
            let n = others[i]
            try NetworkNamespace.open(nsName(n)).run {
                try configure(node: n, steps: work[n]!, handle: NetHandle())
            }
        }
        if let f = failures.first { throw f.1 }
    }

    func configure(node: String, steps: [Plan.Step], handle h: NetHandle) throws {
        let existing = !newNodes.contains(node)
        let links = try h.linksWithoutStatistics()
        var index: [String: Int32] = [:]
        for l in links { index[l.name] = l.index }
        func idx(_ name: String, _ line: String) throws -> Int32 {
            guard let i = index[name] else { throw fail(line, NotFound.link(name, in: topo.namespaceName(of: node))) }
            return i
        }
        var items: [Item] = []
        var batch = NetworkBatch()
        // Bridges created by this run come up now; peer ends join their bridges.
        if node == Topology.hostNode {
            for (name, master) in pipelineHostEnds.value {
                // A bridge port carries no IP configuration: without IPv6 on it, bringing it up
                // creates no link-local address and floods no DAD, MLD or router solicitation into
                // the bridge (with N ports, N² deliveries). Our own interface's sysctl only.
                if master != nil { try? Sysctl.write("net.ipv6.conf.\(name).disable_ipv6", "1") }
                let line = "~ link host/\(name): up" + (master.map { ", master \($0)" } ?? "")
                batch.setLink(.index(try idx(name, line)), LinkChange(up: true, alias: alias, master: try master.map { .set(.index(try idx($0, line))) }))
                items.append(Item(line: line))
            }
        }
        for s in plan.steps {
            if case .createBridge(let n, let b) = s, n == node {
                // After the ports joined: a bridge's MTU set now sticks (see pipeline).
                batch.setLink(.index(try idx(b.name, plan.describe(s))), LinkChange(up: true, mtu: b.mtu.map(UInt32.init)))
                items.append(Item(line: plan.describe(s)))
            }
        }
        if node == Topology.hostNode {
            // Renames first: a link must be down to be renamed.
            for (current, final) in pendingAliases.value {
                let line = "~ link host/\(final): alias"
                let rename = current == final ? nil : try InterfaceName(final)
                batch.setLink(.index(try idx(current, line)), LinkChange(name: rename, alias: alias, group: rename == nil ? nil : group))
                items.append(Item(line: line, renamed: rename == nil ? nil : final))
                index[final] = index[current]
            }
        }
        for (name, master) in pendingPeers.value[node] ?? [] {
            let line = "~ link \(node)/\(name): up" + (master.map { ", master \($0)" } ?? "")
            batch.setLink(.index(try idx(name, line)), LinkChange(up: true, master: try master.map { .set(.index(try idx($0, line))) }))
            items.append(Item(line: line))
        }
        for s in steps {
            let line = plan.describe(s)
            switch s {
            case .setLink(_, let name, let e, let old):
                var c = LinkChange()
                c.up = e.up
                c.mtu = e.mtu.map(UInt32.init)
                c.address = e.mac
                if let m = e.master { c.master = try m.map { .set(.index(try idx($0, line))) } ?? .nomaster }
                batch.setLink(.index(try idx(name, line)), c)
                items.append(Item(line: line))
                oldEdits.with { $0.append((node, name, old)) }
            case .addAddress(_, let i, let a):
                batch.addAddress(a, to: .index(try idx(i, line)), noDAD: !a.isIPv4, protocol: addressProtocol.map { AddressProtocol(rawValue: $0) })
                items.append(Item(line: line))
                if existing && live.nodes[node]?.interface(i) != nil { addedAddresses.with { $0.append((node, i, a)) } }
            default: continue
            }
        }
        // Routes last: their gateways need the addresses above.
        for s in steps {
            guard case .addRoute(_, let r) = s else { continue }
            let line = plan.describe(s)
            batch.addRoute(VethKit.Route(destination: r.to, gateway: r.via, device: try r.dev.map { .index(try idx($0, line)) },
                                         metric: r.metric.map(UInt32.init), protocol: .vethkit))
            items.append(Item(line: line))
            if existing { addedRoutes.with { $0.append((node, r)) } }
        }
        guard !items.isEmpty else { return }
        let results = try h.perform(batch)
        for (k, r) in results.enumerated() {
            if case .success = r, let n = items[k].renamed { createdHostLinks.with { $0.append(n) } }
        }
        for (k, r) in results.enumerated() {
            if case .failure(let e) = r { throw fail(items[k].line, e) }
        }
        // The kernel treats a carrier change as urgent only when a device's index differs from
        // its link's (a veth's peer index); when they happen to be equal, the new operstate, and
        // with it a bridge port's forwarding, waits for the next link-watch run (up to 1 s). A
        // single RTM_GETLINK makes the kernel process it now.
        let slow = links.filter { $0.isVeth && !$0.isUp && $0.linkIndex == $0.index }
        for l in slow { _ = try? h.link(index: l.index) }
    }
}
