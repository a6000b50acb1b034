import VethKit

extension TopologyParser {
    /// `links`: a list of veth pairs, each with exactly two endpoints, an optional mtu and an
    /// optional `impair` (both directions).
    mutating func parseLinks(_ linksNode: YAMLNode) -> [Topology.Link] {
        guard let items = sequence(linksNode, "links") else { return [] }
        var links: [Topology.Link] = []
        for item in items {
            guard let fields = mapping(item, "link", allowed: ["endpoints", "mtu", "impair"]) else { continue }
            var endpoints: [Topology.Endpoint] = []
            var mtu: Int?
            var impair: LinkImpairment?
            var ok = true
            var endpointsNode: YAMLNode?
            for (k, _, v) in fields {
                switch k {
                case "mtu": mtu = int(v, "mtu", 68...65535)
                case "impair":
                    guard let i = parseImpair(v) else { ok = false; break }
                    impair = i
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
            if ok, endpoints.count == 2 { links.append(Topology.Link(endpoints[0], endpoints[1], mtu: mtu, impair: impair)) }
        }
        return links
    }

    /// One end of a link: declares its interface and addresses, and remembers its master for
    /// ``checkMasters()``.
    mutating func parseEndpoint(_ ep: YAMLNode) -> Topology.Endpoint? {
        guard let f = mapping(ep, "endpoint", allowed: ["node", "name", "addresses", "master", "mac", "mtu", "impair"]) else { return nil }
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
            case "impair":
                if let i = parseImpair(v) { e.impair = i } else { bad = true }
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

    /// The keys of an `impair` mapping, in the order the error message lists them.
    static let impairKeys = LinkImpairment.keys

    /// An `impair` mapping: each key and value as `vethctl link impair` takes them (`delay: 20ms`,
    /// `loss: 1%`, `rate: 100mbit`, `seed: 7`), read by VethKit's one parser of them
    /// (``LinkImpairment/set(_:_:)``). Nil (with errors at the bad keys and values) when any is
    /// wrong; `.some(nil)` for an empty (or null) mapping: no impairment.
    mutating func parseImpair(_ v: YAMLNode) -> LinkImpairment?? {
        guard let fields = mapping(v, "impair", allowed: Set(Self.impairKeys)) else { return nil }
        var imp = LinkImpairment()
        var ok = true
        for (k, _, value) in fields {
            guard let s = string(value, "impair \(k)") else { ok = false; continue }
            do { try imp.set(k, s) } catch { self.error(value, "impair: \(error)"); ok = false }
        }
        guard ok else { return nil }
        // The combinations (a jitter needs a delay, reorder a delay…), reported at the mapping.
        do { try imp.validate() } catch { self.error(v, "impair: \(error)"); return nil }
        return .some(fields.isEmpty ? nil : imp)
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
