import CLinuxUAPI
import Glibc
import Netlink

/// A route (RTM_NEWROUTE): destination, gateway, output device, metric, table.
public struct Route: Sendable, Hashable {
    /// The destination prefix; nil for the default route of ``family``.
    public var destination: IPNetwork?
    /// AF_INET or AF_INET6.
    public var family: Int32
    /// The next hop (RTA_GATEWAY).
    public var gateway: IPAddress?
    /// The output interface's index (RTA_OIF).
    public var outputIndex: Int32?
    /// RTA_PRIORITY.
    public var metric: UInt32?
    /// The routing table (RT_TABLE_MAIN = 254 by default).
    public var table: UInt32
    /// RTPROT_* (kernel, boot, static…).
    public var protocolID: UInt8
    /// RT_SCOPE_*.
    public var scope: UInt8
    /// RTN_* (unicast, local, broadcast…).
    public var type: UInt8
    /// The preferred source address (RTA_PREFSRC).
    public var preferredSource: IPAddress?

    /// The main table.
    public static let mainTable = UInt32(RT_TABLE_MAIN.rawValue)

    /// The rtm_protocol VethKit's topology engine marks its routes with (0x56, 'V'). Not a kernel
    /// constant: rtnetlink.h reserves 0–4 for the kernel and names daemons' numbers above; 0x56
    /// is unassigned there (iproute2 prints it as 86, `vethctl route show` as `vethkit`).
    public static let vethkitProtocol: UInt8 = 0x56

    /// A route to add or delete.
    public init(destination: IPNetwork?, family: Int32? = nil, gateway: IPAddress? = nil, outputIndex: Int32? = nil,
                metric: UInt32? = nil, table: UInt32 = Route.mainTable) {
        self.destination = destination?.masked
        self.family = family ?? destination?.address.family ?? gateway?.family ?? AF_INET
        self.gateway = gateway
        self.outputIndex = outputIndex
        self.metric = metric
        self.table = table
        protocolID = UInt8(RTPROT_BOOT)
        scope = UInt8(gateway == nil ? RT_SCOPE_LINK.rawValue : RT_SCOPE_UNIVERSE.rawValue)
        type = UInt8(RTN_UNICAST)
    }

    /// True for a default route (0.0.0.0/0 or ::/0).
    public var isDefault: Bool { destination == nil || destination?.prefixLength == 0 }

    /// The destination as iproute2 prints it: `default` or `192.168.1.0/24` (host routes without /32).
    public var destinationText: String {
        guard let d = destination, d.prefixLength > 0 else { return "default" }
        return d.prefixLength == d.address.bitWidth ? "\(d.address)" : "\(d)"
    }

    /// Checks the route before any syscall: gateway and destination of one family.
    public func validate() throws {
        if let gateway, gateway.family != family {
            throw InvalidInput("gateway", "\(gateway)", "is not of the destination's address family (\(family == AF_INET ? "IPv4" : "IPv6"))")
        }
        if gateway == nil && outputIndex == nil {
            throw InvalidInput("route", destinationText, "needs a gateway (--via) or a device (--dev)")
        }
    }

    /// Decodes an RTM_NEWROUTE message.
    public init(message: NetlinkMessage) throws {
        let h = try message.header(rtmsg.self)
        let attrs = try message.attributes(after: rtmsg.self)
        family = Int32(h.rtm_family)
        table = UInt32(h.rtm_table)
        protocolID = h.rtm_protocol
        scope = h.rtm_scope
        type = h.rtm_type
        if let d = attrs[UInt16(RTA_DST.rawValue)], let a = IPAddress(bytes: d.value) {
            destination = try IPNetwork(address: a, prefixLength: Int(h.rtm_dst_len))
        } else if h.rtm_dst_len > 0 {
            throw MalformedMessage("route with a prefix length but no RTA_DST")
        }
        gateway = attrs[UInt16(RTA_GATEWAY.rawValue)].flatMap { IPAddress(bytes: $0.value) }
        outputIndex = attrs[UInt16(RTA_OIF.rawValue)]?.int32
        metric = attrs[UInt16(RTA_PRIORITY.rawValue)]?.uint32
        preferredSource = attrs[UInt16(RTA_PREFSRC.rawValue)].flatMap { IPAddress(bytes: $0.value) }
        if let t = attrs[UInt16(RTA_TABLE.rawValue)]?.uint32 { table = t }
    }

    /// The RTM_NEWROUTE / RTM_DELROUTE request. With `matchingProtocol`, an RTM_DELROUTE carries
    /// ``protocolID`` and the kernel deletes only a route of that protocol (ESRCH otherwise).
    public func request(_ messageType: Int32, matchingProtocol: Bool = false) -> MessageWriter {
        let isNew = messageType == Int32(RTM_NEWROUTE)
        var m = MessageWriter(type: UInt16(messageType), flags: isNew ? NLM_F_CREATE | NLM_F_EXCL : 0)
        var h = rtmsg()
        h.rtm_family = UInt8(family)
        h.rtm_dst_len = UInt8(destination?.prefixLength ?? 0)
        h.rtm_table = table < 256 ? UInt8(table) : UInt8(RT_TABLE_UNSPEC.rawValue)
        h.rtm_protocol = isNew || matchingProtocol ? protocolID : 0
        h.rtm_scope = isNew ? scope : UInt8(RT_SCOPE_NOWHERE.rawValue)
        h.rtm_type = isNew ? type : 0
        m.append(header: h)
        if let d = destination, d.prefixLength > 0 { m.attribute(UInt16(RTA_DST.rawValue), d.network.bytes) }
        if let gateway { m.attribute(UInt16(RTA_GATEWAY.rawValue), gateway.bytes) }
        if let outputIndex { m.attribute(UInt16(RTA_OIF.rawValue), uint32: UInt32(bitPattern: outputIndex)) }
        if let metric { m.attribute(UInt16(RTA_PRIORITY.rawValue), uint32: metric) }
        if table >= 256 { m.attribute(UInt16(RTA_TABLE.rawValue), uint32: table) }
        return m
    }
}
