import VethKit
import VethKitJSON

/// Neighbour entries as `ip -j neigh` prints them (dst, dev, lladdr, `router`/`proxy`/… as null
/// keys, with -s refcnt/used/confirmed/updated/probes, state by name, protocol), and the text table.
enum NeighbourOutput {
    static func json(_ n: Neighbour, dev: String?, statistics: Bool = false) -> JSON {
        var o = JSONObject()
        o.set("dst", n.destination.map { "\($0)" })
        o.set("dev", dev)
        o.set("lladdr", n.linkLayerAddress?.description)
        for f in n.flagNames { o.set(f, .null) }  // ip -j neigh: "router": null
        if statistics {
            if let c = n.cache {
                if c.referenceCount != 0 { o.set("refcnt", c.referenceCount) }
                o.set("used", c.used)
                o.set("confirmed", c.confirmed)
                o.set("updated", c.updated)
            }
            o.set("probes", n.probes)
        }
        if n.state != 0 { o.set("state", .array(n.stateNames.map { .string($0) })) }
        o.set("protocol", n.protocol.map { RouteProtocol(rawValue: $0).name })
        return o.json
    }

    /// ADDRESS DEV LLADDR STATE FLAGS, and with `statistics` USED CONFIRMED UPDATED PROBES (seconds).
    static func text(_ list: [Neighbour], _ names: [Int32: String], statistics: Bool) -> String {
        var t = Table(["ADDRESS", "DEV", "LLADDR", "STATE", "FLAGS"] + (statistics ? ["USED", "CONFIRMED", "UPDATED", "PROBES"] : []))
        for n in list {
            var row = [n.destination.map { "\($0)" } ?? "-", names[n.linkIndex] ?? String(n.linkIndex),
                       n.linkLayerAddress?.description ?? "-", n.state == 0 ? "NONE" : n.stateNames.joined(separator: ","),
                       n.flagNames.isEmpty ? "-" : n.flagNames.joined(separator: ",")]
            if statistics {
                row += [n.cache.map { "\($0.used)s" } ?? "-", n.cache.map { "\($0.confirmed)s" } ?? "-",
                        n.cache.map { "\($0.updated)s" } ?? "-", n.probes.map(String.init) ?? "-"]
            }
            t.add(row)
        }
        return t.text
    }
}
