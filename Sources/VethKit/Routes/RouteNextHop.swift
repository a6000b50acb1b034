import CLinuxUAPI
import Netlink

/// One next hop of a multipath route (a `struct rtnexthop` in RTA_MULTIPATH): `nexthop via GW dev
/// DEV weight W`.
public struct RouteNextHop: Sendable, Hashable {
    /// The gateway (RTA_GATEWAY inside the next hop).
    public var gateway: IPAddress?
    /// The output interface (`rtnh_ifindex`; decoded next hops carry ``LinkReference/index(_:)``).
    public var device: LinkReference?
    /// The share of flows, 1–256 (`rtnh_hops` + 1, as `ip route` prints it).
    public var weight: Int
    /// The next hop's own flags (`linkdown`, `onlink`, `dead`…).
    public var flags: RouteFlags

    public init(gateway: IPAddress? = nil, device: LinkReference? = nil, weight: Int = 1, flags: RouteFlags = []) {
        self.gateway = gateway
        self.device = device
        self.weight = weight
        self.flags = flags
    }

    /// RTA_MULTIPATH's payload for `hops` (their devices already resolved to indexes): each a
    /// `struct rtnexthop` (`rtnh_hops` = weight - 1, `rtnh_flags`: only `onlink` is the caller's to
    /// set) followed by its RTA_GATEWAY, as `ip route add … nexthop via GW dev DEV weight W` sends.
    static func encode(_ hops: [RouteNextHop]) -> [UInt8] {
        var out: [UInt8] = []
        for hop in hops {
            var gatewayAttribute: [UInt8] = []
            if let g = hop.gateway {
                let length = 4 + g.bytes.count
                gatewayAttribute = [UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8),
                                    UInt8(truncatingIfNeeded: RTA_GATEWAY.rawValue), 0] + g.bytes
                while gatewayAttribute.count % 4 != 0 { gatewayAttribute.append(0) }
            }
            var h = rtnexthop()
            h.rtnh_len = UInt16(MemoryLayout<rtnexthop>.size + gatewayAttribute.count)
            h.rtnh_flags = UInt8(truncatingIfNeeded: hop.flags.intersection(.onlink).rawValue)
            h.rtnh_hops = UInt8(clamping: max(0, hop.weight - 1))
            if case .index(let i)? = hop.device { h.rtnh_ifindex = i }
            withUnsafeBytes(of: h) { out.append(contentsOf: $0) }
            out += gatewayAttribute
        }
        return out
    }

    /// Decodes RTA_MULTIPATH's payload: `rtnexthop` headers, each followed by its attributes.
    /// Throws ``MalformedMessage`` for a next hop shorter than its header or running past the
    /// payload; trailing bytes shorter than a header are ignored (as the kernel and ip do).
    static func list(decoding bytes: ArraySlice<UInt8>) throws -> [RouteNextHop] {
        let header = MemoryLayout<rtnexthop>.size
        var hops: [RouteNextHop] = []
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= header {
            let h = Attribute(type: 0, value: bytes[offset..<(offset + header)]).structure(rtnexthop.self)
            let length = Int(h.rtnh_len)
            guard length >= header else { throw MalformedMessage("next hop length \(length) is smaller than its header") }
            guard length <= bytes.endIndex - offset else {
                throw MalformedMessage("next hop of \(length) bytes runs past RTA_MULTIPATH (\(bytes.endIndex - offset) left)")
            }
            let attrs = try AttributeList(parsing: bytes[(offset + header)..<(offset + length)])
            hops.append(RouteNextHop(gateway: attrs[UInt16(RTA_GATEWAY.rawValue)].flatMap { IPAddress(bytes: $0.value) },
                                     device: h.rtnh_ifindex == 0 ? nil : .index(h.rtnh_ifindex),
                                     weight: Int(h.rtnh_hops) + 1, flags: RouteFlags(rawValue: UInt32(h.rtnh_flags))))
            offset += Int(vk_nla_align(UInt32(length)))
        }
        return hops
    }
}
