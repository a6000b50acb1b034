import CLinuxUAPI
import Netlink

/// A network interface as the kernel reports it (RTM_NEWLINK).
public struct Link: Sendable, Hashable {
    /// The interface index (`ifindex`), unique within its namespace.
    public var index: Int32
    /// The name (IFLA_IFNAME).
    public var name: String
    /// The driver kind from IFLA_LINKINFO (`veth`, `bridge`, `dummy`), nil for plain devices.
    public var kind: String?
    /// The kind of the master's port (IFLA_INFO_SLAVE_KIND), e.g. `bridge` for a bridge port.
    public var portKind: String?
    /// `ifi_flags`.
    public var flags: LinkFlags
    /// ARPHRD_* hardware type.
    public var hardwareType: UInt16
    public var mtu: UInt32?
    /// The hardware address.
    public var address: MACAddress?
    public var broadcast: MACAddress?
    public var operationalState: OperationalState
    /// The master device's index (bridge), if enslaved.
    public var masterIndex: Int32?
    /// IFLA_LINK: for a veth, the peer's ifindex (in the namespace given by ``linkNetnsID``).
    public var linkIndex: Int32?
    /// IFLA_LINK_NETNSID: the namespace id, local to the asking namespace, holding the peer.
    public var linkNetnsID: Int32?
    /// The link group (0 = default).
    public var group: UInt32
    /// IFLA_IFALIAS.
    public var alias: String?
    public var txQueueLength: UInt32?
    /// The qdisc name (IFLA_QDISC).
    public var qdisc: String?
    /// Counters (IFLA_STATS64).
    public var statistics: LinkStatistics?

    /// True when the interface is administratively up.
    public var isUp: Bool { flags.contains(.up) }
    /// True for one end of a veth pair.
    public var isVeth: Bool { kind == "veth" }

    /// Decodes an RTM_NEWLINK message.
    public init(message: NetlinkMessage) throws {
        let info = try message.header(ifinfomsg.self)
        let attrs = try message.attributes(after: ifinfomsg.self)
        index = info.ifi_index
        flags = LinkFlags(rawValue: info.ifi_flags)
        hardwareType = info.ifi_type
        name = ""
        operationalState = .unknown
        group = 0
        for a in attrs {
            switch Int(a.type) {
            case Int(IFLA_IFNAME): name = a.string
            case Int(IFLA_MTU): mtu = a.uint32
            case Int(IFLA_ADDRESS): address = MACAddress(bytes: Array(a.value))
            case Int(IFLA_BROADCAST): broadcast = MACAddress(bytes: Array(a.value))
            case Int(IFLA_OPERSTATE): operationalState = OperationalState(rawValue: a.uint8 ?? 0)
            case Int(IFLA_MASTER): masterIndex = a.int32
            case Int(IFLA_LINK): linkIndex = a.int32
            case Int(IFLA_LINK_NETNSID): linkNetnsID = a.int32
            case Int(IFLA_GROUP): group = a.uint32 ?? 0
            case Int(IFLA_IFALIAS): alias = a.string
            case Int(IFLA_TXQLEN): txQueueLength = a.uint32
            case Int(IFLA_QDISC): qdisc = a.string
            case Int(IFLA_STATS64): statistics = LinkStatistics(a.structure(rtnl_link_stats64.self))
            case Int(IFLA_LINKINFO):
                let info = try a.nested()
                kind = info[UInt16(IFLA_INFO_KIND)]?.string
                portKind = info[UInt16(IFLA_INFO_SLAVE_KIND)]?.string
            default: continue
            }
        }
        if name.isEmpty { throw MalformedMessage("link \(index) has no IFLA_IFNAME") }
    }
}
