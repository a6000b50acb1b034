import VethKit

/// The topology's kind links in VethKit's typed kinds, both ways: what `up` creates, and what
/// ``LiveReader`` reads back into the options the planner compares.
extension Topology.KindLink {
    /// The VethKit kind that creates this link (its parent named by name, resolved by the
    /// creating handle in the node's namespace); `parentName` is the parent's current name when
    /// it differs from its final one (a host veth still under its temporary name).
    func vethKitKind(parentName: String? = nil) throws -> any LinkKind {
        let parentRef = try (parentName ?? parent).map { LinkReference.name(try InterfaceName($0)) }
        switch options {
        case .dummy: return Dummy()
        case .vlan(let id, let p):
            return VLAN(parent: parentRef!, id: UInt16(id), protocol: p == .dot1Q ? .dot1Q : .dot1AD)
        case .macvlan(let m): return MACVLAN(parent: parentRef!, mode: MACVLAN.Mode(name: m.rawValue)!)
        case .ipvlan(let m): return IPVLAN(parent: parentRef!, mode: IPVLAN.Mode(name: m.rawValue)!)
        case .vxlan(let v):
            return VXLAN(id: UInt32(v.id), remote: v.remote, group: v.group, local: v.local, port: UInt16(v.port ?? Topology.VXLANOptions.defaultPort),
                         parent: parentRef, learning: v.learning ?? true)
        }
    }

    /// The change request for in-place options (``Options/inPlaceChange(from:)``): only what
    /// `options` sets is sent.
    static func kindChange(_ options: Options) -> (any LinkKindChange)? {
        switch options {
        case .macvlan(let m): return MACVLAN.Change(mode: MACVLAN.Mode(name: m.rawValue)!)
        case .ipvlan(let m): return IPVLAN.Change(mode: IPVLAN.Mode(name: m.rawValue)!)
        case .vxlan(let v):
            guard v.remote != nil || v.group != nil || v.local != nil || v.learning != nil else { return nil }
            return VXLAN.Change(learning: v.learning, remote: v.remote, group: v.group, local: v.local)
        default: return nil
        }
    }

    /// The change back to `old` for the fields `change` touched (rollback of an in-place change).
    static func restore(_ old: Options, touched change: Options) -> Options {
        guard case .vxlan(let c) = change, case .vxlan(let o) = old else { return old }
        var r = Topology.VXLANOptions(id: o.id)
        if c.remote != nil { r.remote = o.remote }
        if c.group != nil { r.group = o.group }
        if c.local != nil { r.local = o.local }
        if c.learning != nil { r.learning = o.learning }
        return .vxlan(r)
    }

    /// A live link's parent name (in its own namespace, by `names`) and options in the topology's
    /// terms; nil options for a kind the topology does not declare (veth, bridge, others).
    static func live(_ l: VethKit.Link, names: [Int32: String]) -> (parent: String?, options: Options?) {
        func name(_ r: LinkReference?) -> String? {
            // A parent in another namespace (IFLA_LINK_NETNSID) is no link of this node.
            guard l.linkNetnsID == nil, case .index(let i)? = r else { return nil }
            return names[i]
        }
        switch l.kindOptions {
        case .dummy?: return (nil, .dummy)
        case .vlan(let v)?:
            guard let p = Topology.VLANProtocol.allCases.first(where: { $0.rawValue == v.protocol.description }) else { return (name(v.parent), nil) }
            return (name(v.parent), .vlan(id: Int(v.id), protocol: p))
        case .macvlan(let m)?: return (name(m.parent), Topology.MACVLANMode(rawValue: m.mode.description).map { .macvlan(mode: $0) })
        case .ipvlan(let m)?: return (name(m.parent), Topology.IPVLANMode(rawValue: m.mode.description).map { .ipvlan(mode: $0) })
        case .vxlan(let v)?:
            // IFLA_VXLAN_LINK is an index in the vxlan's own namespace (no netnsid applies to it).
            let parent: String? = if case .index(let i)? = v.parent { names[i] } else { nil }
            return (parent, .vxlan(Topology.VXLANOptions(id: Int(v.id), remote: v.remote, group: v.group, local: v.local,
                                                         port: Int(v.port), learning: v.learning)))
        default: return (nil, nil)
        }
    }
}
