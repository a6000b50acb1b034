import CLinuxUAPI

/// How far a route or an address reaches (`rtm_scope`, `ifa_scope`, RT_SCOPE_*). Names are
/// iproute2's (`global` for universe); an unknown number prints as the number.
public struct RouteScope: NamedKernelValue {
    /// The kernel\'s number.
    public let rawValue: UInt8
    /// The value the kernel numbers `rawValue` (named or not).
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Everywhere (`global`): a route through a gateway.
    public static let universe = RouteScope(rawValue: UInt8(RT_SCOPE_UNIVERSE.rawValue))
    public static let site = RouteScope(rawValue: UInt8(RT_SCOPE_SITE.rawValue))
    /// On the link: a directly connected destination.
    public static let link = RouteScope(rawValue: UInt8(RT_SCOPE_LINK.rawValue))
    /// This host only.
    public static let host = RouteScope(rawValue: UInt8(RT_SCOPE_HOST.rawValue))
    /// Nowhere (the wildcard in a delete request).
    public static let nowhere = RouteScope(rawValue: UInt8(RT_SCOPE_NOWHERE.rawValue))

    public static let names: [(RouteScope, String)] = [
        (.universe, "global"), (.site, "site"), (.link, "link"), (.host, "host"), (.nowhere, "nowhere"),
        (.universe, "universe"),  // accepted when parsing; `global` is printed (the first name wins)
    ]
}
