import Foundation
import VethKit
import Yams

/// The topology name rule: `[a-z0-9-]`, 1–12 characters.
public func validateTopologyName(_ name: String) throws {
    guard (1...12).contains(name.utf8.count),
          name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }) else {
        throw InvalidInput("topology name", name, "must be 1-12 characters of a-z, 0-9 and '-'")
    }
}

struct TopologyParser {
    let file: String
    var errors: [SchemaError] = []
    /// Errors found past ``TopologyLimits/storedErrors`` (counted, not kept).
    var omitted = 0

    init(file: String) { self.file = file }

    func loc(_ node: Yams.Node) -> SourceLocation {
        let m = node.mark
        return SourceLocation(file: file, line: m?.line ?? 1, column: m?.column ?? 1)
    }

    mutating func error(_ node: Yams.Node, _ message: String) {
        // Bounded: a document of a million bad nodes keeps the first errors and counts the rest.
        if errors.count < TopologyLimits.storedErrors { errors.append(SchemaError(loc(node), message)) } else { omitted += 1 }
    }

    func yamlError(_ e: YamlError) -> SchemaError {
        func at(_ mark: Mark, _ problem: String, _ context: YamlError.Context?) -> SchemaError {
            var msg = "YAML syntax: \(problem)"
            if let context { msg += " (\(context.text) at \(context.mark))" }
            return SchemaError(SourceLocation(file: file, line: mark.line, column: mark.column), msg)
        }
        switch e {
        case let .scanner(context, problem, mark, _): return at(mark, problem, context)
        case let .parser(context, problem, mark, _): return at(mark, problem, context)
        case let .composer(context, problem, mark, _): return at(mark, problem, context)
        default: return SchemaError(SourceLocation(file: file, line: 1, column: 1), "YAML: \(e)")
        }
    }

    // MARK: generic helpers

    /// The mapping's pairs, reporting unknown and duplicate keys. Nil (with an error) when not a mapping.
    mutating func mapping(_ node: Yams.Node, _ what: String, allowed: Set<String>?) -> [(key: String, keyNode: Yams.Node, value: Yams.Node)]? {
        guard let m = node.mapping else {
            if let s = node.scalar, s.style == .plain, s.string.isEmpty || s.string == "~" || s.string == "null" {
                return []
            }
            error(node, "\(what) must be a mapping")
            return nil
        }
        var out: [(String, Yams.Node, Yams.Node)] = []
        var seen: Set<String> = []
        for (k, v) in m {
            guard let key = k.scalar?.string else { error(k, "\(what): keys must be plain text"); continue }
            if let allowed, !allowed.contains(key) {
                error(k, "unknown key \"\(key)\" in \(what) (expected: \(allowed.sorted().joined(separator: ", ")))")
                continue
            }
            if !seen.insert(key).inserted { error(k, "duplicate key \"\(key)\" in \(what)"); continue }
            out.append((key, k, v))
        }
        return out
    }

    mutating func sequence(_ node: Yams.Node, _ what: String) -> [Yams.Node]? {
        if let s = node.sequence { return Array(s) }
        if let s = node.scalar, s.style == .plain, s.string.isEmpty || s.string == "~" || s.string == "null" { return [] }
        error(node, "\(what) must be a list")
        return nil
    }

    mutating func string(_ node: Yams.Node, _ what: String) -> String? {
        guard let s = node.scalar, !(s.style == .plain && (s.string.isEmpty || s.string == "~" || s.string == "null")) else {
            error(node, "\(what) must be a text value")
            return nil
        }
        return s.string
    }

    mutating func int(_ node: Yams.Node, _ what: String, _ range: ClosedRange<Int>) -> Int? {
        guard let s = node.scalar?.string, let v = Int(s) else { error(node, "\(what) must be an integer"); return nil }
        guard range.contains(v) else { error(node, "\(what) \(v) is out of range \(range.lowerBound)...\(range.upperBound)"); return nil }
        return v
    }

    mutating func interfaceName(_ node: Yams.Node, _ what: String) -> String? {
        guard let s = string(node, what) else { return nil }
        do { try InterfaceName.validate(s) } catch { self.error(node, "\(error)"); return nil }
        if s == "lo" { self.error(node, "invalid interface name \"lo\": reserved for the loopback device"); return nil }
        return s
    }

    mutating func cidrs(_ node: Yams.Node, _ what: String, bare: Bool = false) -> [(IPNetwork, Yams.Node)] {
        guard let items = sequence(node, what) else { return [] }
        var out: [(IPNetwork, Yams.Node)] = []
        for item in items {
            guard let s = string(item, what) else { continue }
            do { out.append((try IPNetwork(s, allowBareAddress: bare), item)) } catch { self.error(item, "\(error)") }
        }
        return out
    }

