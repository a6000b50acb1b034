import VethKitJSON
import VethKit

/// Renders links as iproute2 does (`ip -j -d -s link show` key names), plus VethKit's extras
/// (`link_netns`: the name of the namespace holding a veth's peer).
struct LinkOutput {
    /// Names of links by index, for `master` and same-namespace `link`.
    var names: [Int32: String]
    /// Namespace names by id local to the listed namespace (for `link_netns`).
    var namespaceNames: [Int32: String]
    /// Links of the namespace known to be down: a link whose same-namespace `link` (a veth's
    /// peer, a vlan's parent) is one of them gets ip's `M-DOWN` flag.
    var downIndexes: Set<Int32> = []
    /// Print `stats64`: 1 as `ip -s`, 2 as `ip -s -s` (the detailed errors too).
    var statisticsLevel = 0
    var withStatistics: Bool { statisticsLevel > 0 }
    /// Print each kind's options (as `ip -d`): `info_data` in JSON, a DETAILS column in text.
    var withDetails = false

    func json(_ l: Link) -> JSON {
        var o = JSONObject()
        o.set("ifindex", l.index)
        if let li = l.linkIndex, li != 0 {
            if l.linkNetnsID == nil, let n = names[li] { o.set("link", n) } else { o.set("link_index", li) }
        }
        o.set("ifname", l.name)
        var flags = l.flags.names
        if l.linkNetnsID == nil, let li = l.linkIndex, li != 0, downIndexes.contains(li) { flags.append("M-DOWN") }
        o.set("flags", .array(flags.map { .string($0) }))
        o.set("mtu", l.mtu)
        o.set("qdisc", l.qdisc)
        if let m = l.masterIndex { o.set("master", names[m] ?? String(m)) }
        o.set("operstate", l.operationalState.description)
        o.set("linkmode", l.details.linkMode)
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
        if l.protoDown { o.set("proto_down", true) }
        if withDetails {
            let d = l.details
            o.set("promiscuity", d.promiscuity)
            o.set("allmulti", d.allmulti)
            o.set("min_mtu", l.minMTU)
            o.set("max_mtu", l.maxMTU)
        }
        var info = JSONObject()
        info.set("info_kind", l.kind)
        if withDetails {
            if !l.kindFields.isEmpty { info.set("info_data", Self.fields(l.kindFields)) }
            else if let data = l.kindOptions.flatMap(infoData) { info.set("info_data", data) }
        }
        info.set("info_slave_kind", l.portKind)
        if withDetails, !l.portFields.isEmpty { info.set("info_slave_data", Self.fields(l.portFields)) }
        if !info.fields.isEmpty { o.set("linkinfo", info.json) }
        if withDetails {
            let d = l.details
            o.set("inet6_addr_gen_mode", d.inet6AddressGenerationMode)
            o.set("num_tx_queues", d.transmitQueues)
            o.set("num_rx_queues", d.receiveQueues)
            o.set("gso_max_size", d.gsoMaxSize)
            o.set("gso_max_segs", d.gsoMaxSegments)
            o.set("tso_max_size", d.tsoMaxSize)
            o.set("tso_max_segs", d.tsoMaxSegments)
            o.set("gro_max_size", d.groMaxSize)
            o.set("parentbus", d.parentBus)
            o.set("parentdev", d.parentDevice)
        }
        if withStatistics, let s = l.statistics {
            o.set("stats64", LinkOutput.stats(s, detailed: statisticsLevel > 1, carrierChanges: l.details.carrierChanges))
        }
        if !l.alternativeNames.isEmpty { o.set("altnames", .array(l.alternativeNames.map { .string($0) })) }
        return o.json
    }

    /// A bridge's or bridge port's fields as `ip -j -d` prints them.
    static func fields(_ fields: [KindField]) -> JSON {
        var o = JSONObject()
        for f in fields {
            let value: JSON
            switch f.value {
            case .unsigned(let u): value = .int(Int64(clamping: u))
            case .bool(let b): value = .bool(b)
            case .string(let s): value = .string(s)
            case .seconds(let d): value = .fixed(d, places: 2)  // iproute2's %.2f
            }
            o.set(f.name, value)
        }
        return o.json
    }

    /// `stats64` with `ip -j -s`'s keys; `detailed` adds `ip -s -s`'s error breakdown (and the
    /// carrier change count iproute2 puts under tx).
    static func stats(_ s: LinkStatistics, detailed: Bool = false, carrierChanges: UInt32? = nil) -> JSON {
        var rx = JSONObject()
        rx.set("bytes", s.rxBytes); rx.set("packets", s.rxPackets); rx.set("errors", s.rxErrors)
        rx.set("dropped", s.rxDropped); rx.set("over_errors", s.rxOverErrors); rx.set("multicast", s.multicast)
        if s.rxCompressed != 0 { rx.set("compressed", s.rxCompressed) }
        if detailed {
            rx.set("length_errors", s.rxLengthErrors); rx.set("crc_errors", s.rxCRCErrors)
            rx.set("frame_errors", s.rxFrameErrors); rx.set("fifo_errors", s.rxFIFOErrors)
            rx.set("missed_errors", s.rxMissedErrors)
        }
        if s.rxNoHandler != 0 { rx.set("nohandler", s.rxNoHandler) }
        if s.rxOtherhostDropped != 0 { rx.set("otherhost", s.rxOtherhostDropped) }
        var tx = JSONObject()
        tx.set("bytes", s.txBytes); tx.set("packets", s.txPackets); tx.set("errors", s.txErrors)
        tx.set("dropped", s.txDropped); tx.set("carrier_errors", s.txCarrierErrors); tx.set("collisions", s.collisions)
        if s.txCompressed != 0 { tx.set("compressed", s.txCompressed) }
        if detailed {
            tx.set("aborted_errors", s.txAbortedErrors); tx.set("fifo_errors", s.txFIFOErrors)
            tx.set("window_errors", s.txWindowErrors); tx.set("heartbeat_errors", s.txHeartbeatErrors)
            tx.set("carrier_changes", carrierChanges)
        }
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
