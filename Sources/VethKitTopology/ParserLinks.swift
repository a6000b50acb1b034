import VethKit

extension TopologyParser {
    /// `links`: a list of veth pairs, each with exactly two endpoints and an optional mtu.
    mutating func parseLinks(_ linksNode: YAMLNode) -> [Topology.Link] {
        guard let items = sequence(linksNode, "links") else { return [] }
        var links: [Topology.Link] = []
        for item in items {
            guard let fields = mapping(item, "link", allowed: ["endpoints", "mtu"]) else { continue }
            var endpoints: [Topology.Endpoint] = []
            var mtu: Int?
            var ok = true
            var endpointsNode: YAMLNode?
            for (k, _, v) in fields {
                switch k {
                case "mtu": mtu = int(v, "mtu", 68...65535)
                case "endpoints":
                    endpointsNode = v
                    guard let eps = sequence(v, "endpoints") else { ok = false; break }
                    if eps.count != 2 { error(v, "a link has exactly 2 endpoints, found \(eps.count)"); ok = false }
                    for ep in eps {
                        guard let e = parseEndpoint(ep) else { ok = false; continue }
                        endpoints.append(e)
                    }
                default: break
                }
            }
            if endpointsNode == nil { error(item, "link: missing key \"endpoints\""); ok = false }
            if ok, endpoints.count == 2 { links.append(Topology.Link(endpoints[0], endpoints[1], mtu: mtu)) }
        }
        return links
    }

    /// One end of a link: declares its interface and addresses, and remembers its master for
    /// ``checkMasters()``.
    mutating func parseEndpoint(_ ep: YAMLNode) -> Topology.Endpoint? {
        guard let f = mapping(ep, "endpoint", allowed: ["node", "name", "addresses", "master", "mac", "mtu"]) else { return nil }
        var node: String?
        var name: String?
        var nameNode: YAMLNode?
        var e = Topology.Endpoint(node: "", name: "")
        var addrList: [(IPNetwork, YAMLNode)] = []
        var masterNode: YAMLNode?
        var bad = false
        for (k, _, v) in f {
            switch k {
            case "node":
                guard let s = string(v, "node") else { bad = true; break }
                if nodeNames.contains(s) { node = s } else { error(v, "node \"\(s)\" is not declared under nodes"); bad = true }
            case "name":
                nameNode = v
                name = interfaceName(v, "interface name")
                if name == nil { bad = true }
            case "addresses": addrList = cidrs(v, "addresses")
            case "master":
                masterNode = v
                e.master = interfaceName(v, "master")
            case "mac": e.mac = mac(v)
            case "mtu": e.mtu = int(v, "mtu", 68...65535)
            default: break
            }
        }
        if !f.contains(where: { $0.key == "node" }) { error(ep, "endpoint: missing key \"node\""); bad = true }
        if !f.contains(where: { $0.key == "name" }) { error(ep, "endpoint: missing key \"name\""); bad = true }
        guard !bad, let node, let name, let nameNode else { return nil }
        declareIface(node: node, name: name, at: nameNode)
        declareAddresses(node: node, iface: name, addrList)
        if let m = e.master, let masterNode { pendingMasters.append((node, m, masterNode)) }
        e.node = node
        e.name = name
        e.addresses = addrList.map(\.0)
        return e
    }

    /// Every endpoint's master is a bridge of its own node.
    mutating func checkMasters() {
        for (node, master, at) in pendingMasters where nodeNames.contains(node) {
            if !(bridgeNames[node]?.contains(master) ?? false) {
                error(at, "bridge \"\(master)\" is not declared in node \"\(node)\"")
            }
        }
    }
}
