import Glibc
import VethKitJSON
import VethKit

/// `rule show`'s JSON (the keys and values `ip -j rule show` prints) and its text table.
enum RuleOutput {
    /// An IP protocol's name from /etc/protocols, as iproute2's inet_proto_n2a (`ipproto-N` without one).
    static func protocolName(_ n: UInt8) -> String {
        if let p = getprotobynumber(Int32(n)), let name = p.pointee.p_name { return String(cString: name) }
        return "ipproto-\(n)"
    }

    /// A 32-bit value as ip prints marks: `0x5`.
    static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }

    /// The TOS as ip prints it: `0x10`, two digits.
    static func tos(_ v: UInt8) -> String { "0x" + (v < 16 ? "0" : "") + String(v, radix: 16) }

    /// A prefix as ip prints a rule's: the address, then its length when not a host's.
    static func prefix(_ p: IPNetwork, _ o: inout JSONObject, _ key: String, _ lengthKey: String) {
        o.set(key, "\(p.address)")
        if p.prefixLength != p.address.bitWidth { o.set(lengthKey, p.prefixLength) }
    }

    /// A port range: `sport` when one port, `sport_start` and `sport_end` otherwise.
    static func ports(_ r: ClosedRange<UInt16>?, _ key: String, _ o: inout JSONObject) {
        guard let r else { return }
        if r.lowerBound == r.upperBound { o.set(key, Int(r.lowerBound)) } else {
            o.set(key + "_start", Int(r.lowerBound))
            o.set(key + "_end", Int(r.upperBound))
        }
    }

    /// One rule as `ip -j rule show` prints it.
    static func json(_ r: Rule) -> JSON {
        var o = JSONObject()
        o.set("priority", r.priority)
        if r.invert { o.set("not", JSON.null) }
        if let s = r.source, s.prefixLength > 0 { prefix(s, &o, "src", "srclen") } else { o.set("src", "all") }
        if let d = r.destination, d.prefixLength > 0 { prefix(d, &o, "dst", "dstlen") }
        if r.tos != 0 { o.set("tos", tos(r.tos)) }
        if r.mark != nil || r.markMask != nil {
            o.set("fwmark", hex(r.mark ?? 0))
            if let m = r.markMask, m != 0xffff_ffff { o.set("fwmask", hex(m)) }
        }
        if let i = r.inputInterface {
            o.set("iif", i)
            if r.inputInterfaceDetached { o.set("iif_detached", JSON.null) }
        }
        if let i = r.outputInterface {
            o.set("oif", i)
            if r.outputInterfaceDetached { o.set("oif_detached", JSON.null) }
        }
        if r.l3mdev { o.set("l3mdev", JSON.null) }
        if let u = r.uidRange {
            o.set("uid_start", u.lowerBound)
            o.set("uid_end", u.upperBound)
        }
        if let p = r.ipProtocol { o.set("ipproto", protocolName(p)) }
        ports(r.sourcePorts, "sport", &o)
        ports(r.destinationPorts, "dport", &o)
        if let t = r.action.table, t != .unspecified {
            o.set("table", t.name)
            o.set("suppress_prefixlen", r.suppressPrefixLength)
            if let g = r.suppressInterfaceGroup { o.set("suppress_ifgroup", g == 0 ? "default" : String(g)) }
        }
        switch r.action {
        case .goto(let n):
            o.set("goto", n)
            if r.isUnresolved { o.set("unresolved", JSON.null) }
        case .nop: o.set("nop", JSON.null)
        case .blackhole, .unreachable, .prohibit: o.set("action", actionWord(r.action))
        case .other(let n): o.set("action", String(n))
        case .lookup: break
        }
        if r.protocol != .unspecified && r.protocol != .kernel { o.set("protocol", r.protocol.name) }
        return o.json
    }

    static func actionWord(_ a: RuleAction) -> String {
        switch a {
        case .lookup(let t): "lookup \(t.name)"
        case .goto(let n): "goto \(n)"
        case .nop: "nop"
        case .blackhole: "blackhole"
        case .unreachable: "unreachable"
        case .prohibit: "prohibit"
        case .other(let n): "action \(n)"
        }
    }

    /// The selectors besides from and to, in `ip rule`'s words: `tos 0x10 fwmark 0x5/0xff iif t0 …`.
    static func matchText(_ r: Rule) -> String {
        var w: [String] = []
        if r.tos != 0 { w += ["tos", tos(r.tos)] }
        if r.mark != nil || r.markMask != nil {
            w += ["fwmark", hex(r.mark ?? 0) + (r.markMask.map { $0 == 0xffff_ffff ? "" : "/" + hex($0) } ?? "")]
        }
        if let i = r.inputInterface { w += ["iif", i + (r.inputInterfaceDetached ? " [detached]" : "")] }
        if let i = r.outputInterface { w += ["oif", i + (r.outputInterfaceDetached ? " [detached]" : "")] }
        if let u = r.uidRange { w += ["uidrange", "\(u.lowerBound)-\(u.upperBound)"] }
        if let p = r.ipProtocol { w += ["ipproto", protocolName(p)] }
        for (k, p) in [("sport", r.sourcePorts), ("dport", r.destinationPorts)] {
            if let p { w += [k, p.lowerBound == p.upperBound ? "\(p.lowerBound)" : "\(p.lowerBound)-\(p.upperBound)"] }
        }
        if r.l3mdev { w.append("l3mdev") }
        return w.joined(separator: " ")
    }

    /// The text table: PRIORITY NOT FROM TO MATCH ACTION PROTO, one row per rule.
    static func text(_ rules: [Rule]) -> String {
        var t = Table("PRIORITY", "NOT", "FROM", "TO", "MATCH", "ACTION", "PROTO")
        for r in rules {
            var action = r.l3mdev ? "lookup [l3mdev-table]" : actionWord(r.action)
            if let s = r.suppressPrefixLength { action += " suppress_prefixlength \(s)" }
            if let g = r.suppressInterfaceGroup { action += " suppress_ifgroup \(g)" }
            if r.isUnresolved { action += " [unresolved]" }
            let match = matchText(r)
            t.add([r.priority.map(String.init) ?? "-", r.invert ? "not" : "-",
                   r.source.map { $0.prefixLength == 0 ? "all" : $0.prefixLength == $0.address.bitWidth ? "\($0.address)" : "\($0)" } ?? "all",
                   r.destination.map { $0.prefixLength == 0 ? "all" : $0.prefixLength == $0.address.bitWidth ? "\($0.address)" : "\($0)" } ?? "all",
                   match.isEmpty ? "-" : match, action, r.protocol.name])
        }
        return t.text
    }
}
