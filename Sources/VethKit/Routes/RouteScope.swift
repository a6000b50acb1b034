import CLinuxUAPI

/// How far a route or an address reaches (`rtm_scope`, `ifa_scope`, RT_SCOPE_*). Names are
/// iproute2's (`global` for universe); an unknown number prints as the number.
public struct RouteScope: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
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

    static let names: [(RouteScope, String)] = [
        (.universe, "global"), (.site, "site"), (.link, "link"), (.host, "host"), (.nowhere, "nowhere"),
    ]

    /// The name (`global`, `site`, `link`, `host`, `nowhere`), or the number.
    public var name: String { Self.names.first { $0.0 == self }?.1 ?? String(rawValue) }

    /// The scope called `name` (`universe` is accepted for `global`) or written as a number.
    public init?(name: String) {
        if name == "universe" { self = .universe; return }
        if let s = Self.names.first(where: { $0.1 == name })?.0 { self = s; return }
        guard let n = UInt8(name) else { return nil }
        rawValue = n
    }

    public var description: String { name }
}
