import ArgumentParser
import VethKit

/// `route add|replace`'s metrics: ip route's `mtu`, `advmss`, `hoplimit`, `initcwnd`, `initrwnd`,
/// `window`, `cwnd`, `ssthresh`, `reordering`, `rtt`, `rttvar`, `rto_min`, `quickack`,
/// `fastopen_no_cookie`, `congctl`, `features ecn`, and `lock` as `--lock METRIC`.
struct RouteMetricOptions: ParsableArguments {
    @Option(help: "Path MTU.") var mtu: UInt32?
    @Option(help: "Advertised TCP MSS.") var advmss: UInt32?
    @Option(help: "IPv4 TTL / IPv6 hop limit of packets sent (1–255).") var hoplimit: UInt32?
    @Option(help: "Initial TCP congestion window (segments).") var initcwnd: UInt32?
    @Option(help: "Initial TCP receive window (segments).") var initrwnd: UInt32?
    @Option(help: "Largest TCP window advertised to the peer (bytes).") var window: UInt32?
    @Option(help: "TCP congestion window clamp (segments; takes effect only when locked).") var cwnd: UInt32?
    @Option(help: "Initial TCP slow-start threshold.") var ssthresh: UInt32?
    @Option(help: "Largest reordering TCP expects on the path.") var reordering: UInt32?
    @Option(help: "Initial round-trip time estimate, with a unit: 20ms, 1.5s.") var rtt: String?
    @Option(help: "Initial RTT variance, with a unit: 5ms.") var rttvar: String?
    @Option(name: .customLong("rto-min"), help: "Lowest TCP retransmission time-out, with a unit: 50ms.") var rtoMin: String?
    @Option(help: "TCP quick ACKs: 1 on, 0 off.") var quickack: UInt32?
    @Option(name: .customLong("fastopen-no-cookie"), help: "TCP Fast Open without a cookie: 1 on, 0 off.") var fastopenNoCookie: UInt32?
    @Option(help: "TCP congestion control algorithm for this route (cubic, reno…).") var congctl: String?
    @Flag(help: "Negotiate ECN on TCP connections over the route (`features ecn`).") var ecn = false
    @Option(help: ArgumentHelp("Lock a metric: the kernel may not change it (path MTU discovery may not lower a locked mtu). Repeat for each.", valueName: "metric"),
            completion: .list(RouteMetric.names.map(\.1)))
    var lock: [String] = []

    /// A time with its unit (`20ms`, `1.5s`, `500us`) in whole milliseconds; a plain number is
    /// refused, as ip reads one in the kernel's own units (1/8 ms for rtt), a trap.
    static func milliseconds(_ text: String, _ option: String) throws -> UInt32 {
        let units: [(String, Double)] = [("ms", 1), ("msec", 1), ("us", 0.001), ("usec", 0.001), ("s", 1000), ("sec", 1000)]
        for (suffix, scale) in units.sorted(by: { $0.0.count > $1.0.count }) where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard let v = Double(number), v.isFinite, v >= 0, v * scale < Double(UInt32.max / 8) else { break }
            return UInt32((v * scale).rounded())
        }
        throw InvalidInput(option, text, "is not a time with a unit (20ms, 1.5s, 500us)")
    }

    /// The metrics given, checked (a known metric to lock, a hop limit of at most 255…).
    func metrics() throws -> RouteMetrics {
        var m = RouteMetrics()
        let plain: [(RouteMetric, UInt32?)] = [(.mtu, mtu), (.advmss, advmss), (.hoplimit, hoplimit), (.initcwnd, initcwnd),
                                               (.initrwnd, initrwnd), (.window, window), (.cwnd, cwnd), (.ssthresh, ssthresh),
                                               (.reordering, reordering), (.quickack, quickack), (.fastopenNoCookie, fastopenNoCookie)]
        for (metric, value) in plain { if let value { m.set(metric, value) } }
        for (metric, text, option) in [(RouteMetric.rtt, rtt, "rtt"), (.rttvar, rttvar, "rttvar"), (.rtoMin, rtoMin, "rto-min")] {
            if let text { m.set(metric, try Self.milliseconds(text, option)) }
        }
        if let q = quickack, q > 1 { throw InvalidInput("quickack", String(q), "is not 0 or 1") }
        if let f = fastopenNoCookie, f > 1 { throw InvalidInput("fastopen-no-cookie", String(f), "is not 0 or 1") }
        m.congestionControl = congctl
        if ecn { m.set(.features, 1) }
        for name in lock {
            guard let metric = RouteMetric.names.first(where: { $0.1 == name || $0.1 == String(name.map { $0 == "-" ? "_" : $0 }) })?.0 else {
                throw InvalidInput("lock", name, "is not a metric (\(RouteMetric.names.map(\.1).joined(separator: ", ")))")
            }
            m.locked.insert(metric)
        }
        try m.validate()
        return m
    }
}
