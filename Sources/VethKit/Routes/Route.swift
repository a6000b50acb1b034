import CLinuxUAPI
import Glibc
import Netlink

/// A route (RTM_NEWROUTE): destination, gateway, output device, metric, table.
public struct Route: Sendable, Hashable {
    /// The destination prefix, host bits cleared; a default route's is 0.0.0.0/0 or ::/0.
    public var destination: IPNetwork
    /// The destination's family (``AddressFamily/inet`` or ``AddressFamily/inet6``).
    public var family: AddressFamily
    /// The next hop (RTA_GATEWAY).
    public var gateway: IPAddress?
    /// The output interface (RTA_OIF). Decoded routes carry ``LinkReference/index(_:)``; a name is
    /// resolved in the handle's namespace before anything is sent.
    public var device: LinkReference?
    /// RTA_PRIORITY. Nil sends none (the kernel then uses 0 for IPv4, 1024 for IPv6).
    public var metric: UInt32?
    /// The routing table (main by default).
    public var table: RouteTable
    /// Who installed it (``RouteProtocol/boot`` by default, as `ip route add`).
    public var `protocol`: RouteProtocol
    /// How far it reaches: link for a route without a gateway, universe (global) with one.
    public var scope: RouteScope
    /// What it does with packets (unicast by default).
    public var type: RouteType
    /// The preferred source address (RTA_PREFSRC; `src` in `ip route`).
    public var preferredSource: IPAddress?
    /// The next hops of a multipath route (RTA_MULTIPATH); empty for a single-path route, whose
    /// next hop is ``gateway`` and ``device``.
    public var nexthops: [RouteNextHop] = []
    /// `rtm_flags`: `linkdown`, `onlink`… (a single path's next-hop flags are folded in by the kernel).
    public var flags: RouteFlags = []
    /// An IPv6 route's router preference (RTA_PREF); nil when the kernel sends none (IPv4).
    public var preference: RoutePreference?
    /// Per-route TCP and path settings (RTA_METRICS: `mtu lock 1400`, `advmss`, `initcwnd`…).
    public var metrics = RouteMetrics()
    /// The nexthop object the route uses (RTA_NH_ID, `nhid` in `ip route`); its next hops are
    /// also in ``gateway``/``device`` or ``nexthops``, as the kernel reports them.
    public var nexthopID: UInt32?
    /// Seconds until the route expires (RTA_CACHEINFO's `rta_expires`; an IPv6 route added with
    /// `expires`, or one learnt from a router advertisement); nil for one that does not.
    public var expires: Int?
    /// The cached route's error (RTA_CACHEINFO's `rta_error`), nil when 0.
    public var cacheError: UInt32?
    /// The source prefix (RTA_SRC, `from` in `ip route get`); nil for a route of any source.
    public var source: IPNetwork?
    /// The input interface (RTA_IIF) of a looked-up route (`ip route get … iif DEV`).
    public var inputDevice: LinkReference?
    /// The firewall mark of a looked-up route (RTA_MARK), nil when 0.
    public var mark: UInt32?
    /// The user id the lookup was made for (RTA_UID: `uid` in `ip route get`).
    public var uid: UInt32?

    /// A route to add or delete. Left nil, the scope and table are what `ip route add` picks:
    /// scope host for a `local` or `nat` route, link for `broadcast`, `multicast`, `anycast` and
    /// for a unicast route with neither gateway nor next hops, universe (global) otherwise; table
    /// local for `local`, `broadcast`, `anycast` and `nat`, main otherwise. `nexthops` makes a
    /// multipath route (then no ``gateway`` or ``device`` of its own); `flags` may hold
    /// ``RouteFlags/onlink``.
    public init(destination: IPNetwork, gateway: IPAddress? = nil, device: LinkReference? = nil, metric: UInt32? = nil,
                table: RouteTable? = nil, protocol: RouteProtocol = .boot, scope: RouteScope? = nil,
                type: RouteType = .unicast, preferredSource: IPAddress? = nil, nexthops: [RouteNextHop] = [], flags: RouteFlags = [],
                metrics: RouteMetrics = RouteMetrics(), nexthopID: UInt32? = nil) {
        self.destination = destination.masked
        family = destination.family
        self.gateway = gateway
        self.device = device
        self.metric = metric
        self.protocol = `protocol`
        self.type = type
        self.preferredSource = preferredSource
        self.nexthops = nexthops
        self.flags = flags
        self.metrics = metrics
        self.nexthopID = nexthopID
        self.scope = scope ?? Route.defaultScope(type: type, hasGateway: gateway != nil || !nexthops.isEmpty || nexthopID != nil)
        self.table = table ?? ([.local, .broadcast, .anycast, .nat].contains(type) ? .local : .main)
    }

