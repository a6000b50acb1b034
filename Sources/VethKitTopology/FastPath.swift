import Foundation
import Glibc
import VethKit

/// Thread-level namespace steps for the hot paths, on VethKit's calling-thread primitives. They run
/// only on the fresh worker pthreads of ``parallelFor(_:workers:stopOnError:callerWorks:_:)`` with
/// `callerWorks: false`: those threads exit when the work is done, so their namespace changes die
/// with them, and no other thread (least of all the caller's, or a Swift concurrency pool thread)
/// ever moves.
enum ThreadNamespace {
    /// Makes /run/netns a shared mount point (once, before the workers start).
    static func prepareRunDirectory() throws {
        try NetworkNamespace.prepareRunDirectory()
    }

    /// Moves the calling worker thread into the named namespace (``NotFound`` when there is none).
    static func enter(_ name: String) throws {
        try NetworkNamespace.open(NamespaceName(name)).enterOnCallingThread()
    }
}

extension Run {
    /// Links the namespace pipeline creates: one end in the host, the other in a namespace this
    /// run creates whose every link is of that kind (a star's leaves).
    static func pipelineShape(_ topo: Topology, plan: Plan) -> (nodes: Set<String>, links: Set<Int>) {
        var newNodes = Set<String>()
        for s in plan.steps { if case .createNamespace(let n, _) = s { newNodes.insert(n) } }
        var planned = Set<Int>()
        for s in plan.steps { if case .createVeth(let i) = s { planned.insert(i) } }
        var full = newNodes
        var linksOf: [String: [Int]] = [:]
        for (i, l) in topo.links.enumerated() {
            for e in l.endpoints { linksOf[e.node, default: []].append(i) }
            let hostSide = l.a.node == Topology.hostNode || l.b.node == Topology.hostNode
            let both = l.a.node == Topology.hostNode && l.b.node == Topology.hostNode
            if !hostSide || both || !planned.contains(i) {
                for e in l.endpoints { full.remove(e.node) }
            }
        }
        var links = Set<Int>()
        for n in full { for i in linksOf[n] ?? [] { links.insert(i) } }
        return (full, links)
    }

