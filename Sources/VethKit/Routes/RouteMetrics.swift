import CLinuxUAPI
import Netlink

/// One route metric (an RTAX_* attribute inside RTA_METRICS), named as `ip route` names it: `mtu`,
/// `advmss`, `hoplimit`, `initcwnd`, `rtt`… The congestion control algorithm (`congctl`,
/// RTAX_CC_ALGO) is a string and lives in ``RouteMetrics/congestionControl``.
public struct RouteMetric: NamedKernelValue, Comparable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let mtu = RouteMetric(rawValue: UInt16(RTAX_MTU))
    public static let window = RouteMetric(rawValue: UInt16(RTAX_WINDOW))
    /// Round-trip time; ``RouteMetrics/value(_:)`` is in milliseconds (the kernel keeps ms × 8).
    public static let rtt = RouteMetric(rawValue: UInt16(RTAX_RTT))
    /// Round-trip time variance; milliseconds (the kernel keeps ms × 4).
    public static let rttvar = RouteMetric(rawValue: UInt16(RTAX_RTTVAR))
    public static let ssthresh = RouteMetric(rawValue: UInt16(RTAX_SSTHRESH))
    public static let cwnd = RouteMetric(rawValue: UInt16(RTAX_CWND))
    public static let advmss = RouteMetric(rawValue: UInt16(RTAX_ADVMSS))
    public static let reordering = RouteMetric(rawValue: UInt16(RTAX_REORDERING))
    public static let hoplimit = RouteMetric(rawValue: UInt16(RTAX_HOPLIMIT))
    public static let initcwnd = RouteMetric(rawValue: UInt16(RTAX_INITCWND))
    /// RTAX_FEATURE_* bits (ECN is the one a route may set).
    public static let features = RouteMetric(rawValue: UInt16(RTAX_FEATURES))
    /// The minimum retransmission time-out; milliseconds.
    public static let rtoMin = RouteMetric(rawValue: UInt16(RTAX_RTO_MIN))
    public static let initrwnd = RouteMetric(rawValue: UInt16(RTAX_INITRWND))
    public static let quickack = RouteMetric(rawValue: UInt16(RTAX_QUICKACK))
    public static let congestionControl = RouteMetric(rawValue: UInt16(RTAX_CC_ALGO))
    public static let fastopenNoCookie = RouteMetric(rawValue: UInt16(RTAX_FASTOPEN_NO_COOKIE))

    /// iproute2's names (its `mx_names`), in RTAX order.
    public static let names: [(RouteMetric, String)] = [
        (.mtu, "mtu"), (.window, "window"), (.rtt, "rtt"), (.rttvar, "rttvar"), (.ssthresh, "ssthresh"), (.cwnd, "cwnd"),
        (.advmss, "advmss"), (.reordering, "reordering"), (.hoplimit, "hoplimit"), (.initcwnd, "initcwnd"),
        (.features, "features"), (.rtoMin, "rto_min"), (.initrwnd, "initrwnd"), (.quickack, "quickack"),
        (.congestionControl, "congctl"), (.fastopenNoCookie, "fastopen_no_cookie"),
    ]

    /// The time metrics: given and shown in milliseconds.
    public var isTime: Bool { self == .rtt || self == .rttvar || self == .rtoMin }

    /// How many kernel units one millisecond is (8 for rtt, 4 for rttvar, 1 otherwise), as
    /// iproute2 converts them.
    public var unitsPerMillisecond: UInt32 { self == .rtt ? 8 : self == .rttvar ? 4 : 1 }

    public static func < (a: RouteMetric, b: RouteMetric) -> Bool { a.rawValue < b.rawValue }
}

/// A route's metrics (RTA_METRICS): per-route TCP and path settings such as `mtu lock 1400`,
/// `advmss 1360`, `initcwnd 10`, `congctl cubic`, as `ip route add … mtu lock 1400` sets them.
public struct RouteMetrics: Sendable, Hashable {
    /// Each metric's value in the kernel's units (rtt in ms × 8, rttvar in ms × 4).
    public var raw: [RouteMetric: UInt32] = [:]
    /// The congestion control algorithm (RTAX_CC_ALGO, `congctl`).
    public var congestionControl: String?
    /// Metrics the kernel must not change itself (RTAX_LOCK: `mtu lock 1400` keeps path MTU
    /// discovery from lowering it).
    public var locked: Set<RouteMetric> = []