    /// The scope `ip route add` gives a route of `type` when none is named.
    static func defaultScope(type: RouteType, hasGateway: Bool) -> RouteScope {
        switch type {
        case .local, .nat: .host
        case .broadcast, .multicast, .anycast: .link
        case .unicast, .unspecified: hasGateway ? .universe : .link
        default: .universe
        }
    }

    /// The default route of `gateway`'s family through `gateway` (`ip route add default via GW`).
    public static func defaultRoute(via gateway: IPAddress, device: LinkReference? = nil, metric: UInt32? = nil) -> Route {
        Route(destination: .all(gateway.family), gateway: gateway, device: device, metric: metric)
    }

    /// True for a default route (0.0.0.0/0 or ::/0).
    public var isDefault: Bool { destination.prefixLength == 0 }

    /// The destination as iproute2 prints it: `default` or `192.168.1.0/24` (host routes without /32).
    public var destinationText: String {
        let d = destination
        if d.prefixLength == 0 { return "default" }
        return d.prefixLength == d.address.bitWidth ? "\(d.address)" : "\(d)"
    }

    /// The metric the kernel gives a route sent without one: 0 for IPv4, 1024 for IPv6.
    public var effectiveMetric: UInt32 { metric ?? (family == .inet6 ? 1024 : 0) }

    /// THE route identity, as the kernel keys a route: same family, destination (host bits
    /// cleared), table (unspecified counts as main), metric (an absent one as the kernel's
    /// default), gateway; and the device when both name one the same way (both by index or both
    /// by name). Protocol, scope and type are attributes of the route, not part of its identity.
    public func matches(_ other: Route) -> Bool {
        func normal(_ t: RouteTable) -> RouteTable { t == .unspecified ? .main : t }
        guard family == other.family, destination.masked == other.destination.masked,
              normal(table) == normal(other.table), effectiveMetric == other.effectiveMetric,
              gateway == other.gateway else { return false }
        switch (device, other.device) {
        case (.index(let a)?, .index(let b)?): return a == b
        case (.name(let a)?, .name(let b)?): return a == b
        default: return true
        }
    }

    /// Checks the route before any syscall: gateway and destination of one family, a way out for
    /// the types that deliver, none for those that refuse (blackhole, unreachable, prohibit,
    /// throw: the kernel rejects a gateway or device on them), next hops or a single path.
    public func validate() throws {
        let familyName = family == .inet ? "IPv4" : "IPv6"
        if let gateway, gateway.family != family {
            throw InvalidInput("gateway", "\(gateway)", "is not of the destination's address family (\(familyName))")
        }
        if let preferredSource, preferredSource.family != family {
            throw InvalidInput("source", "\(preferredSource)", "is not of the destination's address family (\(familyName))")
        }
        let refuses = [RouteType.blackhole, .unreachable, .prohibit, .throw].contains(type)
        if refuses && (gateway != nil || device != nil || !nexthops.isEmpty) {
            throw InvalidInput("route", "\(type.name) \(destinationText)", "takes no gateway, device or next hop (the kernel drops its packets itself)")
        }
        if !nexthops.isEmpty {
            if gateway != nil || device != nil {
                throw InvalidInput("route", destinationText, "has next hops: give the gateway and device in each next hop, not for the route")
            }
            if nexthops.count > 256 { throw InvalidInput("route", destinationText, "has \(nexthops.count) next hops (at most 256)") }
            for (i, n) in nexthops.enumerated() {
                if let g = n.gateway, g.family != family {
                    throw InvalidInput("next hop \(i + 1) gateway", "\(g)", "is not of the destination's address family (\(familyName))")
                }
                if n.gateway == nil && n.device == nil { throw InvalidInput("next hop", "\(i + 1)", "needs a gateway or a device") }
                if !(1...256).contains(n.weight) { throw InvalidInput("next hop \(i + 1) weight", String(n.weight), "is not in 1…256") }
            }
        }
        if let nexthopID {
            if nexthopID == 0 { throw InvalidInput("nhid", "0", "is not a nexthop object id (1 or more)") }
            if gateway != nil || device != nil || !nexthops.isEmpty {
                throw InvalidInput("route", destinationText, "uses nexthop object \(nexthopID): its gateway and device are the object's, give none here")
            }
            if refuses { throw InvalidInput("route", "\(type.name) \(destinationText)", "takes no nexthop object") }
        }
        if gateway == nil && device == nil && nexthops.isEmpty && nexthopID == nil && !refuses {
            throw InvalidInput("route", destinationText, "needs a gateway (--via), a device (--dev), next hops (--nexthop) or a nexthop object (--nhid)")
        }
        try metrics.validate()
    }

