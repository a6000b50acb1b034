import VethKit

extension Checker {
    /// The default claims across kind links (VLANs, MACVLANs, IPVLANs, VXLANs, dummies): the
    /// addresses of kind links in one subnet, on different nodes, in ring order — each node probes
    /// the next one's address (linear in the topology, like bridge neighbours). A kind link with
    /// nobody else in its subnet (a dummy's loopback-like address) gets no claim.
    static func kindLinkClaims(_ t: Topology, _ add: (String, IPAddress, String) -> Void) {
        var bySubnet: [IPNetwork: [(node: String, name: String, kind: String, address: IPAddress)]] = [:]
        var order: [IPNetwork] = []
        for n in t.nodes {
            for k in n.kindLinks {
                for a in k.addresses {
                    let subnet = a.masked
                    if bySubnet[subnet] == nil { order.append(subnet) }
                    bySubnet[subnet, default: []].append((n.name, k.name, k.kindName, a.address))
                }
            }
        }
        for subnet in order {
            let members = bySubnet[subnet]!
            guard Set(members.map(\.node)).count > 1 else { continue }
            for (i, m) in members.enumerated() {
                // The next member (ring order) on another node probes this one.
                for step in 1..<members.count {
                    let from = members[(i + step) % members.count]
                    if from.node == m.node { continue }
                    add(from.node, m.address, "\(m.kind) \(from.node)/\(from.name) -> \(m.node)/\(m.name)")
                    break
                }
            }
        }
    }
}