    mutating func mac(_ node: Yams.Node) -> MACAddress? {
        guard let s = string(node, "mac") else { return nil }
        do { return try MACAddress(s) } catch { self.error(node, "\(error)"); return nil }
    }

    // MARK: the schema

    struct Pending {
        var node: String
        var nodeNode: Yams.Node
        var iface: String
        var ifaceNode: Yams.Node
    }

    mutating func parseRoot(_ root: Yams.Node) -> Topology? {
        guard let top = mapping(root, "the topology", allowed: ["name", "nodes", "links", "checks"]) else { return nil }
        var name: String?
        var nodesNode: Yams.Node?
        var linksNode: Yams.Node?
        var checksNode: Yams.Node?
        for (k, _, v) in top {
            switch k {
            case "name":
                if let s = string(v, "name") {
                    do { try validateTopologyName(s); name = s } catch { self.error(v, "\(error)") }
                }
            case "nodes": nodesNode = v
            case "links": linksNode = v
            case "checks": checksNode = v
            default: break
            }
        }
        if !top.contains(where: { $0.key == "name" }) { error(root, "missing key \"name\"") }

        // Nodes.
        var nodes: [Topology.Node] = []
        var nodeNames: Set<String> = []
        // Interface declarations per node, for duplicate and reference checks.
        var ifaces: [String: [String: Yams.Node]] = [:]
        var bridgeNames: [String: Set<String>] = [:]
        // Every address once, for the duplicate check.
        var addressSeen: [IPAddress: SourceLocation] = [:]
        var ifaceAddresses: [String: [String: [IPNetwork]]] = [:]
        var routeNodes: [(node: String, route: Topology.Route, via: Yams.Node, dev: Yams.Node?, routeNode: Yams.Node)] = []

        func declareIface(_ p: inout TopologyParser, node: String, name: String, at n: Yams.Node) {
            if let prev = ifaces[node]?[name] {
                p.error(n, "duplicate interface name \"\(name)\" in node \"\(node)\" (first declared at \(p.loc(prev).line):\(p.loc(prev).column))")
            } else {
                ifaces[node, default: [:]][name] = n
            }
        }
        func declareAddresses(_ p: inout TopologyParser, node: String, iface: String, _ list: [(IPNetwork, Yams.Node)]) {
            for (a, n) in list {
                if let prev = addressSeen[a.address] {
                    p.error(n, "address \(a.address) is used twice (first at \(prev.line):\(prev.column))")
                } else {
                    addressSeen[a.address] = p.loc(n)
                }
                ifaceAddresses[node, default: [:]][iface, default: []].append(a)
            }
        }

        if let nodesNode, let pairs = mapping(nodesNode, "nodes", allowed: nil) {
            for (nodeName, keyNode, body) in pairs {
                guard validNodeName(nodeName, keyNode, topology: name) else { continue }
                nodeNames.insert(nodeName)
                var node = Topology.Node(name: nodeName, location: loc(keyNode))
                if let fields = mapping(body, "node \"\(nodeName)\"", allowed: ["bridges", "masquerade", "routes", "sysctls"]) {
                    for (k, _, v) in fields {
                        switch k {
                        case "bridges":
                            guard let bs = mapping(v, "bridges of \"\(nodeName)\"", allowed: nil) else { break }
                            for (bname, bkey, bbody) in bs {
                                guard interfaceName(bkey, "bridge name") != nil else { continue }
                                declareIface(&self, node: nodeName, name: bname, at: bkey)
                                var bridge = Topology.Bridge(name: bname)
                                if let bf = mapping(bbody, "bridge \"\(bname)\"", allowed: ["addresses", "mac", "mtu"]) {
                                    for (bk, _, bv) in bf {
                                        switch bk {
                                        case "addresses":
                                            let list = cidrs(bv, "addresses")
                                            bridge.addresses = list.map(\.0)
                                            declareAddresses(&self, node: nodeName, iface: bname, list)
                                        case "mac": bridge.mac = mac(bv)
                                        case "mtu": bridge.mtu = int(bv, "mtu", 68...65535)
                                        default: break
                                        }
                                    }
                                }
                                node.bridges.append(bridge)
                                bridgeNames[nodeName, default: []].insert(bname)
                            }
                        case "masquerade":
                            node.masquerade = cidrs(v, "masquerade", bare: true).map { $0.0.masked }
                        case "routes":
                            guard let rs = sequence(v, "routes") else { break }
                            for r in rs {
                                if let parsed = parseRoute(r) {
                                    node.routes.append(parsed.route)
                                    routeNodes.append((nodeName, parsed.route, parsed.via, parsed.dev, r))
                                }
                            }
                        case "sysctls":
                            guard let ss = mapping(v, "sysctls", allowed: nil) else { break }
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
                                guard let s = value.scalar?.string, value.mapping == nil, value.sequence == nil,
                                      !s.contains("\n") else { error(value, "sysctl \(key): value must be a single text value"); continue }
                                node.sysctls.append(Topology.Sysctl(key, s))
                            }
                        default: break
                        }
                    }
                }
                nodes.append(node)
            }
        } else if nodesNode == nil {
            error(root, "missing key \"nodes\"")
        }