    /// Decodes an RTM_NEWROUTE message (inet and inet6 only: ``MalformedMessage`` otherwise).
    /// For the fuzzer of the decoders (fuzz/): `@_spi(Decoding) import VethKit`.
    @_spi(Decoding) public init(message: NetlinkMessage) throws {
        let h = try message.header(rtmsg.self)
        let attrs = try message.attributes(after: rtmsg.self)
        family = AddressFamily(rawValue: h.rtm_family)
        table = RouteTable(rawValue: UInt32(h.rtm_table))
        self.protocol = RouteProtocol(rawValue: h.rtm_protocol)
        scope = RouteScope(rawValue: h.rtm_scope)
        type = RouteType(rawValue: h.rtm_type)
        if let d = attrs[UInt16(RTA_DST.rawValue)], let a = IPAddress(bytes: d.value) {
            guard a.family == family else { throw MalformedMessage("route of family \(family) with a destination of \(a.family)") }
            destination = try IPNetwork(address: a, prefixLength: Int(h.rtm_dst_len)).masked
        } else if h.rtm_dst_len > 0 {
            throw MalformedMessage("route with a prefix length but no RTA_DST")
        } else if family == .inet || family == .inet6 {
            destination = .all(family)
        } else {
            throw MalformedMessage("route of family \(family): only inet and inet6 are decoded")
        }
        gateway = attrs[UInt16(RTA_GATEWAY.rawValue)].flatMap { IPAddress(bytes: $0.value) }
        device = attrs[UInt16(RTA_OIF.rawValue)]?.int32.map { .index($0) }
        metric = attrs[UInt16(RTA_PRIORITY.rawValue)]?.uint32
        preferredSource = attrs[UInt16(RTA_PREFSRC.rawValue)].flatMap { IPAddress(bytes: $0.value) }
        if let t = attrs[UInt16(RTA_TABLE.rawValue)]?.uint32 { table = RouteTable(rawValue: t) }
        flags = RouteFlags(rawValue: h.rtm_flags)
        if let mp = attrs[UInt16(RTA_MULTIPATH.rawValue)] { nexthops = try RouteNextHop.list(decoding: mp.value) }
        preference = attrs[UInt16(RTA_PREF.rawValue)]?.uint8.map { RoutePreference(rawValue: $0) }
        if let mx = attrs[UInt16(RTA_METRICS.rawValue)] { metrics = try RouteMetrics(decoding: mx.value) }
        nexthopID = attrs[UInt16(RTA_NH_ID.rawValue)]?.uint32
        if let c = attrs[UInt16(RTA_CACHEINFO.rawValue)]?.structure(rta_cacheinfo.self) {
            // rta_expires is in clock ticks (USER_HZ), as iproute2 divides it.
            if c.rta_expires != 0 { expires = Int(c.rta_expires) / Route.clockTicksPerSecond }
            if c.rta_error != 0 { cacheError = c.rta_error }
        }
        if let d = attrs[UInt16(RTA_SRC.rawValue)], let a = IPAddress(bytes: d.value), a.family == family {
            source = try IPNetwork(address: a, prefixLength: Int(h.rtm_src_len))
        }
        inputDevice = attrs[UInt16(RTA_IIF.rawValue)]?.int32.map { .index($0) }
        mark = attrs[UInt16(RTA_MARK.rawValue)]?.uint32.flatMap { $0 == 0 ? nil : $0 }
        uid = attrs[UInt16(RTA_UID.rawValue)]?.uint32
    }

