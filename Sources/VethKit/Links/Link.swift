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
    /// The kind's options (a vlan's id and protocol, a macvlan's mode, a vxlan's endpoints…)
    /// decoded from IFLA_INFO_DATA; nil for kinds VethKit does not model.
    public var kindOptions: LinkKindOptions?
    /// The kind of the master's port (IFLA_INFO_SLAVE_KIND), e.g. `bridge` for a bridge port.
    public var portKind: String?
    /// `ifi_flags`.
    public var flags: LinkFlags
    /// ARPHRD_* hardware type.
    public var hardwareType: UInt16
    public var mtu: UInt32?
    /// IFLA_MIN_MTU / IFLA_MAX_MTU: the MTUs the device accepts (a maximum of 0 means no limit,
    /// as for `lo`). Nil on kernels that do not report them.
    public var minMTU: UInt32?
    public var maxMTU: UInt32?
    /// The hardware address.
    public var address: MACAddress?
    public var broadcast: MACAddress?
    public var operationalState: OperationalState
    /// The master device's index (bridge), if enslaved.
    public var masterIndex: Int32?
    /// IFLA_LINK: for a vlan, macvlan or ipvlan, the parent's ifindex; for a veth, the peer's ifindex (in the namespace given by ``linkNetnsID``).
    public var linkIndex: Int32?
    /// IFLA_LINK_NETNSID: the namespace id, local to the asking namespace, holding the peer.
    public var linkNetnsID: Int32?
    /// The link group (0 = default).
    public var group: UInt32
    /// IFLA_IFALIAS.
    public var alias: String?
    /// The alternative names (IFLA_PROP_LIST's IFLA_ALT_IFNAME: `ip link property add dev X
    /// altname NAME`), which may be longer than 15 bytes.
    public var alternativeNames: [String] = []
    /// IFLA_PROTO_DOWN: the link is held down by a control protocol (`ip link set X protodown on`).
    public var protoDown = false
    public var txQueueLength: UInt32?
    /// The qdisc name (IFLA_QDISC).
    public var qdisc: String?
    /// Counters (IFLA_STATS64).
    public var statistics: LinkStatistics?
    /// Set on the RTM_DELLINK of a link that moved to another namespace (not a plain delete).
    public var movedTo: LinkMove?
    /// What `ip -d` adds about the link itself (promiscuity, link mode, queues, GSO limits…).
    public var details: LinkDetails
    /// A bridge's every option and state as `ip -j -d` names them (`info_data`); empty for
    /// other kinds (see ``kindOptions``).
    public var kindFields: [KindField]
    /// A bridge port's every option and state as `ip -j -d` names them (`info_slave_data`).
    public var portFields: [KindField]

    /// True when the interface is administratively up.
    public var isUp: Bool { flags.contains(.up) }
    /// The MTUs the kernel accepts for this device (its IFLA_MIN_MTU...IFLA_MAX_MTU; the kernel's
    /// MTU is an int, so at most Int32.max), or nil when the kernel did not say.
    public var mtuRange: ClosedRange<UInt32>? {
        guard let minMTU, let maxMTU else { return nil }
        let upper = maxMTU == 0 ? UInt32(Int32.max) : min(maxMTU, UInt32(Int32.max))
        return min(minMTU, upper)...upper
    }

    /// True for one end of a veth pair.
    public var isVeth: Bool { kind == "veth" }

    /// Decodes an RTM_NEWLINK message.
    /// For the fuzzer of the decoders (fuzz/): `@_spi(Decoding) import VethKit`.
    @_spi(Decoding) public init(message: NetlinkMessage) throws {
        try self.init(message: message, statistics: true)
    }

    /// Decodes an RTM_NEWLINK message; without `statistics`, IFLA_STATS64 is skipped (left nil).
    init(message: NetlinkMessage, statistics decodeStatistics: Bool) throws {
        let info = try message.header(ifinfomsg.self)
        index = info.ifi_index
        flags = LinkFlags(rawValue: info.ifi_flags)
        hardwareType = info.ifi_type
        var name = ""
        var mtu: UInt32?, minMTU: UInt32?, maxMTU: UInt32?, address: MACAddress?, broadcast: MACAddress?, operationalState = OperationalState.unknown
        var masterIndex: Int32?, linkIndex: Int32?, linkNetnsID: Int32?, group: UInt32 = 0, alias: String?
        var txQueueLength: UInt32?, qdisc: String?, statistics: LinkStatistics?, kind: String?, portKind: String?
        var infoData: ArraySlice<UInt8>?, portData: ArraySlice<UInt8>?
        var details = LinkDetails()
        var newNetnsID: Int32?, newIndex: Int32?
        var alternativeNames: [String] = [], protoDown = false
        try message.forEachAttribute(after: ifinfomsg.self) { a in
            if try details.decode(a) { return }
            switch Int(a.type) {
            case Int(IFLA_IFNAME): name = a.string
            case Int(IFLA_MTU): mtu = a.uint32
            case Int(IFLA_MIN_MTU): minMTU = a.uint32
            case Int(IFLA_MAX_MTU): maxMTU = a.uint32
            case Int(IFLA_ADDRESS): address = MACAddress(bytes: Array(a.value))
            case Int(IFLA_BROADCAST): broadcast = MACAddress(bytes: Array(a.value))
            case Int(IFLA_OPERSTATE): operationalState = OperationalState(rawValue: a.uint8 ?? 0)
            case Int(IFLA_MASTER): masterIndex = a.int32
            case Int(IFLA_LINK): linkIndex = a.int32
            case Int(IFLA_LINK_NETNSID): linkNetnsID = a.int32
            case Int(IFLA_NEW_NETNSID): newNetnsID = a.int32
            case Int(IFLA_NEW_IFINDEX): newIndex = a.int32
            case Int(IFLA_GROUP): group = a.uint32 ?? 0
            case Int(IFLA_IFALIAS): alias = a.string
            case Int(IFLA_PROP_LIST), Int(IFLA_PROP_LIST) | Int(NLA_F_NESTED):
                try AttributeList.scan(a.value) { p in if p.type == UInt16(IFLA_ALT_IFNAME) { alternativeNames.append(p.string) } }
            case Int(IFLA_PROTO_DOWN): protoDown = (a.uint8 ?? 0) != 0
            case Int(IFLA_TXQLEN): txQueueLength = a.uint32
            case Int(IFLA_QDISC): qdisc = a.string
            case Int(IFLA_STATS64) where decodeStatistics: statistics = LinkStatistics(a.structure(rtnl_link_stats64.self))
            case Int(IFLA_LINKINFO):
                try AttributeList.scan(a.value) { i in
                    if i.type == UInt16(IFLA_INFO_KIND) { kind = i.string }
                    if i.type == UInt16(IFLA_INFO_SLAVE_KIND) { portKind = i.string }
                    if i.type == UInt16(IFLA_INFO_DATA) { infoData = i.value }
                    if i.type == UInt16(IFLA_INFO_SLAVE_DATA) { portData = i.value }
                }
            default: break
            }
        }
        (self.name, self.mtu, self.address, self.broadcast, self.operationalState) = (name, mtu, address, broadcast, operationalState)
        (self.masterIndex, self.linkIndex, self.linkNetnsID, self.group, self.alias) = (masterIndex, linkIndex, linkNetnsID, group, alias)
        (self.txQueueLength, self.qdisc, self.statistics, self.kind, self.portKind) = (txQueueLength, qdisc, statistics, kind, portKind)
        (self.minMTU, self.maxMTU, self.details) = (minMTU, maxMTU, details)
        (self.alternativeNames, self.protoDown) = (alternativeNames, protoDown)
        movedTo = newNetnsID.map { LinkMove(namespaceID: $0, index: newIndex) }
        kindFields = try kind == "bridge" ? infoData.map(KindField.bridge) ?? [] : []
        portFields = try portKind == "bridge" ? portData.map(KindField.bridgePort) ?? [] : []
        kindOptions = try kind.flatMap { try LinkKindOptions(kind: $0, infoData: infoData, linkIndex: linkIndex) }
        if name.isEmpty { throw MalformedMessage("link \(index) has no IFLA_IFNAME") }
    }
}
