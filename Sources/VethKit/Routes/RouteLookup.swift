import CLinuxUAPI
import Glibc
import Netlink

/// What `ip route get` asks the kernel: the route a packet to ``destination`` would take, given
/// the packet's source, input or output device, mark, uid, protocol and ports.
public struct RouteQuery: Sendable, Hashable {
    /// The packet's destination address.
    public var destination: IPAddress
    /// The packet's source address (`from`).
    public var source: IPAddress?
    /// The device the packet comes in on (`iif`: a forwarded packet).
    public var inputDevice: LinkReference?
    /// The device it must go out of (`oif`).
    public var outputDevice: LinkReference?
    /// The firewall mark (`mark`), which policy rules may select on.
    public var mark: UInt32?
    /// The user id (`uid`), which policy rules may select on.
    public var uid: UInt32?
    /// The IP protocol number (`ipproto`: 6 for TCP, 17 for UDP, 1 for ICMP…).
    public var ipProtocol: UInt8?
    /// The source and destination ports (`sport`, `dport`).
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    /// `fibmatch`: the routing table's entry that matched, not the cached route made from it.
    public var fibMatch = false

    public init(destination: IPAddress, source: IPAddress? = nil, inputDevice: LinkReference? = nil, outputDevice: LinkReference? = nil,
                mark: UInt32? = nil, uid: UInt32? = nil, ipProtocol: UInt8? = nil, sourcePort: UInt16? = nil,
                destinationPort: UInt16? = nil, fibMatch: Bool = false) {
        self.destination = destination
        self.source = source
        self.inputDevice = inputDevice
        self.outputDevice = outputDevice
        self.mark = mark
        self.uid = uid
        self.ipProtocol = ipProtocol
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.fibMatch = fibMatch
    }

    /// Checks before any syscall: a source of the destination's family; ports only with a
    /// protocol that has them (TCP, UDP, SCTP, DCCP), as the kernel requires.
    public func validate() throws {
        if let source, source.family != destination.family {
            throw InvalidInput("from", "\(source)", "is not of the destination's address family")
        }
        if sourcePort != nil || destinationPort != nil {
            guard let p = ipProtocol, [6, 17, 33, 132, 136].contains(p) else {
                throw InvalidInput("ports", "sport/dport", "need --ipproto tcp, udp, udplite, sctp or dccp")
            }
        }
    }

    /// The RTM_GETROUTE request, devices already resolved to indexes, as `ip route get` writes it.
    func encode(inputIndex: Int32?, outputIndex: Int32?, into m: inout MessageWriter) {
        m.begin(type: UInt16(RTM_GETROUTE), flags: 0)
        var h = rtmsg()
        h.rtm_family = destination.family.rawValue
        h.rtm_dst_len = UInt8(destination.bitWidth)
        h.rtm_src_len = source == nil ? 0 : UInt8(destination.bitWidth)
        // RTM_F_LOOKUP_TABLE: the answer names the table the lookup used, as ip route get asks
        // for IPv4 (IPv6 refuses the flag: "Invalid flags for get route request").
        h.rtm_flags = (destination.isIPv4 ? UInt32(RTM_F_LOOKUP_TABLE) : 0) | (fibMatch ? UInt32(RTM_F_FIB_MATCH) : 0)
        m.append(header: h)
        m.attribute(UInt16(RTA_DST.rawValue), destination.bytes)
        if let source { m.attribute(UInt16(RTA_SRC.rawValue), source.bytes) }
        if let inputIndex { m.attribute(UInt16(RTA_IIF.rawValue), uint32: UInt32(bitPattern: inputIndex)) }
        if let outputIndex { m.attribute(UInt16(RTA_OIF.rawValue), uint32: UInt32(bitPattern: outputIndex)) }
        if let mark { m.attribute(UInt16(RTA_MARK.rawValue), uint32: mark) }
        if let uid { m.attribute(UInt16(RTA_UID.rawValue), uint32: uid) }
        if let ipProtocol { m.attribute(UInt16(RTA_IP_PROTO.rawValue), uint8: ipProtocol) }
        if let sourcePort { m.attribute(UInt16(RTA_SPORT.rawValue), uint16: sourcePort.bigEndian) }
        if let destinationPort { m.attribute(UInt16(RTA_DPORT.rawValue), uint16: destinationPort.bigEndian) }
    }
}

/// The RTCF_* flags of a cached IPv4 route (the top 16 bits of `rtm_flags` in `ip route get`'s
/// answer), with the names `ip route get` prints under `cache`.
public struct RouteCacheFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue & 0xffff_0000 }

    /// iproute2's names, in its order.
    public static let printed: [(UInt32, String)] = [
        (0x8000_0000, "local"), (0x4000_0000, "reject"), (0x2000_0000, "mc"), (0x1000_0000, "brd"),
        (0x0800_0000, "dst-nat"), (0x0080_0000, "src-nat"), (0x0040_0000, "masq"), (0x0002_0000, "dst-direct"),
        (0x0400_0000, "src-direct"), (0x0004_0000, "redirected"), (0x0100_0000, "redirect"), (0x0020_0000, "fastroute"),
        (0x0001_0000, "notify"), (0x0008_0000, "proxy"),
    ].map { (UInt32($0.0), $0.1) }

    /// The set flags by name, as `ip -j route get` lists them.
    public var names: [String] { Self.printed.filter { rawValue & $0.0 != 0 }.map(\.1) }
}

extension NetHandle {
    /// The route the kernel picks for `query` (`ip route get`): a cached route (flag
    /// ``RouteFlags/cloned``) with its source, device, uid and metrics, or with
    /// ``RouteQuery/fibMatch`` the table entry that matched. Throws the kernel's error when no
    /// route matches (ENETUNREACH: "Network is unreachable").
    public func lookupRoute(_ query: RouteQuery) throws -> Route {
        try query.validate()
        var m = MessageWriter(capacity: 128)
        query.encode(inputIndex: try query.inputDevice.map { try index(of: $0) },
                     outputIndex: try query.outputDevice.map { try index(of: $0) }, into: &m)
        guard let reply = try socket.request(m).first(where: { $0.type == UInt16(RTM_NEWROUTE) }) else {
            throw MalformedMessage("RTM_GETROUTE got no route in its answer")
        }
        return try Route(message: reply)
    }
}
