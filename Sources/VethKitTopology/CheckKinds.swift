import VethKit

extension Checker {
    /// The default claims across kind links (VLANs, MACVLANs, IPVLANs, VXLANs, dummies): every
    /// kind link's address is probed from another node with an address in the same subnet — the
    /// next one in ring order over the subnet's interfaces (of any kind), so linear in the
    /// topology, like bridge neighbours. A kind link with nobody else in its subnet (a dummy's
    /// /32) gets no claim (`checks:` can add one through routes).
    static func kindLinkClaims(_ t: Topology, _ add: (String, IPAddress, String) -> Void) {
        var bySubnet: [IPNetwork: [(node: String, name: String, kind: String?, address: IPAddress)]] = [:]
        var order: [IPNetwork] = []
        let ifacesOf = t.interfacesByNode()
        for n in t.nodes {
            for i in ifacesOf[n.name] ?? [] {
                for a in i.addresses {
                    let subnet = a.masked
                    if bySubnet[subnet] == nil { order.append(subnet) }
                    bySubnet[subnet, default: []].append((n.name, i.name, i.kindLink?.kindName, a.address))
                }
            }
        }
        for subnet in order {
            let members = bySubnet[subnet]!
            guard members.contains(where: { $0.kind != nil }), Set(members.map(\.node)).count > 1 else { continue }
            for (i, m) in members.enumerated() {
                guard let kind = m.kind else { continue }
                // The next member (ring order) on another node probes this one.
                for step in 1..<members.count {
                    let from = members[(i + step) % members.count]
                    if from.node == m.node { continue }
                    add(from.node, m.address, "\(kind) \(from.node)/\(from.name) -> \(m.node)/\(m.name)")
                    break
                }
            }
        }
    }
}
