import VethKitJSON
import VethKit

/// Renders links as iproute2 does (`ip -j -d -s link show` key names), plus VethKit's extras
/// (`link_netns`: the name of the namespace holding a veth's peer).
struct LinkOutput {
    /// Names of links by index, for `master` and same-namespace `link`.
    var names: [Int32: String]
    /// Namespace names by id local to the listed namespace (for `link_netns`).
    var namespaceNames: [Int32: String]
    /// Print `stats64` (as `ip -s`).
    var withStatistics = false
    /// Print each kind's options (as `ip -d`): `info_data` in JSON, a DETAILS column in text.
    var withDetails = false

    func json(_ l: Link) -> JSON {
        var o = JSONObject()
        o.set("ifindex", l.index)
        if let li = l.linkIndex, li != 0 {
            if l.linkNetnsID == nil, let n = names[li] { o.set("link", n) } else { o.set("link_index", li) }
        }
        o.set("ifname", l.name)
        o.set("flags", .array(l.flags.names.map { .string($0) }))
        o.set("mtu", l.mtu)
        o.set("qdisc", l.qdisc)
        if let m = l.masterIndex { o.set("master", names[m] ?? String(m)) }
        o.set("operstate", l.operationalState.description)
        o.set("group", LinkGroupName.text(l.group))
        o.set("txqlen", l.txQueueLength)
        o.set("link_type", linkType(l))
        o.set("address", l.address?.description)
        o.set("broadcast", l.broadcast?.description)
        if let id = l.linkNetnsID {
            o.set("link_netnsid", id)
            o.set("link_netns", namespaceNames[id])
        }
        o.set("ifalias", l.alias)
        var info = JSONObject()
        info.set("info_kind", l.kind)
        if withDetails, let data = l.kindOptions.flatMap(infoData) { info.set("info_data", data) }
        info.set("info_slave_kind", l.portKind)
        if !info.fields.isEmpty { o.set("linkinfo", info.json) }
        if withStatistics, let s = l.statistics { o.set("stats64", LinkOutput.stats(s)) }
        return o.json
    }

    static func stats(_ s: LinkStatistics) -> JSON {
        var rx = JSONObject()
        rx.set("bytes", s.rxBytes); rx.set("packets", s.rxPackets); rx.set("errors", s.rxErrors)
        rx.set("dropped", s.rxDropped); rx.set("multicast", s.multicast)
        var tx = JSONObject()
        tx.set("bytes", s.txBytes); tx.set("packets", s.txPackets); tx.set("errors", s.txErrors)
        tx.set("dropped", s.txDropped); tx.set("collisions", s.collisions)
        return .object([JSONField("rx", rx.json), JSONField("tx", tx.json)])
    }

    func linkType(_ l: Link) -> String {
        switch l.hardwareType {
        case 1: "ether"
        case 772: "loopback"
        case 65534: "none"
        default: String(l.hardwareType)
        }
    }

    /// `NAME@PEER` as iproute2 shows a veth end whose peer is in the same namespace.
    func displayName(_ l: Link) -> String {
        guard let li = l.linkIndex, li != 0 else { return l.name }
        if l.linkNetnsID == nil, let n = names[li] { return "\(l.name)@\(n)" }
        return "\(l.name)@if\(li)"
    }

    /// One line per link; with `withStatistics` (`-s`) the counters follow, as `ip -s` adds them.
    func table(_ links: [Link]) -> String {
        var header = ["INDEX", "NAME", "KIND", "STATE", "MTU", "ADDRESS", "MASTER", "PEER NETNS"]
        if withDetails { header.append("DETAILS") }
        if withStatistics { header += ["RX PACKETS", "RX BYTES", "RX ERRORS", "RX DROPPED", "TX PACKETS", "TX BYTES", "TX ERRORS", "TX DROPPED"] }
        var t = Table(header)
        for l in links {
            let master: String = l.masterIndex.map { names[$0] ?? String($0) } ?? "-"
            let peerNetns: String = l.linkNetnsID.map { namespaceNames[$0] ?? "id \($0)" } ?? "-"
            var row: [String] = [String(l.index), displayName(l), l.kind ?? "-", l.operationalState.description,
                                 l.mtu.map { String($0) } ?? "-", l.address?.description ?? "-", master, peerNetns]
            if withDetails { row.append(details(l)) }
            if withStatistics {
                if let s = l.statistics {
                    let counters: [UInt64] = [s.rxPackets, s.rxBytes, s.rxErrors, s.rxDropped,
                                              s.txPackets, s.txBytes, s.txErrors, s.txDropped]
                    row += counters.map { String($0) }
                } else {
                    row += Array(repeating: "-", count: 8)
                }
            }
            t.add(row)
        }
        return t.text
    }

    /// Resolves the namespace ids used by `links` to names under /run/netns (one RTM_GETNSID per
    /// named namespace, only when some link refers to another namespace).
    static func namespaceNames(for links: [Link], handle: NetHandle) -> [Int32: String] {
        let ids = Set(links.compactMap(\.linkNetnsID))
        guard !ids.isEmpty, let names = try? NetworkNamespace.list() else { return [:] }
        var out: [Int32: String] = [:]
        for n in names {
            guard out.count < ids.count, let ns = try? NetworkNamespace.open(n),
                  let id = try? handle.namespaceID(of: ns), ids.contains(id) else { continue }
            out[id] = n.rawValue
        }
        return out
    }
}
