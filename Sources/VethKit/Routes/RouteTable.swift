import CLinuxUAPI

/// A routing table (RT_TABLE_*, or any number up to 2³²−1: RTA_TABLE carries those above 255).
/// Names are iproute2's (`main`, `local`, `default`); others print as the number.
public struct RouteTable: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let unspecified = RouteTable(rawValue: RT_TABLE_UNSPEC.rawValue)
    public static let `default` = RouteTable(rawValue: RT_TABLE_DEFAULT.rawValue)
    /// The table `ip route` shows and adds to.
    public static let main = RouteTable(rawValue: RT_TABLE_MAIN.rawValue)
    /// The kernel's table of local and broadcast addresses.
    public static let local = RouteTable(rawValue: RT_TABLE_LOCAL.rawValue)

    static let names: [(RouteTable, String)] = [(.unspecified, "unspec"), (.default, "default"), (.main, "main"), (.local, "local")]

    /// The name (`main`, `local`, `default`, `unspec`), or the number.
    public var name: String { Self.names.first { $0.0 == self }?.1 ?? String(rawValue) }

    /// The table called `name` or written as a number.
    public init?(name: String) {
        if let t = Self.names.first(where: { $0.1 == name })?.0 { self = t; return }
        guard let n = UInt32(name) else { return nil }
        rawValue = n
    }

    public var description: String { name }
}
