import VethKit
import VethKitJSON

/// A link kind's options as `ip -d link show` prints them: text (`vlan protocol 802.1Q id 10
/// <REORDER_HDR>`, `macvlan mode bridge`, `vxlan id 42 remote 10.0.0.2 … dstport 4789
/// nolearning`) and `info_data` JSON with iproute2's key names.
extension LinkOutput {
    /// The index of a vxlan's underlay device (for `dev NAME`), nil for other kinds.
    static func underlayIndex(_ l: Link) -> Int32? {
        if case .vxlan(let v)? = l.kindOptions, case .index(let i)? = v.parent { return i }
        return nil
    }

    /// A link named by index: its name when known here, else `if<INDEX>` (as iproute2).
    func linkName(_ ref: LinkReference?) -> String? {
        switch ref {
        case .index(let i)?: names[i] ?? "if\(i)"
        case .name(let n)?: n.rawValue
        case nil: nil
        }
    }

    /// The vlan flags by iproute2's names, in its order.
    static func vlanFlagNames(_ f: VLAN.Flags) -> [String] {
        [(VLAN.Flags.reorderHeader, "REORDER_HDR"), (.gvrp, "GVRP"), (.looseBinding, "LOOSE_BINDING"), (.mvrp, "MVRP"),
         (.bridgeBinding, "BRIDGE_BINDING")].filter { f.contains($0.0) }.map(\.1)
    }

    /// The kind and its options on one line (a bridge port's state after them), then
    /// promiscuity and the MTU range, as `ip -d` (`--json` has every field).
    func details(_ l: Link) -> String {
        var words = [kindDetails(l)]
        if !l.portFields.isEmpty {
            let wanted = ["state", "priority", "cost", "learning", "flood"]
            words.append("\(l.portKind ?? "port")_port " + l.portFields.filter { wanted.contains($0.name) }.map(Self.text).joined(separator: " "))
        }
        if let p = l.details.promiscuity { words.append("promiscuity \(p)") }
        if let lo = l.minMTU, let hi = l.maxMTU { words.append("minmtu \(lo) maxmtu \(hi)") }
        return words.joined(separator: " ")
    }

    /// `name value` as iproute2's text output writes a field (`hairpin off`).
    static func text(_ f: KindField) -> String {
        switch f.value {
        case .unsigned(let u): "\(f.name) \(u)"
        case .bool(let b): "\(f.name) \(b ? "on" : "off")"
        case .string(let s): "\(f.name) \(s)"
        case .seconds(let d): "\(f.name) \(d)"
        }
    }

    /// The kind and its options; the kind alone for those without options; `-`.
    func kindDetails(_ l: Link) -> String {
        if !l.kindFields.isEmpty {
            let wanted = ["stp_state", "forward_delay", "priority", "vlan_filtering", "vlan_protocol", "ageing_time"]
            return ([l.kind ?? "-"] + l.kindFields.filter { wanted.contains($0.name) }.map(Self.text)).joined(separator: " ")
        }
        switch l.kindOptions {
        case .vlan(let v)?:
            var s = "vlan protocol \(v.protocol) id \(v.id)"
            if let f = v.flags, !f.isEmpty { s += " <" + Self.vlanFlagNames(f).joined(separator: ",") + ">" }
            return s
        case .macvlan(let m)?: return "macvlan mode \(m.mode)"
        case .ipvlan(let i)?: return "ipvlan mode \(i.mode) \(i.isolation)"
        case .vxlan(let x)?:
            var s = "vxlan id \(x.id)"
            if let r = x.remote { s += " remote \(r)" }
            if let g = x.group { s += " group \(g)" }
            if let a = x.local { s += " local \(a)" }
            if let d = linkName(x.parent) { s += " dev \(d)" }
            s += " dstport \(x.port)"
            if !x.learning { s += " nolearning" }
            return s
        case .veth?, .bridge?, .dummy?, nil: return l.kind ?? "-"
        }
    }

    /// `linkinfo.info_data` as `ip -j -d` prints it for the kinds VethKit models (nil for the
    /// others: a veth has none, a bridge's VethKit does not decode).
    func infoData(_ k: LinkKindOptions) -> JSON? {
        var o = JSONObject()
        switch k {
        case .vlan(let v):
            o.set("protocol", v.protocol.description)
            o.set("id", Int64(v.id))
            if let f = v.flags { o.set("flags", .array(Self.vlanFlagNames(f).map { .string($0) })) }
        case .macvlan(let m):
            o.set("mode", m.mode.description)
        case .ipvlan(let i):
            o.set("mode", i.mode.description)
            o.set(i.isolation.description, .bool(true))  // iproute2: "bridge": true (or "private", "vepa")
        case .vxlan(let x):
            o.set("id", Int64(x.id))
            if let r = x.remote { o.set(r.isIPv4 ? "remote" : "remote6", r.description) }
            if let g = x.group { o.set(g.isIPv4 ? "group" : "group6", g.description) }
            if let a = x.local { o.set(a.isIPv4 ? "local" : "local6", a.description) }
            if let d = linkName(x.parent) { o.set("link", d) }
            o.set("port", Int64(x.port))
            o.set("learning", .bool(x.learning))
        case .veth, .bridge, .dummy: return nil
        }
        return o.json
    }
}
