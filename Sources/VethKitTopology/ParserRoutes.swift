import VethKit

extension TopologyParser {
    /// One entry of a node's `routes`: `to` (a prefix or `default`), `via`, optional `dev` and `metric`.
    mutating func parseRoute(_ r: YAMLNode) -> (route: Topology.Route, via: YAMLNode, dev: YAMLNode?)? {
        guard let f = mapping(r, "route", allowed: ["to", "via", "dev", "metric"]) else { return nil }
        var to: IPNetwork??
        var toNode: YAMLNode?
        var via: IPAddress?
        var viaNode: YAMLNode?
        var dev: String?
        var devNode: YAMLNode?
        var metric: Int?
        var bad = false
        for (k, _, v) in f {
            switch k {
            case "to":
                toNode = v
                guard let s = string(v, "to") else { bad = true; break }
                if s == "default" { to = .some(nil) } else {
                    do { to = try IPNetwork(s, allowBareAddress: true) } catch { self.error(v, "\(error)"); bad = true }
                }
            case "via":
                viaNode = v
                guard let s = string(v, "via") else { bad = true; break }
                if let a = IPAddress(s) { via = a } else { error(v, "invalid IP address \"\(s)\": not an IPv4 or IPv6 address"); bad = true }
            case "dev":
                devNode = v
                dev = interfaceName(v, "dev")
                if dev == nil { bad = true }
            case "metric":
                metric = int(v, "metric", 0...Int(UInt32.max))
                if metric == nil { bad = true }
            default: break
            }
        }
        if toNode == nil { error(r, "route: missing key \"to\""); bad = true }
        if viaNode == nil { error(r, "route: missing key \"via\""); bad = true }
        guard !bad, let to, let via, let viaNode else { return nil }
        let dest: IPNetwork
        if let t = to {
            guard t.isIPv4 == via.isIPv4 else {
                error(viaNode, "route via \(via) is \(via.isIPv4 ? "IPv4" : "IPv6") but its destination \(t) is not")
                return nil
            }
            dest = t.masked
        } else {
            dest = try! IPNetwork(address: via.isIPv4 ? .v4(0) : .v6(0, 0), prefixLength: 0)
        }
        return (Topology.Route(to: dest, via: via, dev: dev, metric: metric), viaNode, devNode)
    }

    /// Routes: `dev` must be an interface of the node; `via` must be reachable from one of its
    /// interfaces (from `dev` when named; a link-local `via` needs `dev`).
    mutating func checkRoutes() {
        for (node, route, viaNode, devNode) in routeNodes {
            let table = ifaceAddresses[node] ?? [:]
            if let dev = route.dev {
                guard ifaces[node]?[dev] != nil else {
                    error(devNode!, "route dev \"\(dev)\" is not an interface of node \"\(node)\"")
                    continue
                }
                if route.via.isIPv6LinkLocal { continue }
                if !(table[dev] ?? []).contains(where: { $0.contains(route.via) }) {
                    error(viaNode, "route via \(route.via) is not reachable: no address of \(node)/\(dev) is in the same prefix")
                }
            } else {
                if route.via.isIPv6LinkLocal {
                    error(viaNode, "route via \(route.via) is link-local: name the interface with dev")
                    continue
                }
                if !table.values.joined().contains(where: { $0.contains(route.via) }) {
                    error(viaNode, "route via \(route.via) is not reachable: no interface of node \"\(node)\" has an address in its prefix")
                }
            }
        }
    }
}
