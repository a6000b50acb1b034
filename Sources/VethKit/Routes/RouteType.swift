import CLinuxUAPI

/// What a route does with a packet (`rtm_type`, RTN_*): deliver it (unicast), keep it (local),
/// drop it (blackhole)… Names are iproute2's; an unknown number prints as the number.
public struct RouteType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unspecified = RouteType(rawValue: UInt8(RTN_UNSPEC))
    public static let unicast = RouteType(rawValue: UInt8(RTN_UNICAST))
    public static let local = RouteType(rawValue: UInt8(RTN_LOCAL))
    public static let broadcast = RouteType(rawValue: UInt8(RTN_BROADCAST))
    public static let anycast = RouteType(rawValue: UInt8(RTN_ANYCAST))
    public static let multicast = RouteType(rawValue: UInt8(RTN_MULTICAST))
    public static let blackhole = RouteType(rawValue: UInt8(RTN_BLACKHOLE))
    public static let unreachable = RouteType(rawValue: UInt8(RTN_UNREACHABLE))
    public static let prohibit = RouteType(rawValue: UInt8(RTN_PROHIBIT))
    public static let `throw` = RouteType(rawValue: UInt8(RTN_THROW))
    public static let nat = RouteType(rawValue: UInt8(RTN_NAT))
    public static let externalResolve = RouteType(rawValue: UInt8(RTN_XRESOLVE))

    static let names: [(RouteType, String)] = [
        (.unspecified, "none"), (.unicast, "unicast"), (.local, "local"), (.broadcast, "broadcast"),
        (.anycast, "anycast"), (.multicast, "multicast"), (.blackhole, "blackhole"), (.unreachable, "unreachable"),
        (.prohibit, "prohibit"), (.throw, "throw"), (.nat, "nat"), (.externalResolve, "xresolve"),
    ]

    /// The name (`unicast`, `local`, `blackhole`…), or the number.
    public var name: String { Self.names.first { $0.0 == self }?.1 ?? String(rawValue) }

    /// The type called `name` or written as a number.
    public init?(name: String) {
        if let t = Self.names.first(where: { $0.1 == name })?.0 { self = t; return }
        guard let n = UInt8(name) else { return nil }
        rawValue = n
    }

    public var description: String { name }
}
