import Foundation
import VethKit

/// `show`: the live state of a topology, with what differs from the file marked.
public enum Shower {
    public struct Report: Sendable {
        public var topology: Topology
        public var live: LiveState
        /// The plan from live to file (empty: in sync). Nil when shown by name without a file.
        public var plan: Plan?

        /// Nodes in display order: host, declared nodes, then live ones not declared.
        var nodeOrder: [String] {
            var order = [Topology.hostNode]
            for n in topology.nodes where n.name != Topology.hostNode { order.append(n.name) }
            for n in live.nodes.keys.sorted() where !order.contains(n) { order.append(n) }
            return order
        }

        /// Plan lines concerning a node (and, when `interface` is given, that interface).
        func diffs(node: String, interface: String? = nil) -> [String] {
            guard let plan else { return [] }
            return plan.steps.compactMap { s -> String? in
                let line = plan.describe(s)
                switch s {
                case .createVeth(let i):
                    let l = topology.links[i]
                    let hit = l.endpoints.contains { $0.node == node && (interface == nil || $0.name == interface) }
                    return hit ? line : nil
                case .deleteLink(let n, let name), .setLink(let n, let name, _, _):
                    return n == node && (interface == nil || interface == name) ? line : nil
                case .addAddress(let n, let i, _), .deleteAddress(let n, let i, _):
                    return n == node && (interface == nil || interface == i) ? line : nil
                case .createBridge(let n, let b):
                    return n == node && (interface == nil || interface == b.name) ? line : nil
                default:
                    return interface == nil && s.node == node ? line : nil
                }
            } + (interface == nil ? plan.conflicts.filter { node == Topology.hostNode && $0.hasPrefix("host link") || $0.contains(" \(topology.namespaceName(of: node) ?? "\u{0}") ") } : [])
        }

        public var inSync: Bool { plan.map { $0.isEmpty && $0.conflicts.isEmpty } ?? true }

