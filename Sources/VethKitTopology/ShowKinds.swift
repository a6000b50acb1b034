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