        // Links.
        var links: [Topology.Link] = []
        var pendingMasters: [(node: String, master: String, at: Yams.Node)] = []
        if let linksNode, let items = sequence(linksNode, "links") {
            for item in items {
                guard let fields = mapping(item, "link", allowed: ["endpoints", "mtu"]) else { continue }
                var endpoints: [Topology.Endpoint] = []
                var mtu: Int?
                var ok = true
                var endpointsNode: Yams.Node?
                for (k, _, v) in fields {
                    switch k {
                    case "mtu": mtu = int(v, "mtu", 68...65535)
                    case "endpoints":
                        endpointsNode = v
                        guard let eps = sequence(v, "endpoints") else { ok = false; break }
                        if eps.count != 2 { error(v, "a link has exactly 2 endpoints, found \(eps.count)"); ok = false }
                        for ep in eps {
                            guard let e = parseEndpoint(ep, nodeNames: nodeNames, declare: { p, node, name, n in declareIface(&p, node: node, name: name, at: n) },
                                                        addresses: { p, node, iface, list in declareAddresses(&p, node: node, iface: iface, list) },
                                                        masters: &pendingMasters) else { ok = false; continue }
                            endpoints.append(e)
                        }
                    default: break
                    }
                }
                if endpointsNode == nil { error(item, "link: missing key \"endpoints\""); ok = false }
                if ok, endpoints.count == 2 { links.append(Topology.Link(endpoints[0], endpoints[1], mtu: mtu)) }
            }
        } else if linksNode == nil {
            // A topology with only nodes (and bridges) is allowed.
        }
        for (node, master, at) in pendingMasters where nodeNames.contains(node) {
            if !(bridgeNames[node]?.contains(master) ?? false) {
                error(at, "bridge \"\(master)\" is not declared in node \"\(node)\"")
            }
        }

        // Routes: dev must exist in the node; via must be reachable from one of its interfaces.
        for (node, route, viaNode, devNode, _) in routeNodes {
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

        // Checks.
        var checks: [Topology.Check] = []
        if let checksNode, let items = sequence(checksNode, "checks") {
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
        }

        guard let name, errors.isEmpty else { return nil }
        return Topology(name: name, nodes: nodes, links: links, checks: checks, file: file)
    }

    mutating func validNodeName(_ s: String, _ at: Yams.Node, topology: String?) -> Bool {
        let okChars = s.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d || c == 0x2e
        }
        guard !s.isEmpty, s.utf8.count <= 64, okChars, !s.hasPrefix(".") else {
            error(at, "invalid node name \"\(s)\": must be 1-64 characters of letters, digits, '_', '-', '.' (not starting with '.')")
            return false
        }
        do { _ = try NamespaceName("\(topology ?? "x")-\(s)") } catch { self.error(at, "\(error)"); return false }
        return true
    }

    mutating func parseRoute(_ r: Yams.Node) -> (route: Topology.Route, via: Yams.Node, dev: Yams.Node?)? {
        guard let f = mapping(r, "route", allowed: ["to", "via", "dev", "metric"]) else { return nil }
        var to: IPNetwork??
        var toNode: Yams.Node?
        var via: IPAddress?
        var viaNode: Yams.Node?
        var dev: String?
        var devNode: Yams.Node?
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

    mutating func parseEndpoint(_ ep: Yams.Node, nodeNames: Set<String>,
                                declare: (inout TopologyParser, String, String, Yams.Node) -> Void,
                                addresses: (inout TopologyParser, String, String, [(IPNetwork, Yams.Node)]) -> Void,
                                masters: inout [(node: String, master: String, at: Yams.Node)]) -> Topology.Endpoint? {
        guard let f = mapping(ep, "endpoint", allowed: ["node", "name", "addresses", "master", "mac", "mtu"]) else { return nil }
        var node: String?
        var name: String?
        var nameNode: Yams.Node?
        var e = Topology.Endpoint(node: "", name: "")
        var addrList: [(IPNetwork, Yams.Node)] = []
        var masterNode: Yams.Node?
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
        declare(&self, node, name, nameNode)
        addresses(&self, node, name, addrList)
        if let m = e.master, let masterNode { masters.append((node, m, masterNode)) }
        e.node = node
        e.name = name
        e.addresses = addrList.map(\.0)
        return e
    }
}
