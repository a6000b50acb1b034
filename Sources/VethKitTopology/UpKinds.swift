import VethKit

/// Phase 6 of `up`: VLANs, MACVLANs, IPVLANs, VXLANs and dummies, after the veths and bridges
/// they sit on, each node's in creation order (parents first), from a handle in the node's
/// namespace (the kernel resolves the parent there), down: Configure brings them up after the
/// veth peers (a vlan's open fails with ENETDOWN while its parent is down). A host link is made under a temporary name
/// in the temporary group and gets its final name, the alias and the group in the request that
/// brings it up, so a link of the final name always carries the mark (as bridges do). A link
/// the plan replaces is deleted first (its options are ones the kernel does not change in place);
/// options it does change in place (a macvlan's mode, a vxlan's endpoints) are one RTM_NEWLINK
/// change each, undone from the values they had.
extension Run {
    func kindLinks() throws {
        try phase("kinds")
        var byNode: [String: [Plan.Step]] = [:]
        var order: [String] = []
        for step in plan.steps {
            let node: String
            switch step {
            case .createKindLink(let n, _, _), .changeKindLink(let n, _, _, _): node = n
            default: continue
            }
            if byNode[node] == nil { order.append(node) }
            byNode[node, default: []].append(step)
        }
        for node in order {
            let h = try handle(node)
            for step in byNode[node]! {
                do {
                    switch step {
                    case .createKindLink(_, let k, let replacing): try create(k, in: node, handle: h, replacing: replacing != nil)
                    case .changeKindLink(_, let name, let change, let old):
                        // In place (the kernel's changelink); what it was goes into the undo log.
                        guard let c = Topology.KindLink.kindChange(change) else { continue }
                        try h.setLink(.named(name), LinkChange(kindChange: c))
                        undo.append(.restoreKindOptions(node: node, name: name, old: Topology.KindLink.restore(old, touched: change)))
                    default: continue
                    }
                } catch { throw fail(plan.describe(step), error) }
            }
        }
    }

    /// Creates one kind link (deleting the one it replaces first) and records what undoes it.
    func create(_ k: Topology.KindLink, in node: String, handle h: NetHandle, replacing: Bool) throws {
        let isHost = node == Topology.hostNode
        if replacing {
            // The planner checked the mark (a host link of ours; in a namespace, everything is).
            try tolerateGone { try h.deleteLink(.named(k.name)) }
        }
        let made = isHost ? temporaryLinkName() : k.name
        let attrs = LinkAttributes(name: try InterfaceName(made), mtu: k.mtu.map(UInt32.init), address: k.mac,
                                   group: isHost ? temporaryGroup : nil, up: false)
        // A host veth with both ends in the host still has its temporary name (renamed in Configure).
        let parentName = isHost ? k.parent.flatMap { p in pendingAliases.value.first { $0.1 == p }?.0 } : nil
        try h.addLink(LinkSpec(attrs, kind: try k.vethKitKind(parentName: parentName)))
        if isHost {
            undo.append(.removeHostLink(made))
            // IPv6 DAD off for the addresses the file gives it, as for host bridges.
            if k.addresses.contains(where: { !$0.isIPv4 }) { try? Sysctl.write("net.ipv6.conf.\(made).accept_dad", "0") }
            try h.setLink(.named(made), LinkChange(name: try InterfaceName(k.name), alias: alias, group: group))
            undo.append(.removeHostLink(k.name))
        } else if !newNodes.contains(node) {
            undo.append(.removeLink(node: node, name: k.name))
        }
        // Up in Configure, after the veth peers it may sit on (a vlan refuses a down parent).
        pendingKindUps.with { $0[node, default: []].append(k.name) }
    }
}
