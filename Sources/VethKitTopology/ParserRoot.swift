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

    /// `checks`: a declared node, what it must (or must not) reach — an address or a declared
    /// node (all its addresses) — and, optionally, `expect`, `max_rtt` and `max_loss`.
    mutating func parseChecks(_ node: YAMLNode) -> [Topology.Check] {
        guard let items = sequence(node, "checks") else { return [] }
        var checks: [Topology.Check] = []
        for item in items {
            guard let f = mapping(item, "check", allowed: ["from", "to", "expect", "max_rtt", "max_loss"]) else { continue }
            var from: String?
            var to: Topology.Check.Target?
            var expect = Topology.Check.Expectation.reachable
            var maxRTT: Double?
            var maxLoss: Double?
            var valid = true
            var thresholds: YAMLNode?
            for (k, _, v) in f {
                switch k {
                case "from":
                    guard let s = string(v, "from") else { valid = false; continue }
                    if nodeNames.contains(s) { from = s } else { error(v, "node \"\(s)\" is not declared"); valid = false }
                case "to":
                    guard let s = string(v, "to") else { valid = false; continue }
                    if let a = IPAddress(s) {
                        to = .address(a)
                    } else if nodeNames.contains(s) {
                        if (ifaceAddresses[s] ?? [:]).values.allSatisfy(\.isEmpty) {
                            error(v, "node \"\(s)\" has no addresses to probe"); valid = false
                        } else {
                            to = .node(s)
                        }
                    } else if s.contains(":") || s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e }) {
                        // Meant as an address.
                        error(v, "invalid IP address \"\(s)\": not an IPv4 or IPv6 address"); valid = false
                    } else {
                        error(v, "invalid check target \"\(s)\": neither an IPv4 or IPv6 address nor a declared node"); valid = false
                    }
                case "expect":
                    guard let s = string(v, "expect") else { valid = false; continue }
                    if let e = Topology.Check.Expectation(rawValue: s) { expect = e } else {
                        error(v, "invalid expect \"\(s)\": expected reachable or unreachable"); valid = false
                    }
                case "max_rtt":
                    thresholds = thresholds ?? v
                    guard let s = string(v, "max_rtt") else { valid = false; continue }
                    if let t = CheckUnits.seconds(s), t > 0 { maxRTT = t } else {
                        error(v, "invalid max_rtt \"\(s)\": expected a time above 0 with a unit, as tc writes it (60ms, 1.5s, 250us)"); valid = false
                    }
                case "max_loss":
                    thresholds = thresholds ?? v
                    guard let s = string(v, "max_loss") else { valid = false; continue }
                    if let l = CheckUnits.fraction(s) { maxLoss = l } else {
                        error(v, "invalid max_loss \"\(s)\": expected a percentage 0-100%, as tc writes it (5%, 0.5%)"); valid = false
                    }
                default: break
                }
            }
            if !f.contains(where: { $0.key == "from" }) { error(item, "check: missing key \"from\"") }
            if !f.contains(where: { $0.key == "to" }) { error(item, "check: missing key \"to\"") }
            if expect == .unreachable, let thresholds {
                error(thresholds, "check: max_rtt and max_loss apply to expect: reachable only"); valid = false
            }
            if valid, let from, let to {
                checks.append(Topology.Check(from: from, to: to, expect: expect, maxRTT: maxRTT, maxLoss: maxLoss))
            }
        }
        return checks
    }
}
