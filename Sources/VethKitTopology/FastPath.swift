import VethKit

// The namespace pipeline: the fast path of `up` for namespaces built whole from inside.

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
        // A node that gets kind links is built step by step (they need its veths first).
        for s in plan.steps { if case .createKindLink(let n, _, _) = s { full.remove(n) } }
        var links = Set<Int>()
        for n in full { for i in linksOf[n] ?? [] { links.insert(i) } }
        return (full, links)
    }

    /// The whole life of a fresh namespace on one worker thread, without spawning a thread per
    /// namespace: create it (the thread stays inside), sysctls, then ONE batch (a single sendmsg)
    /// with its bridges, its veths created from inside with the host end placed in the host
    /// (IFLA_NET_NS_FD), addresses and routes. In a namespace this thread has just made, it
    /// chooses the interface indexes itself (ifi_index in the creating request: the kernel takes
    /// it or refuses), so no lookup is needed between the steps. The host ends are brought up,
    /// enslaved and aliased afterwards in one host batch (Configure).
    func pipeline(node: String, hostNamespace: NetworkNamespace) throws {
        let ns = topo.namespaceName(of: node)!
        let decl = nodeOf[node]!
        // A namespace without a name (it dies with this process), sysctls and lo's mark from
        // inside, and only then its name (NamespacePublisher): before any veth has an end in the
        // host, so a kill at any moment leaves either nothing or a marked namespace whose veths
        // go with it.
        let h: NetHandle
        do { h = try publishMarked(node: node, namespace: ns) } catch { throw fail("+ namespace \(ns) (node \(node))", error) }

        var batch = NodeBatch(node: node, namespace: ns)
        var next: Int32 = 2   // lo is 1 in a new namespace
        func nextIndex() -> Int32 { defer { next += 1 }; return next }
        for b in decl.bridges {
            let line = plan.describe(.createBridge(node: node, bridge: b))
            do {
                let attrs = LinkAttributes(name: try InterfaceName(b.name), mtu: b.mtu.map(UInt32.init), address: b.mac, up: true)
                try batch.addLink(at: nextIndex(), attrs, kind: VethKit.Bridge(), line: line)
            } catch { throw fail(line, error) }
        }
        for i in linksOf[node] ?? [] where pipelineLinks.contains(i) {
            let l = topo.links[i]
            let (mine, host): (Topology.Endpoint, Topology.Endpoint)
            if l.a.node == node { (mine, host) = (l.a, l.b) } else if l.b.node == node { (mine, host) = (l.b, l.a) } else { continue }
            let line = plan.describe(.createVeth(link: i))
            do {
                let pa = LinkAttributes(name: try InterfaceName(mine.name), mtu: (mine.mtu ?? l.mtu).map(UInt32.init), address: mine.mac,
                                        master: mine.master.flatMap { batch.index[$0] }.map(LinkReference.index), up: true)
                let qa = LinkAttributes(name: try InterfaceName(host.name), namespace: hostNamespace, mtu: (host.mtu ?? l.mtu).map(UInt32.init),
                                        address: host.mac, group: group, up: false)
                try batch.addLink(at: nextIndex(), pa, kind: Veth(peer: qa), line: line, hostEnd: (host.name, host.master))
            } catch { throw fail(line, error) }
        }
        // A bridge's MTU given at creation is overridden by its ports' (auto MTU); set after them,
        // it sticks (the kernel then treats it as set by the user).
        for b in decl.bridges {
            guard let mtu = b.mtu else { continue }
            let line = "~ link \(node)/\(b.name): mtu \(mtu)"
            do { try batch.setLink(b.name, LinkChange(mtu: UInt32(mtu)), line: line) } catch { throw fail(line, error) }
        }
        try addConfiguration(stepsOf[node] ?? [], to: &batch)
        try perform(batch, on: h)
    }
}

