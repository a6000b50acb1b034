import CLinuxUAPI
import Netlink

/// A link's kind with its options, as the kernel reports them (IFLA_LINKINFO): the same types
/// used to create one. A parent (IFLA_LINK, or a vxlan's IFLA_VXLAN_LINK) is given by index, in
/// the namespace ``Link/linkNetnsID`` names when set, else the link's own.
public enum LinkKindOptions: Hashable, Sendable {
    case veth
    case bridge
    case dummy
    case vlan(VLAN)
    case macvlan(MACVLAN)
    case ipvlan(IPVLAN)
    case vxlan(VXLAN)

    /// Decodes the options of a link of `kind` from its IFLA_INFO_DATA (nil when absent);
    /// `linkIndex` is the link's IFLA_LINK. Nil for kinds VethKit does not model, and for a
    /// vlan/macvlan/ipvlan/vxlan whose data lacks its defining option.
    init?(kind: String, infoData: ArraySlice<UInt8>?, linkIndex: Int32?) throws {
        switch kind {
        case "veth": self = .veth
        case "bridge": self = .bridge
        case "dummy": self = .dummy
        case "vlan":
            guard let d = infoData, let v = try VLAN(infoData: d, parent: linkIndex) else { return nil }
            self = .vlan(v)
        case "macvlan":
            guard let d = infoData, let v = try MACVLAN(infoData: d, parent: linkIndex) else { return nil }
            self = .macvlan(v)
        case "ipvlan":
            guard let d = infoData, let v = try IPVLAN(infoData: d, parent: linkIndex) else { return nil }
            self = .ipvlan(v)
        case "vxlan":
            guard let d = infoData, let v = try VXLAN(infoData: d) else { return nil }
            self = .vxlan(v)
        default: return nil
        }
    }

    /// The kind as a ``LinkKind`` value (for vlan, macvlan, ipvlan, vxlan and dummy; nil for a
    /// veth or bridge, whose decoded form does not say enough to create one: the peer, the options).
    public var linkKind: (any LinkKind)? {
        switch self {
        case .vlan(let k): k
        case .macvlan(let k): k
        case .ipvlan(let k): k
        case .vxlan(let k): k
        case .dummy: Dummy()
        case .veth, .bridge: nil
        }
    }
}
