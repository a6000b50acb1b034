import VethKit

extension TopologyParser {
    /// `nodes`: a mapping of node name to its bridges, kind links, masquerade, routes and sysctls.
    mutating func parseNodes(_ nodesNode: YAMLNode) -> [Topology.Node] {
        guard let pairs = mapping(nodesNode, "nodes", allowed: nil) else { return [] }
        var nodes: [Topology.Node] = []
        for (nodeName, keyNode, body) in pairs {
            guard validNodeName(nodeName, keyNode) else { continue }
            nodeNames.insert(nodeName)
            var node = Topology.Node(name: nodeName, location: loc(keyNode))
            if let fields = mapping(body, "node \"\(nodeName)\"", allowed: Self.nodeKeys) {
                for (k, _, v) in fields {
                    switch k {
                    case "bridges": parseBridges(v, into: &node)
                    case "masquerade":
                        node.masquerade = cidrs(v, "masquerade", bare: true).map { $0.0.masked }
                    case "routes":
                        guard let rs = sequence(v, "routes") else { break }
                        for r in rs {
                            if let parsed = parseRoute(r) {
                                node.routes.append(parsed.route)
                                routeNodes.append((nodeName, parsed.route, parsed.via, parsed.dev))
                            }
                        }
                    case "sysctls": parseSysctls(v, into: &node)
                    default: parseKindLinks(v, section: k, into: &node)
                    }
                }
            }
            nodes.append(node)
        }
        return nodes
    }

    /// The keys of a node.
    static let nodeKeys: Set<String> = Set(["bridges", "masquerade", "routes", "sysctls"]).union(kindSections.keys)

    mutating func parseBridges(_ v: YAMLNode, into node: inout Topology.Node) {
        let nodeName = node.name
        guard let bs = mapping(v, "bridges of \"\(nodeName)\"", allowed: nil) else { return }
        for (bname, bkey, bbody) in bs {
            guard interfaceName(bkey, "bridge name") != nil else { continue }
            declareIface(node: nodeName, name: bname, at: bkey)
            var bridge = Topology.Bridge(name: bname)
            if let bf = mapping(bbody, "bridge \"\(bname)\"", allowed: ["addresses", "mac", "mtu"]) {
                for (bk, _, bv) in bf {
                    switch bk {
                    case "addresses":
                        let list = cidrs(bv, "addresses")
                        bridge.addresses = list.map(\.0)
                        declareAddresses(node: nodeName, iface: bname, list)
                    case "mac": bridge.mac = mac(bv)
                    case "mtu": bridge.mtu = int(bv, "mtu", 68...65535)
                    default: break
                    }
                }
            }
            node.bridges.append(bridge)
            bridgeNames[nodeName, default: []].insert(bname)
        }
    }

    mutating func parseSysctls(_ v: YAMLNode, into node: inout Topology.Node) {
        guard let ss = mapping(v, "sysctls", allowed: nil) else { return }
        for (key, kn, value) in ss {
            let validKey = !key.isEmpty && key.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
                !part.isEmpty && part.utf8.allSatisfy { c in
                    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d
                }
            }
            guard validKey else { error(kn, "invalid sysctl key \"\(key)\": expected dotted names like net.ipv4.ip_forward"); continue }
            // Only net.* lives in a network namespace: kernel.hostname, vm.* … would change
            // the whole machine (or the UTS namespace) from inside any node.
            guard key.hasPrefix("net.") else {
                error(kn, "sysctl \"\(key)\" is not per network namespace: only net.* keys are accepted"); continue
            }
            // One line: no line feed, and no carriage return either (a value goes to /proc/sys as is).
            guard let s = value.scalar, !s.utf8.contains(0x0a), !s.utf8.contains(0x0d) else {
                error(value, "sysctl \(key): value must be a single text value"); continue
            }
            node.sysctls.append(Topology.Sysctl(key, s))
        }
    }

    mutating func validNodeName(_ s: String, _ at: YAMLNode) -> Bool {
        let okChars = s.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d || c == 0x2e
        }
        guard !s.isEmpty, s.utf8.count <= 64, okChars, !s.hasPrefix(".") else {
            error(at, "invalid node name \"\(s)\": must be 1-64 characters of letters, digits, '_', '-', '.' (not starting with '.')")
            return false
        }
        do { _ = try NamespaceName("\(topologyName ?? "x")-\(s)") } catch { self.error(at, "\(error)"); return false }
        return true
    }
}
