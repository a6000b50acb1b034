import VethKit

/// `link add`, separated from its argument parsing: the parsed command builds one, and so does
/// ``BatchFastPath`` for batch lines (where argument-parser's per-line cost would exceed the
/// kernel's own).
struct LinkAddAction: CommandAction {
    var namespace: String?
    var name: String
    var type: LinkCommand.Kind = .veth
    var peer: String?
    var peerNetns: String?
    var mtu: String?
    var address: String?
    /// `--group`: a link group number, or (vxlan) a multicast group address.
    var group: String?
    var up = false
    /// `--link`, `--id`, `--mode`, `--remote`… (vlan, macvlan, ipvlan, vxlan).
    var kindOptions = KindOptions()

    /// The link group and the kind options with a vxlan's `--group IP` taken out of `group`.
    func parsedGroup() throws -> (UInt32?, KindOptions) {
        var k = kindOptions
        let g = try k.takeGroup(group)
        return (g, k)
    }

    func check() throws {
        if let namespace { _ = try NamespaceName(namespace) }
        _ = try InterfaceName(name)
        _ = try MTUOption.parseForNewLink(mtu)
        if let address { _ = try MACAddress(address) }
        let (_, k) = try parsedGroup()
        if type == .veth {
            guard let peer else { throw UsageError("link add \(name): a veth needs --peer NAME") }
            _ = try InterfaceName(peer)
            if peer == name && peerNetns == nil { throw InvalidInput("peer name", peer, "is the same as the link's own name") }
            if let peerNetns { _ = try NamespaceName(peerNetns) }
        } else if peer != nil || peerNetns != nil {
            throw UsageError("link add \(name): --peer and --peer-netns apply to veth only")
        }
        try k.linkKind(type, name: name)?.validate()
    }

    func execute(_ context: Context) throws {
        try step("link add \(name)") {
            let h = try context.handle(namespace)
            let (group, k) = try parsedGroup()
            let attrs = LinkAttributes(name: try InterfaceName(name), mtu: try MTUOption.parseForNewLink(mtu),
                                       address: try address.map(MACAddress.init), group: group, up: up)
            let kind: any LinkKind
            switch type {
            case .veth:
                var p = LinkAttributes(name: try InterfaceName(peer!), mtu: attrs.mtu, up: up)
                if let peerNetns { p.namespace = try context.namespace(peerNetns) }
                kind = Veth(peer: p)
            case .bridge: kind = Bridge()
            case .dummy: kind = Dummy()
            case .vlan, .macvlan, .ipvlan, .vxlan: kind = try k.linkKind(type, name: name)!
            }
            try h.addLink(LinkSpec(attrs, kind: kind))
        }
    }
}
