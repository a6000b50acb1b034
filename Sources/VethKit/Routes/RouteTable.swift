import CLinuxUAPI

/// A routing table (RT_TABLE_*, or any number up to 2³²−1: RTA_TABLE carries those above 255).
/// Names are iproute2's (`main`, `local`, `default`); others print as the number.
public struct RouteTable: NamedKernelValue {
    /// The kernel\'s number.
    public let rawValue: UInt32
    /// The value the kernel numbers `rawValue` (named or not).
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let unspecified = RouteTable(rawValue: RT_TABLE_UNSPEC.rawValue)
    public static let `default` = RouteTable(rawValue: RT_TABLE_DEFAULT.rawValue)
    /// The table `ip route` shows and adds to.
    public static let main = RouteTable(rawValue: RT_TABLE_MAIN.rawValue)
    /// The kernel's table of local and broadcast addresses.
    public static let local = RouteTable(rawValue: RT_TABLE_LOCAL.rawValue)

    public static let names: [(RouteTable, String)] = [(.unspecified, "unspec"), (.default, "default"), (.main, "main"), (.local, "local")]
}