        public var text: String {
            var out: [String] = []
            if let plan {
                let c = plan.counts
                out.append(inSync ? "\(topology.name): in sync with \(topology.file)"
                                  : "\(topology.name): differs from \(topology.file) (\(c.create) missing, \(c.change) to change, \(c.remove) extra)")
            } else {
                out.append("\(topology.name): live state")
            }
            for name in nodeOrder {
                guard let n = live.nodes[name] else { continue }
                var head = "node \(name)"
                if let ns = n.namespace { head += " (namespace \(ns))" }
                if !n.exists { head += ": not present" }
                out.append(head)
                let rows: [[String]] = n.interfaces.map { i in
                    let stats = i.statistics.map { "rx \($0.rxPackets)p/\($0.rxBytes)B tx \($0.txPackets)p/\($0.txBytes)B" } ?? ""
                    let ports = n.interfaces.filter { $0.master == i.name }.map(\.name)
                    var rel = ""
                    if let p = i.peer { rel = "peer \(p)" }
                    if let m = i.master { rel += (rel.isEmpty ? "" : "  ") + "master \(m)" }
                    if i.kind == "bridge" { rel = "ports " + (ports.isEmpty ? "-" : ports.joined(separator: ",")) }
                    return ["  " + i.name, i.kind ?? "-", i.operState, "mtu \(i.mtu.map(String.init) ?? "?")",
                            i.addresses.isEmpty ? "-" : i.addresses.map(\.description).joined(separator: ","), rel, stats]
                }
                if !rows.isEmpty {
                    let widths = (0..<7).map { c in rows.map { $0[c].count }.max()! }
                    for (k, r) in rows.enumerated() {
                        out.append(r.enumerated().map { c, v in c == 6 ? v : v.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                            .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
                        for d in diffs(node: name, interface: n.interfaces[k].name) { out.append("    " + d) }
                    }
                }
                for r in n.routes { out.append("  route \(r)") }
                for (k, v) in n.sysctls.sorted(by: { $0.key < $1.key }) { out.append("  sysctl \(k) = \(v)") }
                for m in n.masquerade { out.append("  masquerade \(m)") }
                let ifNames = Set(n.interfaces.map(\.name))
                for d in diffs(node: name) where !ifNames.contains(where: { d.contains("\(name)/\($0)") }) { out.append("  " + d) }
            }
            return out.joined(separator: "\n")
        }

        /// JSON with iproute2's key names where the same fact exists (ifname, ifindex, mtu,
        /// operstate, address, master, linkinfo.info_kind, addr_info, stats64, dst, gateway, dev,
        /// metric, protocol), plus VethKit's: node, namespace, peer {node, ifname}, diff.
        public var json: String {
            var nodes: [String] = []
            for name in nodeOrder {
                guard let n = live.nodes[name] else { continue }
                var ifs: [String] = []
                for i in n.interfaces {
                    var f = ["\"ifname\":\(jsonString(i.name))", "\"ifindex\":\(i.index)"]
                    if let m = i.mtu { f.append("\"mtu\":\(m)") }
                    f.append("\"operstate\":\(jsonString(i.operState))")
                    f.append("\"flags\":[\(i.up ? "\"UP\"" : "")]")
                    if let m = i.mac { f.append("\"address\":\(jsonString(m.description))") }
                    if let m = i.master { f.append("\"master\":\(jsonString(m))") }
                    if let k = i.kind { f.append("\"linkinfo\":{\"info_kind\":\(jsonString(k))}") }
                    if let a = i.alias { f.append("\"ifalias\":\(jsonString(a))") }
                    f.append("\"group\":\(i.group)")
                    f.append("\"addr_info\":[" + i.addresses.map {
                        "{\"family\":\"\($0.isIPv4 ? "inet" : "inet6")\",\"local\":\(jsonString($0.address.description)),\"prefixlen\":\($0.prefixLength)}"
                    }.joined(separator: ",") + "]")
                    if let p = i.peer {
                        f.append("\"peer\":{\"node\":\(p.node.map(jsonString) ?? "null"),\"ifname\":\(p.name.map(jsonString) ?? "null")}")
                    }
                    if let s = i.statistics {
                        f.append("\"stats64\":{\"rx\":{\"bytes\":\(s.rxBytes),\"packets\":\(s.rxPackets),\"errors\":\(s.rxErrors),\"dropped\":\(s.rxDropped)},\"tx\":{\"bytes\":\(s.txBytes),\"packets\":\(s.txPackets),\"errors\":\(s.txErrors),\"dropped\":\(s.txDropped)}}")
                    }
                    f.append("\"diff\":[" + diffs(node: name, interface: i.name).map(jsonString).joined(separator: ",") + "]")
                    ifs.append("{" + f.joined(separator: ",") + "}")
                }
                let routes = n.routes.map { r -> String in
                    var f = ["\"dst\":\(jsonString(r.to.prefixLength == 0 ? "default" : (r.to.prefixLength == r.to.address.bitWidth ? r.to.address.description : r.to.masked.description)))"]
                    if let v = r.via { f.append("\"gateway\":\(jsonString(v.description))") }
                    if let d = r.dev { f.append("\"dev\":\(jsonString(d))") }
                    if let m = r.metric { f.append("\"metric\":\(m)") }
                    f.append("\"protocol\":\(r.proto)")
                    return "{" + f.joined(separator: ",") + "}"
                }
                let sysctls = n.sysctls.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
                nodes.append("{\"node\":\(jsonString(name)),\"namespace\":\(n.namespace.map(jsonString) ?? "null"),\"exists\":\(n.exists),"
                    + "\"interfaces\":[\(ifs.joined(separator: ","))],\"routes\":[\(routes.joined(separator: ","))],"
                    + "\"sysctls\":{\(sysctls.joined(separator: ","))},\"masquerade\":[\(n.masquerade.map { jsonString($0.description) }.joined(separator: ","))],"
                    + "\"diff\":[\(diffs(node: name).map(jsonString).joined(separator: ","))]}")
            }
            let planLines = plan.map { p in p.steps.map(p.describe) + p.conflicts.map { "! " + $0 } } ?? []
            return "{\"topology\":\(jsonString(topology.name)),\"in_sync\":\(inSync),\"nodes\":[\n"
                + nodes.joined(separator: ",\n") + "\n],\"diff\":[" + planLines.map(jsonString).joined(separator: ",") + "]}"
        }
    }

    /// The live state of the topology in `file`, compared with it.
    /// Throws ``NotUp`` when nothing of it exists.
    public static func show(_ topo: Topology) throws -> Report {
        let live = try LiveReader.read(topo, withStatistics: true)
        guard live.hasAnything(of: topo.name) else { throw NotUp.error(topo.name) }
        return Report(topology: topo, live: live, plan: Planner.plan(topo, live: live))
    }

    /// The live state of the topology called `name`, without a file (no diffs). Throws ``NotUp``
    /// when nothing of it exists.
    public static func show(name: String) throws -> Report {
        try validateTopologyName(name)
        let t = Topology(name: name, nodes: [], links: [], file: "-")
        let live = try LiveReader.read(t, withStatistics: true)
        guard live.hasAnything(of: name) else { throw NotUp.error(name) }
        return Report(topology: t, live: live, plan: nil)
    }
}