    /// The whole life of a fresh namespace on one worker thread, without spawning a thread per
    /// namespace: create it (the thread stays inside), sysctls, then ONE batch (a single sendmsg)
    /// with lo marked and up, its bridges, its veths created from inside with the host end placed
    /// in the host (IFLA_NET_NS_FD), addresses and routes. In a namespace this thread has just
    /// made, it chooses the interface indexes itself (ifi_index in the creating request: the kernel
    /// takes it or refuses), so no lookup is needed between the steps. The host ends are brought up,
    /// enslaved and aliased afterwards in one host batch.
    func pipeline(node: String, hostNamespace: NetworkNamespace) throws {
        let ns = topo.namespaceName(of: node)!
        let line = "+ namespace \(ns) (node \(node))"
        let decl = nodeOf[node]!
        let ifaces = ifacesOf[node] ?? []
        // A namespace without a name (it dies with this process), sysctls and lo's mark from
        // inside, and only then its name (NamespacePublisher): before any veth has an end in the
        // host, so a kill at any moment leaves either nothing or a marked namespace whose veths
        // go with it.
        let h: NetHandle
        do {
            try NamespacePublisher.unshareCallingThread()
            try prepareInside(node: node)
            h = try NetHandle()
            try h.setLink(.index(1), LinkChange(up: true, alias: alias))
            try NamespacePublisher.publishCallingThread(topology: topo.name, node: node, name: ns)
        } catch { throw fail(line, error) }
        createdNamespaces.with { $0.append(ns) }

        var items: [Item] = []
        var batch = NetworkBatch()
        /// For each item that creates a veth: its host end (name, bridge).
        var hostEndOf: [Int: (String, String?)] = [:]
        var index: [String: Int32] = [:]
        var next: Int32 = 2   // lo is 1 in a new namespace
        for b in decl.bridges {
            index[b.name] = next
            next += 1
            let attrs = LinkAttributes(name: try InterfaceName(b.name), mtu: b.mtu.map(UInt32.init), address: b.mac, up: true)
            batch.addLink(try Self.newLink(index: index[b.name]!, attrs, kind: VethKit.Bridge()))
            items.append(Item(line: plan.describe(.createBridge(node: node, bridge: b))))
        }
        for i in linksOf[node] ?? [] where pipelineLinks.contains(i) {
            let l = topo.links[i]
            let (mine, host): (Topology.Endpoint, Topology.Endpoint)
            if l.a.node == node { (mine, host) = (l.a, l.b) } else if l.b.node == node { (mine, host) = (l.b, l.a) } else { continue }
            index[mine.name] = next
            next += 1
            let pa = LinkAttributes(name: try InterfaceName(mine.name), mtu: (mine.mtu ?? l.mtu).map(UInt32.init), address: mine.mac,
                                    master: mine.master.flatMap { index[$0] }.map { .index($0) }, up: true)
            let qa = LinkAttributes(name: try InterfaceName(host.name), namespace: hostNamespace, mtu: (host.mtu ?? l.mtu).map(UInt32.init),
                                    address: host.mac, group: group, up: false)
            hostEndOf[items.count] = (host.name, host.master)
            batch.addLink(try Self.newLink(index: index[mine.name]!, pa, kind: Veth(peer: qa)))
            items.append(Item(line: plan.describe(.createVeth(link: i))))
        }
        // A bridge's MTU given at creation is overridden by its ports' (auto MTU); set after them,
        // it sticks (the kernel then treats it as set by the user).
        for b in decl.bridges {
            if let mtu = b.mtu {
                batch.setLink(.index(index[b.name]!), LinkChange(mtu: UInt32(mtu)))
                items.append(Item(line: "~ link \(node)/\(b.name): mtu \(mtu)"))
            }
        }
        for i in ifaces {
            for a in i.addresses {
                let lineA = plan.describe(.addAddress(node: node, interface: i.name, address: a))
                guard let ix = index[i.name] else { throw fail(lineA, NotFound.link(i.name, in: ns)) }
                batch.addAddress(a, to: .index(ix), noDAD: !a.isIPv4, protocol: addressProtocol.map { AddressProtocol(rawValue: $0) })
                items.append(Item(line: lineA))
            }
        }
        for r in decl.routes {
            let lineR = plan.describe(.addRoute(node: node, route: r))
            batch.addRoute(VethKit.Route(destination: r.to, gateway: r.via, device: r.dev.flatMap { index[$0] }.map { .index($0) },
                                         metric: r.metric.map(UInt32.init), protocol: .vethkit))
            items.append(Item(line: lineR))
        }

        let results = try h.perform(batch)
        var firstFailure: (Int, KernelError)?
        for (k, r) in results.enumerated() {
            switch r {
            case .success:
                if let (name, master) = hostEndOf[k] {
                    createdHostLinks.with { $0.append(name) }
                    pipelineHostEnds.with { $0.append((name, master)) }
                }
            case .failure(let e):
                if firstFailure == nil { firstFailure = (k, e) }
            }
        }
        if let (k, e) = firstFailure {
            if let (name, _) = hostEndOf[k] {
                // A veth refused: name the host end, where collisions happen.
                throw fail(items[k].line, LinkFailure(node: Topology.hostNode, name: name, error: e))
            }
            throw fail(items[k].line, e)
        }
    }

    /// The spec creating `attrs` of `kind` with the interface index chosen by the caller.
    static func newLink(index: Int32, _ attrs: LinkAttributes, kind: any LinkKind) throws -> LinkSpec {
        var a = attrs
        a.index = index
        let spec = LinkSpec(a, kind: kind)
        try spec.validate()
        return spec
    }
}
