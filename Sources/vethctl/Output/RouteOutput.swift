import VethKitJSON
import VethKit

/// `route show`'s text and JSON: the keys and values `ip -j route` prints (type omitted for
/// unicast, protocol for boot, scope for global, table for main), and the text table.
enum RouteOutput {
    /// The text table: one row per route; a multipath route's next hops follow on lines of their
    /// own, as `ip route` prints them (`nexthop via GW dev DEV weight W`). `withTable` adds TABLE.
    static func text(_ routes: [Route], _ names: [Int32: String], withTable: Bool) -> String {
        var t = Table(["DESTINATION", "GATEWAY", "DEV", "PROTO", "SCOPE", "METRIC", "TYPE", "SRC", "PREF", "FLAGS"]
                      + (withTable ? ["TABLE"] : []))
        for r in routes {
            let flags: [String] = r.flags.names
            let dst: String = r.destinationText + (r.family == .inet6 && r.isDefault ? " (v6)" : "")
            let gateway: String = r.gateway.map { "\($0)" } ?? "-"
            let dev: String = deviceName(r.device, names) ?? "-"
            let metric: String = r.metric.map { String($0) } ?? "-"
            let src: String = r.preferredSource.map { "\($0)" } ?? "-"
            let pref: String = r.preference?.name ?? "-"
            // A cached route (`route get`'s answer) has no protocol or scope of its own.
            let cached = r.flags.contains(.cloned)
            var cells: [String] = [dst, gateway, dev, cached ? "-" : r.protocol.name, cached ? "-" : r.scope.name, metric, r.type.name, src, pref]
            cells.append(flags.isEmpty ? "-" : flags.joined(separator: ","))
            if withTable { cells.append(r.table.name) }
            t.add(cells)
            let more = detailText(r, names)
            if !more.isEmpty { t.addLine("    " + more) }
            for n in r.nexthops { t.addLine("    " + nexthopText(n, names)) }
        }
        return t.text
    }

    /// What the columns leave out, in `ip route`'s words: `nhid N`, `from`, `iif`, `mark`, `uid`,
    /// `cache <…>`, `expires Nsec`, `error E`, then the metrics (`mtu lock 1400 advmss 1360
    /// rtt 20ms congctl cubic`); empty when the route has none of them.
    static func detailText(_ r: Route, _ names: [Int32: String]) -> String {
        var words: [String] = []
        if let id = r.nexthopID { words += ["nhid", String(id)] }
        if let s = r.source { words += ["from", s.prefixLength == s.address.bitWidth ? "\(s.address)" : "\(s)"] }
        if let i = deviceName(r.inputDevice, names) { words += ["iif", i] }
        if let m = r.mark { words += ["mark", m >= 16 ? "0x" + String(m, radix: 16) : String(m)] }
        if let u = r.uid { words += ["uid", String(u)] }
        if r.family == .inet && r.flags.contains(.cloned) {
            let c = RouteCacheFlags(rawValue: r.flags.rawValue).names
            words += ["cache"] + (c.isEmpty ? [] : ["<" + c.joined(separator: ",") + ">"])
        }
        if let e = r.expires { words += ["expires", "\(e)sec"] }
        if let e = r.cacheError { words += ["error", String(e)] }
        for (m, v) in r.metrics.printed {
            words.append(m.name)
            if r.metrics.locked.contains(m) { words.append("lock") }
            switch m {
            case .congestionControl: words.append(r.metrics.congestionControl ?? "")
            case .features:
                if v & 1 != 0 { words.append("ecn") }
                if v & ~1 != 0 { words.append("0x" + String(v, radix: 16)) }
            case _ where m.isTime:
                let ms = v / m.unitsPerMillisecond
                words.append(ms < 1000 ? "\(ms)ms" : ms % 1000 == 0 ? "\(ms / 1000)s" : "\(Double(ms) / 1000)s")
            default: words.append(String(v))
            }
        }
        return words.joined(separator: " ")
    }

    /// RTA_METRICS as `ip -j route` prints it: `[{"mtu":1400,"rtt":20,"ecn":null,"congestion":"cubic"}]`
    /// (time metrics in milliseconds; `features` as a hex string when it has bits besides ecn).
    static func metricsJSON(_ x: RouteMetrics) -> JSON {
        var o = JSONObject()
        for (m, v) in x.printed {
            switch m {
            case .congestionControl: o.set("congestion", x.congestionControl ?? "")
            case .features:
                if v & 1 != 0 { o.set("ecn", JSON.null) }
                if v & ~1 != 0 { o.set("features", "0x" + String(v, radix: 16)) }
            case _ where m.isTime: o.set(m.name, v / m.unitsPerMillisecond)
            default: o.set(m.name, v)
            }
        }
        return .array([o.json])
    }

    /// `nexthop via GW dev DEV weight W [FLAGS]`, as `ip route` prints a next hop.
    static func nexthopText(_ n: RouteNextHop, _ names: [Int32: String]) -> String {
        var words = ["nexthop"]
        if let g = n.gateway { words += ["via", "\(g)"] }
        words += ["dev", deviceName(n.device, names) ?? "*", "weight", String(n.weight)]
        return (words + n.flags.names).joined(separator: " ")
    }

    /// One route as `ip -j route` prints it.
    static func json(_ r: Route, _ names: [Int32: String]) -> JSON {
        var o = JSONObject()
        if r.type != .unicast { o.set("type", r.type.name) }
        o.set("dst", r.destinationText)
        if let s = r.source { o.set("from", s.prefixLength == s.address.bitWidth ? "\(s.address)" : "\(s)") }
        o.set("nhid", r.nexthopID)
        o.set("gateway", r.gateway.map { "\($0)" })
        o.set("dev", deviceName(r.device, names))
        if r.table != .main { o.set("table", r.table.name) }
        // A cached route (`ip route get`'s answer) has no protocol or scope of its own.
        if !r.flags.contains(.cloned) {
            if r.protocol != .boot { o.set("protocol", r.protocol.name) }
            if r.scope != .universe { o.set("scope", r.scope.name) }
        }
        o.set("prefsrc", r.preferredSource.map { "\($0)" })
        o.set("metric", r.metric)
        o.set("flags", .array(r.flags.names.map { JSON.string($0) }))
        o.set("mark", r.mark)
        o.set("uid", r.uid)
        if r.family == .inet && r.flags.contains(.cloned) {
            o.set("cache", .array(RouteCacheFlags(rawValue: r.flags.rawValue).names.map { JSON.string($0) }))
        }
        o.set("expires", r.expires)
        o.set("error", r.cacheError)
        if !r.metrics.printed.isEmpty { o.set("metrics", metricsJSON(r.metrics)) }
        o.set("iif", deviceName(r.inputDevice, names))
        o.set("pref", r.preference?.name)
        if !r.nexthops.isEmpty {
            o.set("nexthops", .array(r.nexthops.map { n in
                var h = JSONObject()
                h.set("gateway", n.gateway.map { "\($0)" })
                h.set("dev", deviceName(n.device, names))
                h.set("weight", n.weight)
                h.set("flags", .array(n.flags.names.map { JSON.string($0) }))
                return h.json
            }))
        }
        return o.json
    }

    /// An output device's name (decoded routes carry its index).
    static func deviceName(_ d: LinkReference?, _ names: [Int32: String]) -> String? {
        switch d {
        case .index(let i)?: names[i]
        case .name(let n)?: n.rawValue
        case nil: nil
        }
    }
}
