import CLinuxUAPI

/// A nexthop object (`ip nexthop`, RTM_NEWNEXTHOP): a next hop with an id that routes share
/// (`nhid`). One of: a gateway on a device, a device alone, a blackhole, or a group of other
/// nexthop objects with weights (multipath, or resilient with a bucket table).
public struct NextHopObject: Hashable, Sendable {
    /// NHA_ID (1 and up).
    public var id: UInt32
    /// nh_family: AF_INET or AF_INET6; AF_UNSPEC for a group.
    public var family: AddressFamily
    /// NHA_GATEWAY.
    public var gateway: IPAddress?
    /// NHA_OIF: the device (decoded objects carry its index).
    public var device: LinkReference?
    /// NHA_BLACKHOLE: drop the packets.
    public var blackhole: Bool
    /// nh_flags (RTNH_F_*: onlink, dead, linkdown…).
    public var flags: RouteFlags
    /// NHA_GROUP: the members of a group.
    public var group: [NextHopGroupMember]
    /// NHA_GROUP_TYPE.
    public var groupType: NextHopGroupType
    /// NHA_RES_GROUP: a resilient group's bucket table and timers.
    public var resilient: ResilientGroupParameters?
    /// nh_protocol: who made it.
    public var `protocol`: RouteProtocol
    /// nh_scope (reported by the kernel: link for a gateway, host for a device alone).
    public var scope: RouteScope
    /// NHA_FDB: a nexthop of a bridge's forwarding database (VXLAN), not for routes.
    public var fdb: Bool

    /// A nexthop object to add (``NetHandle/addNextHop(_:)``).
    public init(id: UInt32, family: AddressFamily? = nil, gateway: IPAddress? = nil, device: LinkReference? = nil,
                blackhole: Bool = false, onlink: Bool = false, group: [NextHopGroupMember] = [],
                groupType: NextHopGroupType = .multipath, resilient: ResilientGroupParameters? = nil,
                protocol: RouteProtocol = .unspecified, fdb: Bool = false) {
        self.id = id
        self.family = family ?? (group.isEmpty ? gateway?.family ?? .inet : .unspecified)
        self.gateway = gateway
        self.device = device
        self.blackhole = blackhole
        flags = onlink ? .onlink : []
        self.group = group
        self.groupType = groupType
        self.resilient = resilient
        self.protocol = `protocol`
        scope = .universe
        self.fdb = fdb
    }

    /// True for a group.
    public var isGroup: Bool { !group.isEmpty }
}

/// One member of a nexthop group: a nexthop object's id and its weight (1–256).
public struct NextHopGroupMember: Hashable, Sendable {
    public var id: UInt32
    public var weight: Int
    public init(id: UInt32, weight: Int = 1) {
        self.id = id
        self.weight = weight
    }
}

/// NEXTHOP_GRP_TYPE_*: how a group spreads flows over its members.
public enum NextHopGroupType: UInt16, Hashable, Sendable {
    /// NEXTHOP_GRP_TYPE_MPATH: hash-threshold (the default).
    case multipath = 0
    /// NEXTHOP_GRP_TYPE_RES: resilient hashing (a table of buckets; flows keep their member).
    case resilient = 1
}

/// A resilient group's parameters (NHA_RES_GROUP_*), times in seconds.
public struct ResilientGroupParameters: Hashable, Sendable {
    /// The number of buckets (default 128).
    public var buckets: UInt16?
    /// Seconds a bucket must be idle before it may move to another member (default 120).
    public var idleTimer: UInt32?
    /// Seconds the group may stay unbalanced before busy buckets move too (0: never).
    public var unbalancedTimer: UInt32?
    /// Seconds the group has been unbalanced (reported only).
    public var unbalancedTime: UInt64?
    public init(buckets: UInt16? = nil, idleTimer: UInt32? = nil, unbalancedTimer: UInt32? = nil) {
        self.buckets = buckets
        self.idleTimer = idleTimer
        self.unbalancedTimer = unbalancedTimer
    }
}
