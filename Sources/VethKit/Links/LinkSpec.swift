import CLinuxUAPI
import Glibc
import Netlink

/// A link to create: its kind (``Veth``, ``Bridge``, ``Dummy``, ``VLAN``, ``MACVLAN``, ``IPVLAN``,
/// ``VXLAN``) and its attributes.
public struct LinkSpec: Sendable {
    /// Name, placement, MTU, address, group, alias, master, state, index.
    public var attributes: LinkAttributes
    /// The driver and its options.
    public var kind: any LinkKind

    /// A link of `kind` with `attributes`.
    public init(_ attributes: LinkAttributes, kind: any LinkKind) {
        self.attributes = attributes
        self.kind = kind
    }

    /// `ip link add NAME type veth peer name PEER`, with the peer optionally in another namespace.
    public static func veth(_ name: InterfaceName, peer: InterfaceName, peerNamespace: NetworkNamespace? = nil) -> LinkSpec {
        LinkSpec(LinkAttributes(name: name), kind: Veth(peerName: peer, namespace: peerNamespace))
    }

    /// `ip link add NAME type bridge`.
    public static func bridge(_ name: InterfaceName) -> LinkSpec {
        LinkSpec(LinkAttributes(name: name), kind: Bridge())
    }

    /// `ip link add NAME type dummy`.
    public static func dummy(_ name: InterfaceName) -> LinkSpec {
        LinkSpec(LinkAttributes(name: name), kind: Dummy())
    }

    /// `ip link add NAME link PARENT type vlan protocol PROTOCOL id ID`.
    public static func vlan(_ name: InterfaceName, parent: LinkReference, id: UInt16, protocol: VLAN.TagProtocol = .dot1Q) -> LinkSpec {
        LinkSpec(LinkAttributes(name: name), kind: VLAN(parent: parent, id: id, protocol: `protocol`))
    }

    /// `ip link add NAME link PARENT type macvlan mode MODE`.
    public static func macvlan(_ name: InterfaceName, parent: LinkReference, mode: MACVLAN.Mode = .bridge) -> LinkSpec {
        LinkSpec(LinkAttributes(name: name), kind: MACVLAN(parent: parent, mode: mode))
    }

    /// `ip link add NAME link PARENT type ipvlan mode MODE`.
    public static func ipvlan(_ name: InterfaceName, parent: LinkReference, mode: IPVLAN.Mode = .l3) -> LinkSpec {
        LinkSpec(LinkAttributes(name: name), kind: IPVLAN(parent: parent, mode: mode))
    }

    /// `ip link add NAME type vxlan id ID …` (see ``VXLAN``).
    public static func vxlan(_ name: InterfaceName, _ vxlan: VXLAN) -> LinkSpec {
        LinkSpec(LinkAttributes(name: name), kind: vxlan)
    }

    /// Checks the spec before any syscall.
    public func validate() throws {
        try attributes.validate()
        try kind.validate()
        if let veth = kind as? Veth, veth.peer.name == attributes.name,
           veth.peer.namespace == nil, attributes.namespace == nil {
            throw InvalidInput("peer name", veth.peer.name.rawValue, "is the same as the link's own name")
        }
    }

    /// The RTM_NEWLINK request as a message of its own (tests compare its bytes).
    func request() throws -> MessageWriter {
        var m = MessageWriter(capacity: 256)
        try encode(into: &m)
        return m
    }

    /// Writes the RTM_NEWLINK request (NLM_F_CREATE | NLM_F_EXCL) as the next message of `m`
    /// (masters named by name are resolved by ``NetHandle`` first).
    func encode(into m: inout MessageWriter) throws {
        m.begin(type: UInt16(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL)
        // Up in the same request. (For a veth this works for this end only: the kernel opens the
        // device after pairing it, but the peer before; see NetHandle.addLink.)
        m.append(header: attributes.creationHeader(up: attributes.up))
        // The parent first, as iproute2 writes it (a vxlan's goes in its own data instead).
        if case .name(let n)? = kind.parent {
            throw InvalidInput("parent link", n.rawValue, "was not resolved to an index before encoding")
        }
        if kind.parentIsIFLALink, let parent = kind.parentIndex {
            m.attribute(UInt16(IFLA_LINK), uint32: UInt32(bitPattern: parent))
        }
        try attributes.encode(into: &m)
        try m.nested(UInt16(IFLA_LINKINFO)) { m in
            m.attribute(UInt16(IFLA_INFO_KIND), string: kind.kindName)
            // IFLA_INFO_DATA only for kinds with options (as iproute2 sends it).
            if kind.hasInfoData {
                try m.nested(UInt16(IFLA_INFO_DATA)) { m in try kind.encodeInfoData(into: &m) }
            }
        }
    }
}
