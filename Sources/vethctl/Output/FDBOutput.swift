import VethKit
import VethKitJSON

/// Forwarding database entries as `bridge -j fdb show` prints them (mac, ifname, dst, vlan, port,
/// vni, src_vni, viaIf, nhid, linkNetNsId, -s used/updated, flags, master, state), and the table.
enum FDBOutput {
    static func json(_ e: FDBEntry, _ names: [Int32: String], statistics: Bool) -> JSON {
        var o = JSONObject()
        o.set("mac", e.mac.description)
        if e.linkIndex != 0 { o.set("ifname", names[e.linkIndex] ?? String(e.linkIndex)) }
        o.set("dst", e.destination.map { "\($0)" })
        if let v = e.vlan, v != 0 { o.set("vlan", v) }
        o.set("port", e.port)
        o.set("vni", e.vni)
        o.set("src_vni", e.sourceVNI)
        if let via = e.viaIndex {
            if e.linkNetnsID != nil { o.set("viaIfIndex", via) } else { o.set("viaIf", names[Int32(bitPattern: via)] ?? String(via)) }
        }
        o.set("nhid", e.nexthopID)
        o.set("linkNetNsId", e.linkNetnsID)
        if statistics {
            o.set("used", e.used)
            o.set("updated", e.updated)
        }
        o.set("flags", .array(e.flagNames.map { .string($0) }))
        if let m = e.masterIndex { o.set("master", names[m] ?? String(m)) }
        o.set("state", e.stateName)
        return o.json
    }

    /// MAC DEV VLAN MASTER STATE FLAGS DST, and with `statistics` USED UPDATED (seconds).
    static func text(_ list: [FDBEntry], _ names: [Int32: String], statistics: Bool) -> String {
        var t = Table(["MAC", "DEV", "VLAN", "MASTER", "STATE", "FLAGS", "DST"] + (statistics ? ["USED", "UPDATED"] : []))
        for e in list {
            let dev: String = names[e.linkIndex] ?? String(e.linkIndex)
            let vlan: String = e.vlan.map { String($0) } ?? "-"
            let master: String = e.masterIndex.map { names[$0] ?? String($0) } ?? "-"
            let state: String = e.stateName.isEmpty ? "dynamic" : e.stateName
            let flags: String = e.flagNames.isEmpty ? "-" : e.flagNames.joined(separator: ",")
            let dst: String = e.destination.map { "\($0)" } ?? "-"
            var row: [String] = [e.mac.description, dev, vlan, master, state, flags, dst]
            if statistics {
                let used: String = e.used.map { "\($0)s" } ?? "-"
                let updated: String = e.updated.map { "\($0)s" } ?? "-"
                row += [used, updated]
            }
            t.add(row)
        }
        return t.text
    }
}
