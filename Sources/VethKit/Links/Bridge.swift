import CLinuxUAPI
import Netlink

/// A software Ethernet bridge (`ip link add NAME type bridge`).
public struct Bridge: LinkKind {
    /// IFLA_BR_STP_STATE; nil leaves the kernel default (off).
    public var stp: Bool?
    /// IFLA_BR_FORWARD_DELAY in centiseconds; nil leaves the default.
    public var forwardDelay: UInt32?
    /// IFLA_BR_VLAN_FILTERING; nil leaves the default (off).
    public var vlanFiltering: Bool?

    public init(stp: Bool? = nil, forwardDelay: UInt32? = nil, vlanFiltering: Bool? = nil) {
        self.stp = stp
        self.forwardDelay = forwardDelay
        self.vlanFiltering = vlanFiltering
    }

    public var kindName: String { "bridge" }

    public var hasInfoData: Bool { stp != nil || forwardDelay != nil || vlanFiltering != nil }

    public func encodeInfoData(into m: inout MessageWriter) throws {
        if let stp { m.attribute(UInt16(IFLA_BR_STP_STATE), uint32: stp ? 1 : 0) }
        if let forwardDelay { m.attribute(UInt16(IFLA_BR_FORWARD_DELAY), uint32: forwardDelay) }
        if let vlanFiltering { m.attribute(UInt16(IFLA_BR_VLAN_FILTERING), uint8: vlanFiltering ? 1 : 0) }
    }
}
