import Foundation
import VethKit

/// Reads a topology's live state from the kernel: the host (the namespace vethctl runs in) and
/// every namespace named `<topology>-*`. Namespaces are read in parallel, each by a dedicated
/// thread inside it; no handle outlives its namespace's turn, so a 1000-node topology needs a
/// handful of file descriptors, not thousands.
public enum LiveReader {
    /// Raw facts of one namespace, before peers are resolved.
    struct RawNode: Sendable {
        var node: String
        var namespace: String?
        var links: [VethKit.Link]
        var addresses: [Address]
        var routes: [VethKit.Route]
        var sysctls: [String: String]
        var owned: Bool
        var loAlias: String?
    }

    static let rtprotKernel: UInt8 = 2
    static let rtprotRA: UInt8 = 9

    /// The namespaces whose names start with `<topology>-`, with the node name each stands for.
    public static func candidateNamespaces(of topology: String) throws -> [(node: String, namespace: String)] {
        let prefix = topology + "-"
        return try NetworkNamespace.list().compactMap { n in
            n.rawValue.hasPrefix(prefix) && n.rawValue.count > prefix.count ? (String(n.rawValue.dropFirst(prefix.count)), n.rawValue) : nil
        }
    }

    /// Reads lo's alias and whether the namespace is an empty, unmarked one (what a `kill -9`
    /// right after creating it leaves). Nil when the namespace cannot be entered (a stale name).
    static func mark(of namespace: String) -> (alias: String?, empty: Bool)? {
        guard let name = try? NamespaceName(namespace), let ns = try? NetworkNamespace.open(name) else { return nil }
        return try? ns.run {
            let h = try NetHandle()
            let links = try h.links()
            let lo = links.first { $0.name == "lo" }
            return (lo?.alias.flatMap { $0.isEmpty ? nil : $0 }, links.count <= 1 && !(lo?.isUp ?? false))
        }
    }

    /// Marks of many namespaces, read by worker threads that enter each in turn (setns on fresh
    /// pthreads that exit afterwards): one socket and one or two requests per namespace.
    /// Nil for a name that is no namespace (a stale file).
    static func marks(of names: [String]) -> [String: (alias: String?, empty: Bool)?] {
        let result = Locked<[String: (alias: String?, empty: Bool)?]>([:])
        _ = parallelFor(names.count, callerWorks: false) { i in
            var m: (alias: String?, empty: Bool)?
            do {
                try ThreadNamespace.enter(names[i])
                let h = try NetHandle()
                let lo = try h.link(index: 1)
                let alias = lo.alias.flatMap { $0.isEmpty ? nil : $0 }
                var empty = false
                if alias == nil && !lo.isUp { empty = try h.links().count <= 1 }
                m = (alias, empty)
            } catch {
                m = nil
            }
            result.with { $0[names[i]] = .some(m) }
        }
        return result.value.mapValues { $0 }
    }

    /// Namespaces of the topology named `topology` (its mark on lo, or empty and unmarked), and stale
    /// names (a file under /run/netns that is no namespace, left by an interrupted creation).
    ///
    /// A candidate that holds the peer of one of the topology's marked host links is the
    /// topology's without entering it (one RTM_GETNSID from here); the others are entered and
    /// their lo's mark read.
    public static func ownedNamespaces(of topology: String, hostLinks: [VethKit.Link]? = nil) throws -> (owned: [(node: String, namespace: String)], stale: [String]) {
        var cands = try candidateNamespaces(of: topology)
        let alias = Ownership.alias(for: topology)
        var owned: [(String, String)] = []
        if let hostLinks {
            let peerIDs = Set(hostLinks.filter { $0.isVeth && Ownership.owns(alias: $0.alias, group: $0.group, topology: topology) }.compactMap(\.linkNetnsID))
            if !peerIDs.isEmpty {
                let host = try NetHandle()
                cands.removeAll { c in
                    guard let name = try? NamespaceName(c.namespace), let ns = try? NetworkNamespace.open(name),
                          let id = try? host.namespaceID(of: ns), peerIDs.contains(id) else { return false }
                    owned.append(c)
                    return true
                }
            }
        }
        if Run.timingsOn { FileHandle.standardError.write(Data("timings: \(owned.count) namespaces known by their peers, \(cands.count) entered\n".utf8)) }
        let marks = marks(of: cands.map(\.namespace))
        var stale: [String] = []
        for c in cands {
            guard let m = marks[c.namespace] ?? nil else { stale.append(c.namespace); continue }
            if m.alias == alias || (m.alias == nil && m.empty) { owned.append(c) }
        }
        return (owned, stale)
    }