    /// USER_HZ: the unit of RTA_CACHEINFO's times (sysconf(_SC_CLK_TCK), 100 on Linux).
    static let clockTicksPerSecond = max(1, sysconf(Int32(_SC_CLK_TCK)))

    /// Writes the RTM_NEWROUTE / RTM_DELROUTE request as the next message of `m`, with the output
    /// device's index resolved (`deviceIndex`). With `matchingProtocol`, an RTM_DELROUTE carries
    /// ``protocol`` and the kernel deletes only a route of that protocol (ESRCH otherwise).
    /// `replace`: an RTM_NEWROUTE with NLM_F_REPLACE instead of NLM_F_EXCL (`ip route replace`):
    /// the route of the same key (destination, table, metric; tos) is changed, or made if none is.
    func encode(_ messageType: Int32, deviceIndex: Int32?, matchingProtocol: Bool = false, replace: Bool = false, into m: inout MessageWriter) {
        let isNew = messageType == Int32(RTM_NEWROUTE)
        m.begin(type: UInt16(messageType), flags: isNew ? NLM_F_CREATE | (replace ? Int32(NLM_F_REPLACE) : NLM_F_EXCL) : 0)
        var h = rtmsg()
        h.rtm_family = family.rawValue
        h.rtm_dst_len = UInt8(destination.prefixLength)
        h.rtm_table = table.rawValue < 256 ? UInt8(table.rawValue) : UInt8(RT_TABLE_UNSPEC.rawValue)
        h.rtm_protocol = isNew || matchingProtocol ? self.protocol.rawValue : 0
        h.rtm_scope = isNew ? scope.rawValue : RouteScope.nowhere.rawValue
        // A delete names the type only when it is not unicast (`ip route del blackhole …`): the
        // kernel then deletes only a route of that type.
        h.rtm_type = isNew || type != .unicast ? type.rawValue : 0
        h.rtm_flags = isNew ? flags.intersection(.onlink).rawValue : 0
        m.append(header: h)
        if destination.prefixLength > 0 { m.attribute(UInt16(RTA_DST.rawValue), destination.network.bytes) }
        if let gateway { m.attribute(UInt16(RTA_GATEWAY.rawValue), gateway.bytes) }
        if let deviceIndex { m.attribute(UInt16(RTA_OIF.rawValue), uint32: UInt32(bitPattern: deviceIndex)) }
        if let metric { m.attribute(UInt16(RTA_PRIORITY.rawValue), uint32: metric) }
        if let preferredSource, isNew { m.attribute(UInt16(RTA_PREFSRC.rawValue), preferredSource.bytes) }
        if table.rawValue >= 256 { m.attribute(UInt16(RTA_TABLE.rawValue), uint32: table.rawValue) }
        if !nexthops.isEmpty { m.attribute(UInt16(RTA_MULTIPATH.rawValue), RouteNextHop.encode(nexthops)) }
        if isNew && !metrics.isEmpty { m.attribute(UInt16(RTA_METRICS.rawValue)) { metrics.encode(into: &$0) } }
        if let nexthopID, isNew { m.attribute(UInt16(RTA_NH_ID.rawValue), uint32: nexthopID) }
    }

    /// The request as a message of its own (tests compare its bytes).
    func request(_ messageType: Int32, deviceIndex: Int32? = nil, matchingProtocol: Bool = false) -> MessageWriter {
        var m = MessageWriter(capacity: 128)
        var index = deviceIndex
        if index == nil, case .index(let i)? = device { index = i }
        encode(messageType, deviceIndex: index, matchingProtocol: matchingProtocol, into: &m)
        return m
    }
}
