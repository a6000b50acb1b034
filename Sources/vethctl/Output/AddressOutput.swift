import VethKit
import VethKitJSON

/// Addresses as `ip addr` shows them: every link (those without an address too), each with its
/// `ip -j link` keys and `addr_info` (family, local, peer, prefix, broadcast, scope, the flags
/// by name, label, lifetimes).
struct AddressOutput {
    var links: LinkOutput

    func json(_ list: [Link], _ byLink: [Int32: [Address]]) -> JSON {
        .array(list.map { l in
            var o = links.json(l).objectValue ?? JSONObject()
            o.set("addr_info", .array((byLink[l.index] ?? []).map(Self.json)))
            return o.json
        })
    }

    static func json(_ a: Address) -> JSON {
        var o = JSONObject()
        o.set("family", a.network.family.name)
        o.set("local", "\(a.network.address)")
        if let p = a.peer { o.set("address", "\(p)") }
        o.set("prefixlen", a.network.prefixLength)
        o.set("broadcast", a.broadcast.map { "\($0)" })
        o.set("scope", a.scopeName)
        for f in a.flagNames { o.set(f, .bool(true)) }
        o.set("label", a.label)
        if a.protocol != .unspecified {
            // (IFA_PROTO: iproute2 6.3 and later print it, by these names or the number in hex.)
            o.set("protocol", AddressProtocol.names.first { $0.0 == a.protocol }?.1 ?? "0x" + String(a.protocol.rawValue, radix: 16))
        }
        o.set("valid_life_time", a.validLifetime)
        o.set("preferred_life_time", a.preferredLifetime)
        return o.json
    }

    /// One row per address; a link without one gets a row of its own (`-`), as `ip addr` lists it.
    func table(_ list: [Link], _ byLink: [Int32: [Address]]) -> String {
        var t = Table("DEV", "FAMILY", "ADDRESS", "SCOPE", "FLAGS", "VALID", "PREFERRED")
        func life(_ s: UInt32?) -> String { s.map { $0 == UInt32.max ? "forever" : "\($0)s" } ?? "-" }
        for l in list {
            let addrs = byLink[l.index] ?? []
            if addrs.isEmpty { t.add([l.name, "-", "-", "-", "-", "-", "-"]) }
            for a in addrs {
                let flags = a.flagNames.joined(separator: ",")
                t.add([l.name, a.network.family.name, a.peer.map { "\(a.network.address) peer \($0)/\(a.network.prefixLength)" } ?? "\(a.network)",
                       a.scopeName, flags.isEmpty ? "-" : flags, life(a.validLifetime), life(a.preferredLifetime)])
            }
        }
        return t.text
    }
}
