import Glibc
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
        /// Every qdisc of the namespace: one dump (root ones tell impairments and cuts).
        var qdiscs: [Qdisc] = []
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

    /// lo's alias in many namespaces, read by worker threads that enter each in turn (setns on
    /// fresh pthreads that exit afterwards): one socket and one request per namespace.
    /// `.none` for a name that is no namespace (a plain file), absent when it vanished.
    static func marks(of names: [String]) -> [String: String??] {
        let result = Locked<[String: String??]>([:])
        _ = parallelFor(names.count, callerWorks: false) { i in
            let m: String??
            do {
                try ThreadNamespace.enter(names[i])
                let lo = try NetHandle().link(index: 1)
                m = .some(lo.alias.flatMap { $0.isEmpty ? nil : $0 })
            } catch is NotFound {
                return
            } catch {
                m = .none
            }
            result.with { $0[names[i]] = m }
        }
        return result.value
    }

    /// How many ends VethKit impairs and cuts in each of `names` (one qdisc dump each, by worker
    /// threads that enter them in turn, as ``marks(of:)``): for `list`.
    static func egressCounts(of names: [String]) -> [String: (impaired: Int, cut: Int)] {
        let result = Locked<[String: (impaired: Int, cut: Int)]>([:])
        _ = parallelFor(names.count, callerWorks: false) { i in
            guard (try? ThreadNamespace.enter(names[i])) != nil, let qs = try? NetHandle().qdiscs() else { return }
            let c = TopologyImpairments.count(qs)
            result.with { $0[names[i]] = c }
        }
        return result.value
    }

    /// Namespaces of the topology named `topology` (lo carries its mark), and its leftovers
    /// (temporary files and placeholders of an interrupted `up`, see ``NamespacePublisher``).
    /// Anything else under the prefix — unmarked namespaces, empty or not, others' marks, plain
    /// files — is not returned: it is the user's.
    ///
    /// A candidate that holds the peer of one of the topology's marked host links is the
    /// topology's without entering it (one RTM_GETNSID from here); the others are entered and
    /// their lo's mark read. `ids` are the namespace ids (seen from here) of the owned ones found
    /// by their peers.
    public static func ownedNamespaces(of topology: String, hostLinks: [VethKit.Link]? = nil) throws -> (owned: [(node: String, namespace: String)], stale: [String]) {
        let r = try ownedNamespacesWithIDs(of: topology, hostLinks: hostLinks)
        return (r.owned, r.stale)
    }

    /// What ``ownedNamespacesWithIDs(of:hostLinks:)`` found, and how.
    struct NamespaceSearch {
        var owned: [(node: String, namespace: String)]
        var stale: [String]
        /// The namespace ids (seen from here) of the owned ones found by their peers.
        var ids: Set<Int32>
        /// The owned namespaces found by entering them.
        var entered: [String]
        /// How many were known by their peers, and how many candidates had to be entered.
        var knownByPeers: Int
        var candidatesEntered: Int
    }

    static func ownedNamespacesWithIDs(of topology: String, hostLinks: [VethKit.Link]?) throws -> NamespaceSearch {
        var cands = try candidateNamespaces(of: topology)
        let alias = Ownership.alias(for: topology)
        var owned: [(String, String)] = []
        var ids = Set<Int32>()
        if let hostLinks {
            let peerIDs = Set(hostLinks.filter { $0.isVeth && Ownership.owns(alias: $0.alias, topology: topology) }.compactMap(\.linkNetnsID))
            if !peerIDs.isEmpty {
                let host = try NetHandle()
                cands.removeAll { c in
                    guard let name = try? NamespaceName(c.namespace), let ns = try? NetworkNamespace.open(name),
                          let id = try? host.namespaceID(of: ns), peerIDs.contains(id) else { return false }
                    owned.append(c)
                    ids.insert(id)
                    return true
                }
            }
        }
        let knownByPeers = owned.count, candidatesEntered = cands.count
        let marks = marks(of: cands.map(\.namespace))
        var unenterable: [String] = []
        var entered: [String] = []
        for c in cands {
            guard let m = marks[c.namespace] else { continue }
            guard let a = m else { unenterable.append(c.namespace); continue }
            if a == alias { owned.append(c); entered.append(c.namespace) }
        }
        return NamespaceSearch(owned: owned, stale: try NamespacePublisher.leftovers(of: topology, unenterable: unenterable), ids: ids,
                               entered: entered, knownByPeers: knownByPeers, candidatesEntered: candidatesEntered)
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
        let declaredHostRoutes = Set((hostNode?.routes ?? []).map { $0.to.masked })
        let hostRoutes = try host.routes().filter { r in
            r.protocol.rawValue == Ownership.routeProtocol || declaredHostRoutes.contains(r.destination)
        }
        let records = TopologyRecords(topo.name)
        let recordedSysctls = (try? records.sysctls()) ?? [:]
        var hostSysctls: [String: String] = [:]
        for s in hostNode?.sysctls ?? [] { hostSysctls[s.key] = try? Sysctl.read(s.key) }
        for k in recordedSysctls.keys where hostSysctls[k] == nil { hostSysctls[k] = try? Sysctl.read(k) }
        let hostRaw = RawNode(node: Topology.hostNode, namespace: nil, links: hostLinks, addresses: hostAddrs, routes: hostRoutes,
                              sysctls: hostSysctls, owned: true, loAlias: nil, qdiscs: try host.qdiscs())

        // Namespaces.
        let cands = try candidateNamespaces(of: topo.name)
        let raws = Locked<[Int: RawNode]>([:])
        let unenterable = Locked<[Int]>([])
        let failures = parallelFor(cands.count, callerWorks: false) { i in
            let c = cands[i]
            let declaredSysctls = declaredNodes[c.node]?.sysctls ?? []
            let raw: RawNode
            do {
                try ThreadNamespace.enter(c.namespace)
            } catch is NotFound {
                return
            } catch {
                // Not a namespace: a placeholder of ours or a user's plain file (decided below).
                unenterable.with { $0.append(i) }
                return
            }
            let h = try NetHandle()
            let links = withStatistics ? try h.links() : try h.linksWithoutStatistics()
            let lo = links.first { $0.name == "lo" }
            let loAlias = lo?.alias.flatMap { $0.isEmpty ? nil : $0 }
            let owned = loAlias == alias
            if owned {
                var sysctls: [String: String] = [:]
                for s in declaredSysctls { sysctls[s.key] = try? Sysctl.read(s.key) }
                raw = RawNode(node: c.node, namespace: c.namespace, links: links, addresses: try h.addresses(),
                              routes: try h.routes().filter { $0.protocol != .kernel && $0.protocol != .ra },
                              sysctls: sysctls, owned: true, loAlias: loAlias, qdiscs: try h.qdiscs())
            } else {
                // Not marked (empty or not) or marked by someone else: the user's.
                raw = RawNode(node: c.node, namespace: c.namespace, links: [], addresses: [], routes: [], sysctls: [:], owned: false, loAlias: loAlias)
            }
            raws.with { $0[i] = raw }
        }
        if let f = failures.first { throw f.1 }

        var all: [RawNode] = [hostRaw]
        var got = raws.value
        var unenterableNames: [String] = []
        for i in unenterable.value {
            let c = cands[i]
            if NamespacePublisher.isPlaceholder("\(NetworkNamespace.runDirectory)/\(c.namespace)", topology: topo.name) {
                unenterableNames.append(c.namespace)
            } else {
                // A user's plain file under our name.
                got[i] = RawNode(node: c.node, namespace: c.namespace, links: [], addresses: [], routes: [], sysctls: [:], owned: false, loAlias: nil)
            }
        }
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
        state.staleNamespaces = try NamespacePublisher.leftovers(of: topo.name, unenterable: unenterableNames).sorted()
        state.staleLinks = hostLinks.filter { Ownership.isTemporaryLink(name: $0.name, group: $0.group, topology: topo.name) }.map(\.name).sorted()
        state.recordedSysctls = recordedSysctls.mapValues(\.old)
        let marking = AddressMarking.detect(from: hostAddrs)
        state.addressMarking = marking
        let addressRecords = (try? records.addresses()) ?? []
        state.addressRecords = addressRecords
        let group = topo.linkGroup
        state.missingQdiscs = TopologyImpairments.missingQdiscs(topo)
        state.seedUnsupported = TopologyImpairments.seedUnsupported(topo)
        for (ni, r) in all.enumerated() {
            var ns = LiveState.NodeState(name: r.node, namespace: r.namespace, exists: true, owned: r.owned)
            let roots = TopologyImpairments.roots(r.qdiscs)
            ns.sysctls = r.sysctls
            let names = Dictionary(r.links.map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
            let isHost = r.namespace == nil
            for l in r.links where l.name != "lo" {
                let marked = Ownership.owns(alias: l.alias, topology: topo.name)
                if isHost && !marked && !hostDeclared.contains(l.name) && !(l.isVeth && l.group == group) { continue }
                if isHost && Ownership.isTemporaryLink(name: l.name, group: l.group, topology: topo.name) { continue }
                let addrs = r.addresses.filter { $0.linkIndex == l.index && !$0.network.address.isIPv6LinkLocal }
                var i = LiveState.Interface(name: l.name, kind: l.kind, index: l.index, mtu: l.mtu.map(Int.init), mac: l.address,
                                            master: l.masterIndex.flatMap { names[$0] }, up: l.isUp, operState: l.operationalState.description,
                                            alias: l.alias.flatMap { $0.isEmpty ? nil : $0 }, group: l.group,
                                            addresses: addrs.map(\.network),
                                            statistics: withStatistics ? l.statistics : nil)
                (i.flags, i.qdisc) = (l.flags, l.qdisc)
                i.foreignAddresses = addrs.filter { a in
                    a.protocol.rawValue != Ownership.addressProtocol
                        && !addressRecords.contains(.init(node: r.node, interface: l.name, address: a.network))
                }.map(\.network)
                if l.isVeth { i.peer = peer(of: End(node: ni, link: l)) }
                (i.parent, i.kindOptions) = Topology.KindLink.live(l, names: names)
                if let q = roots[l.index], !q.isKernelDefault {
                    i.egress = TopologyImpairments.egress(q)
                    i.rootQdisc = (q.kind, "\(q.handle)")
                }
                if isHost && !marked {
                    // Ours only when its peer is in one of our (marked) namespaces.
                    let peerNode = i.peer?.node
                    i.markedByPeer = l.isVeth && l.group == group && peerNode != nil && peerNode != Topology.hostNode
                        && all.contains { $0.node == peerNode && $0.owned }
                    if !i.markedByPeer && !hostDeclared.contains(l.name) { continue }
                }
                ns.interfaces.append(i)
            }
            ns.routes = r.routes.compactMap { rt in
                guard rt.type == .unicast else { return nil }
                let to = rt.destination
                if to.address.isIPv6LinkLocal { return nil }
                return LiveState.RouteEntry(to: to, via: rt.gateway, dev: rt.device.flatMap { if case .index(let i) = $0 { names[i] } else { nil } },
                                            metric: rt.metric.map(Int.init), proto: rt.protocol.rawValue)
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

    /// Removes the rule only when its chain's comment names it (a chain of that name with any
    /// other comment is someone else's and stays).
    static func remove(_ topology: String, _ node: String, _ namespace: NetworkNamespace?, _ source: IPNetwork) throws {
        let o = owner(topology, node, source)
        guard case .some(.some(let comment)) = try Masquerade.chains(in: namespace)[Masquerade.chainName(owner: o)], comment == o else { return }
        try Masquerade.remove(owner: o, in: namespace)
    }

    /// The sources masqueraded for `topology`'s `node` in `namespace`.
    static func sources(_ topology: String, _ node: String, _ namespace: NetworkNamespace?) throws -> [IPNetwork] {
        guard NFTables.isAvailable else { return [] }
        let prefix = "topo/\(topology)/\(node)/"
        return try Masquerade.chains(in: namespace).compactMap { chain, comment in
            guard let o = comment, o.hasPrefix(prefix), chain == Masquerade.chainName(owner: o) else { return nil }
            return try? IPNetwork(String(o.dropFirst(prefix.count)))
        }.sorted { $0.description < $1.description }
    }

    /// Removes every rule of `topology` in the host.
    static func removeAll(_ topology: String) throws {
        guard NFTables.isAvailable else { return }
        for (chain, comment) in try Masquerade.chains() {
            guard let o = comment, o.hasPrefix("topo/\(topology)/"), chain == Masquerade.chainName(owner: o) else { continue }
            try Masquerade.remove(owner: o)
        }
    }

    /// True when the host has a masquerade chain of `topology`.
    static func hasAny(_ topology: String) -> Bool {
        guard NFTables.isAvailable, let chains = try? Masquerade.chains() else { return false }
        return chains.values.contains { c in c.map { $0.hasPrefix("topo/\(topology)/") } ?? false }
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
