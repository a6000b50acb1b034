import Glibc

/// An address family (AF_*), as carried by addresses and routes: `inet` or `inet6`.
public struct AddressFamily: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The AF_* number.
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// AF_UNSPEC: every family (in a dump request).
    public static let unspecified = AddressFamily(rawValue: UInt8(AF_UNSPEC))
    /// AF_INET: IPv4.
    public static let inet = AddressFamily(rawValue: UInt8(AF_INET))
    /// AF_INET6: IPv6.
    public static let inet6 = AddressFamily(rawValue: UInt8(AF_INET6))

    /// The name as iproute2 prints it (`inet`, `inet6`, `unspec`), or the number.
    public var name: String {
        switch self {
        case .unspecified: "unspec"
        case .inet: "inet"
        case .inet6: "inet6"
        default: String(rawValue)
        }
    }

    public var description: String { name }
}