    public init() {}

    /// True when the route carries none.
    public var isEmpty: Bool { raw.isEmpty && congestionControl == nil && locked.isEmpty }

    /// A metric in the units `ip route` reads and prints (milliseconds for rtt, rttvar and rto_min).
    public func value(_ m: RouteMetric) -> UInt32? { raw[m].map { $0 / m.unitsPerMillisecond } }

    /// Sets a metric given in `ip route`'s units (milliseconds for the time metrics); nil removes it.
    /// `rto_min` is locked as well, as `ip route add` locks it: TCP uses a route's rto_min only
    /// when it is locked.
    public mutating func set(_ m: RouteMetric, _ value: UInt32?, locked lock: Bool = false) {
        raw[m] = value.map { $0.multipliedReportingOverflow(by: m.unitsPerMillisecond).overflow ? UInt32.max : $0 * m.unitsPerMillisecond }
        if lock || (m == .rtoMin && value != nil) { locked.insert(m) }
    }

    /// The metrics `ip route` prints, in RTAX order (from RTAX_MTU on, each set or locked metric;
    /// a hop limit of -1, the kernel's "unset", is left out), with their kernel values.
    public var printed: [(RouteMetric, UInt32)] {
        var all = Set(raw.keys).union(locked)
        if congestionControl != nil { all.insert(.congestionControl) }
        return all.sorted().compactMap { m in
            let v = raw[m] ?? 0
            if m == .hoplimit && v == UInt32.max { return nil }
            return (m, v)
        }
    }

    /// Decodes RTA_METRICS' payload (RTAX_* attributes). Throws ``MalformedMessage`` for attributes
    /// that overrun it; a metric whose value is not 4 bytes is left out.
    init(decoding bytes: ArraySlice<UInt8>) throws {
        let attrs = try AttributeList(parsing: bytes)
        for a in attrs {
            let type = a.type & 0x3fff
            switch Int(type) {
            case Int(RTAX_UNSPEC): continue
            case Int(RTAX_LOCK):
                let mask = a.uint32 ?? 0
                for bit in 2..<32 where mask & (1 << UInt32(bit)) != 0 { locked.insert(RouteMetric(rawValue: UInt16(bit))) }
            case Int(RTAX_CC_ALGO): congestionControl = a.string
            default: if let v = a.uint32 { raw[RouteMetric(rawValue: type)] = v }
            }
        }
    }

    /// RTA_METRICS' payload: each metric in RTAX order, the algorithm's name, then RTAX_LOCK, as
    /// `ip route add` writes them.
    func encode(into m: inout MessageWriter) {
        for (metric, value) in raw.sorted(by: { $0.key < $1.key }) { m.attribute(metric.rawValue, uint32: value) }
        if let congestionControl { m.attribute(UInt16(RTAX_CC_ALGO), string: congestionControl) }
        let mask = locked.reduce(UInt32(0)) { $0 | ($1.rawValue < 32 ? 1 << UInt32($1.rawValue) : 0) }
        if mask != 0 { m.attribute(UInt16(RTAX_LOCK), uint32: mask) }
    }

    /// Checks what the kernel would refuse less clearly: a known metric, a hop limit of at most
    /// 255, only feature bits a route may carry (ECN), an algorithm name of at most 15 bytes.
    public func validate() throws {
        let known = Set(RouteMetric.names.map(\.0))
        for m in Set(raw.keys).union(locked) where !known.contains(m) {
            throw InvalidInput("route metric", String(m.rawValue), "is not a metric the kernel knows (mtu, advmss, hoplimit, initcwnd…)")
        }
        if let h = raw[.hoplimit], h > 255 { throw InvalidInput("hoplimit", String(h), "is over 255") }
        if let f = raw[.features], f & ~UInt32(RTAX_FEATURE_ECN) != 0 {
            throw InvalidInput("features", "0x" + String(f, radix: 16), "has bits other than ecn (the kernel refuses them)")
        }
        if let c = congestionControl, c.isEmpty || c.utf8.count > 15 || c.utf8.contains(where: { $0 < 0x21 || $0 > 0x7e }) {
            throw InvalidInput("congctl", c, "is not a congestion control name (1-15 printable characters, as cubic or reno)")
        }
    }
}