    /// Reads everything the planner and `show` need.
    public static func read(_ topo: Topology, withStatistics: Bool = false) throws -> LiveState {
        let host = try NetHandle()
        let alias = topo.alias
        var nodeOf: [String: Topology.Node] = [:]
        for n in topo.nodes { nodeOf[n.name] = n }
        let declaredNodes = nodeOf
        let hostNode = nodeOf[Topology.hostNode]
        let hostDeclared = Set(topo.interfaces(of: Topology.hostNode).map(\.name))

        // Host: our links and those the file names.
        let hostLinks = withStatistics ? try host.links() : try host.linksWithoutStatistics()
        let hostAddrs = try host.addresses()
        let hostRoutes = try host.routes().filter { $0.protocolID == Ownership.routeProtocol }
        var hostSysctls: [String: String] = [:]
        for s in hostNode?.sysctls ?? [] { hostSysctls[s.key] = try? Sysctl.read(s.key) }
        let hostRaw = RawNode(node: Topology.hostNode, namespace: nil, links: hostLinks, addresses: hostAddrs, routes: hostRoutes,
                              sysctls: hostSysctls, owned: true, loAlias: nil)

        // Namespaces.
        let cands = try candidateNamespaces(of: topo.name)
        let raws = Locked<[Int: RawNode]>([:])
        let stale = Locked<[String]>([])
        let failures = parallelFor(cands.count, callerWorks: false) { i in
            let c = cands[i]
            let declaredSysctls = declaredNodes[c.node]?.sysctls ?? []
            let raw: RawNode
            do {
                try ThreadNamespace.enter(c.namespace)
            } catch is NotFound {
                return
            } catch {
                // Not enterable: a name left by an interrupted creation.
                stale.with { $0.append(c.namespace) }
                return
            }
            let h = try NetHandle()
            let links = withStatistics ? try h.links() : try h.linksWithoutStatistics()
            let lo = links.first { $0.name == "lo" }
            let loAlias = lo?.alias.flatMap { $0.isEmpty ? nil : $0 }
            // An empty, unmarked namespace of ours is what a kill -9 right after creating it leaves:
            // report it stale, so `up` deletes and recreates it (and marks it) instead of adopting
            // an unmarked namespace that a later run would then refuse as foreign.
            if loAlias == nil && links.count <= 1 && !(lo?.isUp ?? false) {
                stale.with { $0.append(c.namespace) }
                return
            }
            let owned = loAlias == alias
            if owned {
                var sysctls: [String: String] = [:]
                for s in declaredSysctls { sysctls[s.key] = try? Sysctl.read(s.key) }
                raw = RawNode(node: c.node, namespace: c.namespace, links: links, addresses: try h.addresses(),
                              routes: try h.routes().filter { $0.protocolID != rtprotKernel && $0.protocolID != rtprotRA },
                              sysctls: sysctls, owned: true, loAlias: loAlias)
            } else {
                raw = RawNode(node: c.node, namespace: c.namespace, links: [], addresses: [], routes: [], sysctls: [:], owned: false, loAlias: loAlias)
            }
            raws.with { $0[i] = raw }
        }
        if let f = failures.first { throw f.1 }

        var all: [RawNode] = [hostRaw]
        let got = raws.value
        for i in cands.indices { if let r = got[i] { all.append(r) } }
        // Namespaces claimed by another topology (a longer name sharing our prefix) are not ours
        // and are not declared: drop them, unless the file declares that node (then: a conflict).
        all.removeAll { !$0.owned && nodeOf[$0.node] == nil }

        // Peers: match veth ends across namespaces by (ifindex, peer ifindex) both ways.
        struct End { var node: Int; var link: VethKit.Link }
        var ends: [End] = []
        for (ni, r) in all.enumerated() { for l in r.links where l.isVeth { ends.append(End(node: ni, link: l)) } }
        var byIndex: [Int32: [Int]] = [:]
        for (k, e) in ends.enumerated() { byIndex[e.link.index, default: []].append(k) }
        func peer(of e: End) -> LiveState.PeerRef {
            guard let pi = e.link.linkIndex else { return .init(node: nil, name: nil) }
            let cands = (byIndex[pi] ?? []).filter { k in
                let f = ends[k]
                guard f.link.linkIndex == e.link.index else { return false }
                return e.link.linkNetnsID == nil ? f.node == e.node : f.node != e.node
            }
            if cands.count == 1 { let f = ends[cands[0]]; return .init(node: all[f.node].node, name: f.link.name) }
            if cands.isEmpty { return .init(node: nil, name: nil) }
            // Ambiguous (index coincidences): ask the kernel which namespace the id stands for.
            if let id = e.link.linkNetnsID {
                for k in cands {
                    let f = ends[k]
                    guard let fns = all[f.node].namespace.flatMap({ try? NamespaceName($0) }).flatMap({ try? NetworkNamespace.open($0) }) ?? (all[f.node].namespace == nil ? try? NetworkNamespace.current() : nil) else { continue }
                    let asker: NetHandle? = all[e.node].namespace == nil ? host : (try? NetHandle(named: NamespaceName(all[e.node].namespace!)))
                    if let got = try? asker?.namespaceID(of: fns), got == id { return .init(node: all[f.node].node, name: f.link.name) }
                }
            }
            return .init(node: nil, name: nil)
        }

        var state = LiveState()
        state.staleNamespaces = stale.value.sorted()
        for (ni, r) in all.enumerated() {
            var ns = LiveState.NodeState(name: r.node, namespace: r.namespace, exists: true, owned: r.owned)
            ns.sysctls = r.sysctls
            let names = Dictionary(r.links.map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
            let isHost = r.namespace == nil
            for l in r.links where l.name != "lo" {
                if isHost && !Ownership.owns(alias: l.alias, group: l.group, topology: topo.name) && !hostDeclared.contains(l.name) { continue }
                var i = LiveState.Interface(name: l.name, kind: l.kind, index: l.index, mtu: l.mtu.map(Int.init), mac: l.address,
                                            master: l.masterIndex.flatMap { names[$0] }, up: l.isUp, operState: l.operationalState.description,
                                            alias: l.alias.flatMap { $0.isEmpty ? nil : $0 }, group: l.group,
                                            addresses: r.addresses.filter { $0.linkIndex == l.index && !$0.network.address.isIPv6LinkLocal }.map(\.network),
                                            statistics: withStatistics ? l.statistics : nil)
                if l.isVeth { i.peer = peer(of: End(node: ni, link: l)) }
                ns.interfaces.append(i)
            }
            ns.routes = r.routes.compactMap { rt in
                guard rt.type == 1 else { return nil }
                let to = rt.destination ?? (try! IPNetwork(address: rt.family == AF_INET6 ? .v6(0, 0) : .v4(0), prefixLength: 0))
                if to.address.isIPv6LinkLocal { return nil }
                return LiveState.RouteEntry(to: to, via: rt.gateway, dev: rt.outputIndex.flatMap { names[$0] },
                                            metric: rt.metric.map(Int.init), proto: rt.protocolID)
            }
            state.nodes[r.node] = ns
        }
        // Declared nodes whose namespace does not exist.
        for n in topo.nodes where state.nodes[n.name] == nil {
            state.nodes[n.name] = .init(name: n.name, namespace: topo.namespaceName(of: n.name), exists: false, owned: false)
        }
        try TopologyMasquerade.read(topo, &state)
        return state
    }
}

/// Masquerade rules of topologies: VethKit's nftables masquerade (libnftables, in process), one
/// owner per (topology, node, source prefix): `topo/<topology>/<node>/<prefix>`.
enum TopologyMasquerade {
    static func owner(_ topology: String, _ node: String, _ source: IPNetwork) -> String {
        "topo/\(topology)/\(node)/\(source.masked)"
    }

