import Glibc
import VethKit
import VethKitJSON

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
                case .createKindLink(let n, let k, _):
                    return n == node && (interface == nil || interface == k.name) ? line : nil
                case .changeKindLink(let n, let name, _, _), .impair(let n, let name, _, _), .clearImpairment(let n, let name, _):
                    return n == node && (interface == nil || interface == name) ? line : nil
                default:
                    return interface == nil && s.node == node ? line : nil
                }
            } + (interface == nil ? plan.conflicts.filter { node == Topology.hostNode && $0.hasPrefix("host link") || $0.contains(" \(topology.namespaceName(of: node) ?? "\u{0}") ") }
                 // A user's qdisc where the file wants an impairment: under that interface.
                 : plan.conflicts.filter { $0.hasPrefix("qdisc ") && $0.contains(" on \(node)/\(interface!) ") }.map { "! " + $0 })
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
                    if let o = i.kindOptions {
                        // A kind link: what it sits on and its options (`on eth0, mode bridge`).
                        let t = Topology.KindLink(name: i.name, options: o, parent: i.parent).planText
                        if !t.isEmpty { rel += (rel.isEmpty ? "" : "  ") + t }
                    }
                    if let e = i.egress { rel += (rel.isEmpty ? "" : "  ") + Shower.egressText(e) }
                    return ["  " + i.name, i.kind ?? "-", i.operState, "mtu \(i.mtu.map(String.init) ?? "?")",
                            i.addresses.isEmpty ? "-" : i.addresses.map(\.description).joined(separator: ","), rel, stats]
                }
                if !rows.isEmpty {
                    for (k, line) in TextFormat.table(rows).enumerated() {
                        out.append(String(line.drop(while: { $0 == " " })))
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

        /// JSON with iproute2's key names and value types where the same fact exists (ifname,
        /// ifindex, flags, mtu, qdisc, operstate, address, master, linkinfo.info_kind, group (a
        /// string: `default`), addr_info, stats64, dst, gateway, dev, metric, protocol (by name, as
        /// `route show --json`: `vethkit` for 0x56)), plus VethKit's: node, namespace, peer {node,
        /// ifname}, root_qdisc, impair, cut, diff.
        public var jsonValue: JSON {
            var nodes: [JSON] = []
            for name in nodeOrder {
                guard let n = live.nodes[name] else { continue }
                let ifs = n.interfaces.map { i -> JSON in
                    var f: JSONObject = ["ifname": .string(i.name), "ifindex": JSON(i.index)]
                    f.set("mtu", i.mtu)
                    f["operstate"] = .string(i.operState)
                    f["flags"] = .array((i.flags?.names ?? (i.up ? ["UP"] : [])).map(JSON.string))
                    f.set("qdisc", i.qdisc)
                    f.set("address", i.mac?.description)
                    f.set("master", i.master)
                    if let k = i.kind {
                        var info: JSONObject = ["info_kind": .string(k)]
                        if let d = Shower.infoData(i) { info["info_data"] = .object(d) }
                        f["linkinfo"] = .object(info)
                    }
                    // ip -j's `link`: a vlan's, macvlan's or ipvlan's parent (a vxlan's is in info_data).
                    if let p = i.parent, i.kind != "vxlan" { f["link"] = .string(p) }
                    f.set("ifalias", i.alias)
                    f["group"] = .string(LinkGroupName.text(i.group))
                    f["addr_info"] = .array(i.addresses.map {
                        ["family": .string($0.family.name), "local": .string($0.address.description), "prefixlen": JSON($0.prefixLength)]
                    })
                    if let p = i.peer { f["peer"] = ["node": p.node.map(JSON.string) ?? .null, "ifname": p.name.map(JSON.string) ?? .null] }
                    if let s = i.statistics {
                        f["stats64"] = ["rx": ["bytes": JSON(s.rxBytes), "packets": JSON(s.rxPackets), "errors": JSON(s.rxErrors), "dropped": JSON(s.rxDropped)],
                                        "tx": ["bytes": JSON(s.txBytes), "packets": JSON(s.txPackets), "errors": JSON(s.txErrors), "dropped": JSON(s.txDropped)]]
                    }
                    Shower.egressJSON(i, into: &f)
                    f["diff"] = .array(diffs(node: name, interface: i.name).map(JSON.string))
                    return .object(f)
                }
                let routes = n.routes.map { r -> JSON in
                    var f: JSONObject = ["dst": .string(r.to.prefixLength == 0 ? "default" : (r.to.prefixLength == r.to.address.bitWidth ? r.to.address.description : r.to.masked.description))]
                    f.set("gateway", r.via?.description)
                    f.set("dev", r.dev)
                    f.set("metric", r.metric)
                    f["protocol"] = .string(RouteProtocol(rawValue: r.proto).name)
                    return .object(f)
                }
                var sysctls = JSONObject()
                for (k, v) in n.sysctls.sorted(by: { $0.key < $1.key }) { sysctls[k] = .string(v) }
                nodes.append(["node": .string(name), "namespace": n.namespace.map(JSON.string) ?? .null, "exists": .bool(n.exists),
                              "interfaces": .array(ifs), "routes": .array(routes), "sysctls": .object(sysctls),
                              "masquerade": .array(n.masquerade.map { .string($0.description) }),
                              "diff": .array(diffs(node: name).map(JSON.string))])
            }
            let planLines = plan.map { p in p.steps.map(p.describe) + p.conflicts.map { "! " + $0 } } ?? []
            return ["topology": .string(topology.name), "in_sync": .bool(inSync), "nodes": .array(nodes),
                    "diff": .array(planLines.map(JSON.string))]
        }

        /// ``jsonValue`` as text.
        public var json: String { jsonValue.serialized }
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
