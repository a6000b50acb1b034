import VethKitJSON
import VethKit

/// `nexthop show`'s JSON (the keys and values `ip -j nexthop show` prints) and its text table.
enum NexthopOutput {
    /// One nexthop object as `ip -j nexthop show` prints it: scope unless global, protocol
    /// unless unspec, a member's weight unless 1, the group type unless multipath.
    static func json(_ n: NextHopObject, _ names: [Int32: String]) -> JSON {
        var o = JSONObject()
        o.set("id", n.id)
        if n.isGroup {
            o.set("group", .array(n.group.map { g in
                var m = JSONObject()
                m.set("id", g.id)
                if g.weight != 1 { m.set("weight", g.weight) }
                return m.json
            }))
            if n.groupType == .resilient {
                o.set("type", "resilient")
                if let r = n.resilient {
                    var a = JSONObject()
                    a.set("buckets", r.buckets.map(Int.init))
                    a.set("idle_timer", r.idleTimer)
                    a.set("unbalanced_timer", r.unbalancedTimer)
                    a.set("unbalanced_time", r.unbalancedTime)
                    o.set("resilient_args", a.json)
                }
            }
        }
        o.set("gateway", n.gateway.map { "\($0)" })
        o.set("dev", RouteOutput.deviceName(n.device, names))
        if n.scope != .universe { o.set("scope", n.scope.name) }
        if n.protocol != .unspecified { o.set("protocol", n.protocol.name) }
        if n.blackhole { o.set("blackhole", JSON.null) }
        o.set("flags", .array(n.flags.names.map { JSON.string($0) }))
        if n.fdb { o.set("fdb", JSON.null) }
        return o.json
    }

    /// A group's members in ip's words: `1,3/4` (id, then `,weight` unless 1; `/` between members).
    static func groupText(_ n: NextHopObject) -> String {
        n.group.map { $0.weight == 1 ? "\($0.id)" : "\($0.id),\($0.weight)" }.joined(separator: "/")
    }

    /// The text table: ID VIA DEV SCOPE PROTO GROUP FLAGS, one row per object.
    static func text(_ list: [NextHopObject], _ names: [Int32: String]) -> String {
        var t = Table("ID", "VIA", "DEV", "SCOPE", "PROTO", "GROUP", "FLAGS")
        for n in list {
            var group = n.isGroup ? groupText(n) : n.blackhole ? "blackhole" : "-"
            if n.groupType == .resilient, let r = n.resilient {
                group += " resilient buckets \(r.buckets ?? 0) idle_timer \(r.idleTimer ?? 0) unbalanced_timer \(r.unbalancedTimer ?? 0)"
            }
            let flags = n.flags.names + (n.fdb ? ["fdb"] : [])
            t.add(["\(n.id)", n.gateway.map { "\($0)" } ?? "-", RouteOutput.deviceName(n.device, names) ?? "-", n.scope.name,
                   n.protocol.name, group, flags.isEmpty ? "-" : flags.joined(separator: ",")])
        }
        return t.text
    }
}
