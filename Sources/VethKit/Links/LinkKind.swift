import Netlink

/// A link driver VethKit can create, in the spirit of the kernel's `rtnl_link_ops`: a kind name,
/// a validation of its options, and the encoding of its IFLA_INFO_DATA. veth, bridge, dummy,
/// vlan, macvlan, ipvlan and vxlan are one small file each; another kind is one more file.
public protocol LinkKind: Sendable {
    /// IFLA_INFO_KIND, e.g. `veth`.
    var kindName: String { get }
    /// Throws ``InvalidInput`` for options the kernel would refuse; called before any syscall.
    func validate() throws
    /// Writes the contents of IFLA_INFO_DATA (nothing for kinds without options).
    func encodeInfoData(into message: inout MessageWriter) throws
    /// True when ``encodeInfoData(into:)`` writes anything (IFLA_INFO_DATA is sent only then, as
    /// iproute2 does). The default encodes once to find out; kinds override it to skip that.
    var hasInfoData: Bool { get }
    /// The lower device the link is built on (a vlan's, macvlan's or ipvlan's parent, a vxlan's
    /// underlay device), nil for kinds without one. It lives in the namespace of the handle that
    /// creates the link, even when the link itself is created straight into another namespace
    /// (the kernel looks IFLA_LINK up in the requesting socket's namespace). A name is resolved
    /// to its index before the request is sent (one lookup, or one dump shared by a batch).
    var parent: LinkReference? { get set }
    /// True when the parent goes in IFLA_LINK (vlan, macvlan, ipvlan); false when the kind's
    /// own IFLA_INFO_DATA carries it (vxlan's IFLA_VXLAN_LINK).
    var parentIsIFLALink: Bool { get }
}

extension LinkKind {
    public func validate() throws {}

    public var hasInfoData: Bool {
        var data = MessageWriter(type: 0)
        try? encodeInfoData(into: &data)
        return data.hasAttributes
    }

    public var parent: LinkReference? {
        get { nil }
        set {}
    }

    public var parentIsIFLALink: Bool { true }

    /// Refuses a parent given by a non-positive index.
    func validateParent() throws {
        if case .index(let i)? = parent, i <= 0 { throw InvalidInput("parent link", "#\(i)", "an interface index is positive") }
    }

    /// The parent's index once resolved (a parent named by name is resolved by ``NetHandle`` first).
    var parentIndex: Int32? { if case .index(let i)? = parent { i } else { nil } }
}
