import VethKit

extension TopologyParser {
    /// The whole document: the top-level keys, then each section in order (errors are sorted by
    /// position afterwards; the order here decides which are kept past ``TopologyLimits/storedErrors``).
    mutating func parseRoot(_ root: YAMLNode) -> Topology? {
        guard let top = mapping(root, "the topology", allowed: ["name", "nodes", "links", "checks"]) else { return nil }
        var nodesNode: YAMLNode?
        var linksNode: YAMLNode?
        var checksNode: YAMLNode?
        for (k, _, v) in top {
            switch k {
            case "name":
                if let s = string(v, "name") {
                    do { try validateTopologyName(s); topologyName = s } catch { self.error(v, "\(error)") }
                }
            case "nodes": nodesNode = v
            case "links": linksNode = v
            case "checks": checksNode = v
            default: break
            }
        }
        if !top.contains(where: { $0.key == "name" }) { error(root, "missing key \"name\"") }

        var nodes: [Topology.Node] = []
        if let nodesNode {
            nodes = parseNodes(nodesNode)
        } else {
            error(root, "missing key \"nodes\"")
        }
        // A topology with only nodes (and bridges) is allowed.
        let links = linksNode.map { parseLinks($0) } ?? []
        checkMasters()
        checkParents()
        checkRoutes()
        let checks = checksNode.map { parseChecks($0) } ?? []

        guard let name = topologyName, errors.isEmpty else { return nil }
        return Topology(name: name, nodes: nodes, links: links, checks: checks, file: file)
    }

    /// `checks`: pairs of a declared node and an address it must reach.
    mutating func parseChecks(_ node: YAMLNode) -> [Topology.Check] {
        guard let items = sequence(node, "checks") else { return [] }
        var checks: [Topology.Check] = []
        for item in items {
            guard let f = mapping(item, "check", allowed: ["from", "to"]) else { continue }
            var from: String?
            var to: IPAddress?
            for (k, _, v) in f {
                if k == "from", let s = string(v, "from") {
                    if nodeNames.contains(s) { from = s } else { error(v, "node \"\(s)\" is not declared") }
                }
                if k == "to", let s = string(v, "to") {
                    if let a = IPAddress(s) { to = a } else { error(v, "invalid IP address \"\(s)\": not an IPv4 or IPv6 address") }
                }
            }
            if !f.contains(where: { $0.key == "from" }) { error(item, "check: missing key \"from\"") }
            if !f.contains(where: { $0.key == "to" }) { error(item, "check: missing key \"to\"") }
            if let from, let to { checks.append(Topology.Check(from: from, to: to)) }
        }
        return checks
    }
}