    static func add(_ topology: String, _ node: String, _ namespace: NetworkNamespace?, _ source: IPNetwork) throws {
        try Masquerade.install(source: source.masked, excluding: source.masked, owner: owner(topology, node, source), in: namespace)
    }

    static func remove(_ topology: String, _ node: String, _ namespace: NetworkNamespace?, _ source: IPNetwork) throws {
        try Masquerade.remove(owner: owner(topology, node, source), in: namespace)
    }

    /// The sources masqueraded for `topology`'s `node` in `namespace`.
    static func sources(_ topology: String, _ node: String, _ namespace: NetworkNamespace?) throws -> [IPNetwork] {
        guard NFTables.isAvailable else { return [] }
        let prefix = "topo/\(topology)/\(node)/"
        return try Masquerade.owners(in: namespace).compactMap { o in
            o.hasPrefix(prefix) ? try? IPNetwork(String(o.dropFirst(prefix.count))) : nil
        }
    }

    /// Removes every rule of `topology` in the host.
    static func removeAll(_ topology: String) throws {
        guard NFTables.isAvailable else { return }
        for o in try Masquerade.owners() where o.hasPrefix("topo/\(topology)/") {
            try Masquerade.remove(owner: o)
        }
    }

    /// Fills in the live masquerade of the host and of the nodes that declare some.
    static func read(_ topo: Topology, _ state: inout LiveState) throws {
        guard NFTables.isAvailable else { return }
        for (name, n) in state.nodes where n.exists && (name == Topology.hostNode || topo.nodes.contains { $0.name == name && !$0.masquerade.isEmpty }) {
            let ns = try n.namespace.map { try NetworkNamespace.open(NamespaceName($0)) }
            state.nodes[name]!.masquerade = try sources(topo.name, name, ns)
        }
    }
}
