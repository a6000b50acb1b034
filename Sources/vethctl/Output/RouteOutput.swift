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
            var cells: [String] = [dst, gateway, dev, r.protocol.name, r.scope.name, metric, r.type.name, src, pref]
            cells.append(flags.isEmpty ? "-" : flags.joined(separator: ","))
            if withTable { cells.append(r.table.name) }
            t.add(cells)
            for n in r.nexthops { t.addLine("    " + nexthopText(n, names)) }
        }
        return t.text
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
        o.set("gateway", r.gateway.map { "\($0)" })
        o.set("dev", deviceName(r.device, names))
        if r.table != .main { o.set("table", r.table.name) }
        if r.protocol != .boot { o.set("protocol", r.protocol.name) }
        if r.scope != .universe { o.set("scope", r.scope.name) }
        o.set("prefsrc", r.preferredSource.map { "\($0)" })
        o.set("metric", r.metric)
        o.set("flags", .array(r.flags.names.map { JSON.string($0) }))
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
