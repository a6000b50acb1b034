import VethKit

/// Phase 4 of `up`: bridges outside the namespace pipeline, down (they come up in Configure,
/// once their ports joined). A host bridge carries the mark from the moment it has its name.
extension Run {
    func bridges() throws {
        try phase("bridges")
        for step in plan.steps {
            guard case .createBridge(let node, let b) = step, !pipelineNodes.contains(node) else { continue }
            do {
                let h = try handle(node)
                let isHost = node == Topology.hostNode
                // A host bridge is made under a temporary name and renamed in the request that sets
                // the alias (the kernel ignores IFLA_IFALIAS at creation): a bridge of the final
                // name always carries the mark (see Ownership.temporaryLinkName).
                let made = isHost ? temporaryLinkName() : b.name
                let attrs = LinkAttributes(name: try InterfaceName(made), mtu: b.mtu.map(UInt32.init), address: b.mac,
                                           group: isHost ? temporaryGroup : nil, up: false)
                try h.addLink(LinkSpec(attrs, kind: VethKit.Bridge()))
                if isHost { undo.append(.removeHostLink(made)) } else if !newNodes.contains(node) { undo.append(.removeLink(node: node, name: b.name)) }
                if isHost, b.addresses.contains(where: { !$0.isIPv4 }) {
                    try? Sysctl.write("net.ipv6.conf.\(made).accept_dad", "0")
                }
                let l = try h.link(named: InterfaceName(made))
                if isHost {
                    try h.setLink(.index(l.index), LinkChange(name: try InterfaceName(b.name), alias: alias, group: group))
                    undo.append(.removeHostLink(b.name))
                }
                bridgeIndex.with { $0[key(node, b.name)] = l.index }
            } catch { throw fail(plan.describe(step), error) }
        }
    }

    /// The index of bridge `name` in `node`: made by this run, read by the planner, or looked up.
    func bridgeIndexOf(_ node: String, _ name: String) throws -> Int32 {
        if let i = bridgeIndex.value[key(node, name)] { return i }
        if let li = live.nodes[node]?.interface(name), li.kind == "bridge", li.index != 0 { return li.index }
        let i = try handle(node).link(named: InterfaceName(name)).index
        bridgeIndex.with { $0[key(node, name)] = i }
        return i
    }
}
