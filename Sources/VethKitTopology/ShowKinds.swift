import VethKit
import VethKitJSON

extension Shower {
    /// A kind link's options under iproute2's `ip -j -d` keys (linkinfo.info_data): a vlan's
    /// `protocol` and `id`, a macvlan's or ipvlan's `mode`, a vxlan's `id`, `remote`/`group`,
    /// `local`, `link`, `port`, `learning`. Nil for other kinds.
    static func infoData(_ i: LiveState.Interface) -> JSONObject? {
        var d: JSONObject = [:]
        switch i.kindOptions {
        case .vlan(let id, let p)?: d["protocol"] = .string(p.rawValue); d["id"] = JSON(id)
        case .macvlan(let m)?: d["mode"] = .string(m.rawValue)
        case .ipvlan(let m)?: d["mode"] = .string(m.rawValue)
        case .vxlan(let v)?:
            d["id"] = JSON(v.id)
            d.set("remote", v.remote?.description)
            d.set("group", v.group?.description)
            d.set("local", v.local?.description)
            d.set("link", i.parent)
            d.set("port", v.port)
            d.set("learning", v.learning)
        default: return nil
        }
        return d
    }
}

extension Shower {
    /// The egress column of `show`: `impair delay 20ms loss 1%`, `CUT`, or someone else's qdisc.
    static func egressText(_ e: LiveState.Egress) -> String {
        switch e {
        case .impaired(let i): "impair \(i)"
        case .cut: "CUT"
        case .other(let k): "qdisc \(k) (vethkit's handle, not an impairment)"
        case .foreign(let q): "qdisc \(q) (not vethkit's)"
        }
    }

    /// `root_qdisc` ({kind, handle} as `tc -j` names them, when not the kernel's default; `qdisc`
    /// is ip's, the kind's name alone) and VethKit's `impair` (text) and `cut` of one interface.
    static func egressJSON(_ i: LiveState.Interface, into f: inout JSONObject) {
        if let q = i.rootQdisc { f["root_qdisc"] = ["kind": .string(q.kind), "handle": .string(q.handle), "vethkit": .bool(i.egress?.isOurs ?? false)] }
        if case .impaired(let imp)? = i.egress { f["impair"] = .string(imp.description) }
        if i.egress != nil || i.kind == "veth" { f["cut"] = .bool(i.egress == .cut) }
    }
}
