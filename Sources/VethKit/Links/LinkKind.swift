import Netlink

/// A link driver VethKit can create, in the spirit of the kernel's `rtnl_link_ops`: a kind name,
/// a validation of its options, and the encoding of its IFLA_INFO_DATA. veth, bridge and dummy are
/// one small file each; another kind (vlan, macvlan, vxlan) is one more file.
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
}

extension LinkKind {
    public func validate() throws {}

    public var hasInfoData: Bool {
        var data = MessageWriter(type: 0)
        try? encodeInfoData(into: &data)
        return data.hasAttributes
    }
}
