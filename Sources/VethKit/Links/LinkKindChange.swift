import CLinuxUAPI
import Netlink

/// A change to the options of an existing link of one kind (`ip link set NAME type KIND …`):
/// sent as IFLA_LINKINFO { IFLA_INFO_KIND, IFLA_INFO_DATA } in ``LinkChange``, which the kernel
/// hands to the kind's `changelink`. Each kind offers only what its `changelink` (checked in
/// Linux 6.1) really applies: ``VLAN/Change``, ``MACVLAN/Change``, ``IPVLAN/Change``,
/// ``VXLAN/Change``. The kernel refuses a change of another kind than the link's (EOPNOTSUPP).
public protocol LinkKindChange: Sendable {
    /// IFLA_INFO_KIND: the kind of the link being changed.
    var kindName: String { get }
    /// Throws ``InvalidInput`` before any syscall.
    func validate() throws
    /// Writes the contents of IFLA_INFO_DATA.
    func encodeInfoData(into message: inout MessageWriter) throws
}

extension LinkKindChange {
    public func validate() throws {}

    /// IFLA_LINKINFO with the kind and its data.
    func encode(into m: inout MessageWriter) throws {
        try m.nested(UInt16(IFLA_LINKINFO)) { m in
            m.attribute(UInt16(IFLA_INFO_KIND), string: kindName)
            try m.nested(UInt16(IFLA_INFO_DATA)) { m in try encodeInfoData(into: &m) }
        }
    }
}
