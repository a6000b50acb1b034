import CLinuxUAPI

/// An IPv6 route's router preference (RTA_PREF, ICMPV6_ROUTER_PREF_*: RFC 4191): `low`,
/// `medium` or `high`, as `ip -6 route` names them; another number prints as the number.
public struct RoutePreference: NamedKernelValue {
    /// The kernel's number.
    public let rawValue: UInt8
    /// The value the kernel numbers `rawValue` (named or not).
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let low = RoutePreference(rawValue: UInt8(ICMPV6_ROUTER_PREF_LOW))
    public static let medium = RoutePreference(rawValue: UInt8(ICMPV6_ROUTER_PREF_MEDIUM))
    public static let high = RoutePreference(rawValue: UInt8(ICMPV6_ROUTER_PREF_HIGH))

    public static let names: [(RoutePreference, String)] = [(.low, "low"), (.medium, "medium"), (.high, "high")]
}
