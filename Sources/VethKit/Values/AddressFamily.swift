import Glibc

/// An address family (AF_*), as carried by addresses and routes: `inet` or `inet6`.
public struct AddressFamily: NamedKernelValue {
    /// The AF_* number.
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// AF_UNSPEC: every family (in a dump request).
    public static let unspecified = AddressFamily(rawValue: UInt8(AF_UNSPEC))
    /// AF_INET: IPv4.
    public static let inet = AddressFamily(rawValue: UInt8(AF_INET))
    /// AF_INET6: IPv6.
    public static let inet6 = AddressFamily(rawValue: UInt8(AF_INET6))

    public static let names: [(AddressFamily, String)] = [(.unspecified, "unspec"), (.inet, "inet"), (.inet6, "inet6")]
}
