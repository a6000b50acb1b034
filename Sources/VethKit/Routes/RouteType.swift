import CLinuxUAPI

/// What a route does with a packet (`rtm_type`, RTN_*): deliver it (unicast), keep it (local),
/// drop it (blackhole)… Names are iproute2's; an unknown number prints as the number.
public struct RouteType: NamedKernelValue {
    /// The kernel\'s number.
    public let rawValue: UInt8
    /// The value the kernel numbers `rawValue` (named or not).
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

    public static let names: [(RouteType, String)] = [
        (.unspecified, "none"), (.unicast, "unicast"), (.local, "local"), (.broadcast, "broadcast"),
        (.anycast, "anycast"), (.multicast, "multicast"), (.blackhole, "blackhole"), (.unreachable, "unreachable"),
        (.prohibit, "prohibit"), (.throw, "throw"), (.nat, "nat"), (.externalResolve, "xresolve"),
    ]
}
