import CLinuxUAPI

/// A route's or a next hop's flags (`rtm_flags`, `rtnh_flags`: RTNH_F_* and RTM_F_*), with the
/// names `ip route` prints (`linkdown`, `onlink`, `rt_offload`…).
public struct RouteFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The next hop is dead (multipath).
    public static let dead = RouteFlags(rawValue: UInt32(RTNH_F_DEAD))
    /// Recursive gateway lookup.
    public static let pervasive = RouteFlags(rawValue: UInt32(RTNH_F_PERVASIVE))
    /// The gateway is taken to be on the link, reachable or not.
    public static let onlink = RouteFlags(rawValue: UInt32(RTNH_F_ONLINK))
    /// The next hop is offloaded to hardware.
    public static let offload = RouteFlags(rawValue: UInt32(RTNH_F_OFFLOAD))
    /// The output device has no carrier.
    public static let linkdown = RouteFlags(rawValue: UInt32(RTNH_F_LINKDOWN))
    /// An unresolved multicast entry.
    public static let unresolved = RouteFlags(rawValue: UInt32(RTNH_F_UNRESOLVED))
    /// The next hop traps packets to the CPU.
    public static let trap = RouteFlags(rawValue: UInt32(RTNH_F_TRAP))
    /// The requester asked to be notified of changes.
    public static let notify = RouteFlags(rawValue: UInt32(RTM_F_NOTIFY))
    /// A cached (cloned) route.
    public static let cloned = RouteFlags(rawValue: UInt32(RTM_F_CLONED))
    /// The route is offloaded to hardware.
    public static let routeOffload = RouteFlags(rawValue: UInt32(RTM_F_OFFLOAD))
    /// The route traps packets to the CPU.
    public static let routeTrap = RouteFlags(rawValue: UInt32(RTM_F_TRAP))
    /// Offloading the route failed.
    public static let routeOffloadFailed = RouteFlags(rawValue: UInt32(RTM_F_OFFLOAD_FAILED))

    /// The flags `ip route` prints, in its order and spelling.
    public static let printed: [(RouteFlags, String)] = [
        (.dead, "dead"), (.onlink, "onlink"), (.pervasive, "pervasive"), (.offload, "offload"), (.trap, "trap"),
        (.notify, "notify"), (.linkdown, "linkdown"), (.unresolved, "unresolved"), (.routeOffload, "rt_offload"),
        (.routeTrap, "rt_trap"), (.routeOffloadFailed, "rt_offload_failed"),
    ]

    /// The set flags as `ip -j route` lists them (`["linkdown"]`); flags ip does not print are left out.
    public var names: [String] { Self.printed.filter { contains($0.0) }.map(\.1) }
}
