import Foundation
import VethKit

/// One execution of a plan, with the journal its rollback needs.
final class Run: @unchecked Sendable {
    let topo: Topology
    let plan: Plan
    let live: LiveState
    let options: Applier.Options
    let host: NetHandle

    /// The plan line of the step that failed first.
    let failedStep = Locked<String?>(nil)

    // Journal.
    let createdNamespaces = Locked<[String]>([])
    let createdHostLinks = Locked<[String]>([])
    /// Links created in namespaces that existed before this run: (node, name).
    let createdLinksInExisting = Locked<[(String, String)]>([])
    let addedAddresses = Locked<[(String, String, IPNetwork)]>([])
    let addedRoutes = Locked<[(String, Topology.Route)]>([])
    let oldSysctls = Locked<[(String, String, String)]>([])
    let oldEdits = Locked<[(String, String, Plan.LinkEdit)]>([])
    let addedMasquerade = Locked<[(String, IPNetwork)]>([])

    /// Nodes whose namespace this run creates.
    let newNodes: Set<String>
    /// New nodes built entirely by ``pipeline(node:hostNamespace:)``, and their links.
    let pipelineNodes: Set<String>
    let pipelineLinks: Set<Int>
    /// Host ends created by the pipeline, to bring up, alias and enslave: (name, bridge?).
    let pipelineHostEnds = Locked<[(String, String?)]>([])

    init(topo: Topology, plan: Plan, live: LiveState, options: Applier.Options) throws {
        self.topo = topo
        self.plan = plan
        self.live = live
        self.options = options
        host = try NetHandle()
        var nn = Set<String>()
        for s in plan.steps { if case .createNamespace(let n, _) = s { nn.insert(n) } }
        newNodes = nn
        (pipelineNodes, pipelineLinks) = Run.pipelineShape(topo, plan: plan)
        ifacesOf = topo.interfacesByNode()
        linksOf = topo.linksByNode()
        var nodes: [String: Topology.Node] = [:]
        for n in topo.nodes { nodes[n.name] = n }
        nodeOf = nodes
    }

    /// Lookups built once (the topology's own are linear searches).
    let ifacesOf: [String: [DeclaredInterface]]
    let linksOf: [String: [Int]]
    let nodeOf: [String: Topology.Node]

    func fail(_ step: String, _ error: Error) -> Error {
        failedStep.with { if $0 == nil { $0 = step } }
        return error
    }

    /// When VETHKIT_TIMINGS=1: seconds since the previous phase mark, printed at the end.
    var lastMark = monotonicSeconds()
    var timings: [(String, Double)] = []
    static let timingsOn = ProcessInfo.processInfo.environment["VETHKIT_TIMINGS"] == "1"

    func mark(_ name: String) {
        guard Self.timingsOn else { return }
        let now = monotonicSeconds()
        timings.append((name, now - lastMark))
        lastMark = now
    }

    func phase(_ name: String) throws {
        mark("before " + name)
        options.progress?(name)
        if let f = options.faultInjection { try f(name) }
    }

    func nsName(_ node: String) throws -> NamespaceName { try NamespaceName(topo.namespaceName(of: node)!) }

    /// A handle on a node's namespace (the host's for `host`).
    func handle(_ node: String) throws -> NetHandle {
        node == Topology.hostNode ? host : try NetHandle(named: nsName(node))
    }

    var alias: String { topo.alias }
    var group: UInt32 { topo.linkGroup }
    var temporaryGroup: UInt32 { Ownership.temporaryGroup(for: topo.name) }

    // MARK: execute

    /// IFA_PROTO for the addresses this run adds (none under the records test hook, as a kernel
    /// before 6.3 would drop it).
    var addressProtocol: UInt8? { AddressMarking.forced == nil ? Ownership.addressProtocol : nil }

    /// The address records (kernels without IFA_PROTO): before any address is added, every one
    /// this run adds is recorded (fsynced), so a crash never leaves an address of ours unmarked.
    func recordAddresses(after: Bool) throws {
        guard live.addressMarking == .records else { return }
        let records = TopologyRecords(topo.name)
        // Records of addresses that no longer exist (a rolled-back run, a deleted link) are dropped.
        var r = live.addressRecords.filter { rec in live.nodes[rec.node]?.interface(rec.interface)?.addresses.contains(rec.address) ?? false }
        for s in plan.steps { if case .addAddress(let n, let i, let a) = s { r.insert(.init(node: n, interface: i, address: a)) } }
        if after { for d in deletedAddresses.value { r.remove(d) } }
        if r != live.addressRecords || after { try records.writeAddresses(r) }
    }

    func execute() throws {
        do { try recordAddresses(after: false) } catch { throw fail("+ address records", error) }
        try removals()
        try createNamespaces()
        try sysctls()
        try bridges()
        try veths()
        try configureNodes()
        try masquerade()
        try recordAddresses(after: true)
        mark("masquerade")
        if Self.timingsOn {
            FileHandle.standardError.write(Data(("timings: " + timings.map { "\($0.0) \(String(format: "%.1f", $0.1 * 1000)) ms" }.joined(separator: ", ") + "\n").utf8))
        }
    }

    func removals() throws {
        try phase("remove")
        var deletedNodes = Set<String>()
        for step in plan.steps {
            let line = plan.describe(step)
            do {
                switch step {
                case .deleteNamespace(let node, let ns):
                    do { try NetworkNamespace.delete(NamespaceName(ns)) } catch is NotFound {}
                    deletedNodes.insert(node)
                case .deleteLink(let node, let name):
                    do { try handle(node).deleteLink(.name(InterfaceName(name))) } catch is NotFound {}
                case .deleteRoute(let node, let r):
                    let h = try handle(node)
                    // The kernel deletes only a route of our protocol: never the user's.
                    var vr = VethKit.Route(destination: r.to, gateway: r.via, metric: r.metric.map(UInt32.init), protocol: .vethkit)
                    if let dev = r.dev, let n = try? InterfaceName(dev), let l = try? h.link(named: n) { vr.device = .index(l.index) }
                    do { try h.deleteRoute(vr, matchingProtocol: true) } catch is NotFound {}
                case .deleteAddress(let node, let i, let a):
                    do { try handle(node).deleteAddress(a, from: .name(InterfaceName(i))) } catch is NotFound {}
                    deletedAddresses.with { $0.append(.init(node: node, interface: i, address: a)) }
                case .deleteMasquerade(let node, let source):
                    try TopologyMasquerade.remove(topo.name, node, node == Topology.hostNode ? nil : NetworkNamespace.open(nsName(node)), source)
                default: continue
                }
            } catch { throw fail(line, error) }
        }
        // Host ends of veths whose namespace went away disappear asynchronously: wait for them,
        // so a re-created link of the same name does not collide.
        if !deletedNodes.isEmpty, let h = live.nodes[Topology.hostNode] {
            let names = Set(h.interfaces.filter { $0.peer?.node.map(deletedNodes.contains) ?? false }.map(\.name))
            try waitGone(names, timeout: 10)
        }
    }

    func waitGone(_ names: Set<String>, timeout: Double) throws {
        guard !names.isEmpty else { return }
        let deadline = monotonicSeconds() + timeout
        while monotonicSeconds() < deadline {
            if try !host.linksWithoutStatistics().contains(where: { names.contains($0.name) }) { return }
            usleep(2_000)
        }
    }

    /// Creates namespaces on worker threads; each gets its sysctls (IPv6 DAD off, forwarding…)
    /// and the topology's mark on lo before any interface arrives.
    func createNamespaces() throws {
        try phase("namespaces")
        let steps: [(String, String)] = plan.steps.compactMap { if case .createNamespace(let n, let ns) = $0 { return (n, ns) } else { return nil } }
        guard !steps.isEmpty else { return }
        let total = steps.count
        let done = Locked(0)
        @Sendable func progress() {
            let n = done.with { $0 += 1; return $0 }
            if n % 100 == 0 || n == total { self.options.progress?("namespaces \(n)/\(total)") }
        }
        // Pipeline nodes: each on a worker thread that creates the namespace and stays inside it.
        let fast = steps.filter { pipelineNodes.contains($0.0) }
        let slow = steps.filter { !pipelineNodes.contains($0.0) }
        do { try ThreadNamespace.prepareRunDirectory() } catch { throw fail("+ namespace \(steps[0].1) (node \(steps[0].0))", error) }
        if !fast.isEmpty {
            let hostNS = try NetworkNamespace.current()
            let failures = parallelFor(fast.count, stopOnError: true, callerWorks: false) { [self] i in
                try pipeline(node: fast[i].0, hostNamespace: hostNS)
                progress()
            }
            if let f = failures.first { throw f.1 }
        }
        guard !slow.isEmpty else { return }
        // The others: each made on a worker thread (which exits afterwards), marked, then published.
        let failures = parallelFor(slow.count, stopOnError: true, callerWorks: false) { [self] i in
            let (node, ns) = slow[i]
            let line = "+ namespace \(ns) (node \(node))"
            do {
                try NamespacePublisher.unshareCallingThread()
                try prepareInside(node: node)
                try NetHandle().setLink(.index(1), LinkChange(up: true, alias: alias))
                try NamespacePublisher.publishCallingThread(topology: topo.name, node: node, name: ns)
                createdNamespaces.with { $0.append(ns) }
            } catch { throw fail(line, error) }
            progress()
        }
        if let f = failures.first { throw f.1 }
    }

    /// Inside a node's new namespace, before any interface exists: IPv6 DAD off when the node has
    /// IPv6 addresses (usable at once), then the node's sysctls.
    func prepareInside(node: String) throws {
        if (ifacesOf[node] ?? []).contains(where: { $0.addresses.contains { !$0.isIPv4 } }) {
            try? Sysctl.write("net.ipv6.conf.all.accept_dad", "0")
            try? Sysctl.write("net.ipv6.conf.default.accept_dad", "0")
        }
        for s in nodeOf[node]?.sysctls ?? [] { try Sysctl.write(s.key, s.value) }
    }

    func sysctls() throws {
        try phase("sysctls")
        let records = TopologyRecords(topo.name)
        for step in plan.steps {
            if case .restoreSysctl(let node, let key, let value, _) = step, node == Topology.hostNode {
                do {
                    var r = try records.sysctls()
                    // Only if it still has the value vethkit wrote (else someone changed it since: theirs).
                    if let rec = r[key], try Sysctl.read(key) == rec.set { try Sysctl.write(key, value) }
                    r[key] = nil
                    try records.writeSysctls(r)
                } catch { throw fail(plan.describe(step), error) }
                continue
            }
            guard case .setSysctl(let node, let key, let value, _) = step, !newNodes.contains(node) else { continue }
            do {
                let write: () throws -> Void = { [self] in
                    let old = try Sysctl.read(key)
                    if node == Topology.hostNode {
                        // The host outlives the topology: remember the value before the first
                        // change (recorded before writing), so down and a later up can restore it.
                        var r = try records.sysctls()
                        r[key] = TopologyRecords.SysctlRecord(old: r[key]?.old ?? old, set: value)
                        try records.writeSysctls(r)
                    }
                    try Sysctl.write(key, value)
                    oldSysctls.with { $0.append((node, key, old)) }
                }
                if node == Topology.hostNode { try write() } else { try NetworkNamespace.open(nsName(node)).run(write) }
            } catch { throw fail(plan.describe(step), error) }
        }
    }

    /// Indexes of bridges by (node, name), for enslaving veth ends at creation.
    let bridgeIndex = Locked<[String: Int32]>([:])
    func key(_ node: String, _ name: String) -> String { node + "\u{0}" + name }

    func bridges() throws {
        try phase("bridges")
        for step in plan.steps {
            guard case .createBridge(let node, let b) = step, !pipelineNodes.contains(node) else { continue }
            do {
                let h = try handle(node)
                let isHost = node == Topology.hostNode
                // A host bridge is made under a temporary name and renamed in the request that sets
                // the alias (the kernel ignores IFLA_IFALIAS at creation): a bridge of the final
                // name always carries the mark (see Ownership.temporaryLinkName).
                let made = isHost ? temporaryLinkName() : b.name
                let attrs = LinkAttributes(name: try InterfaceName(made), mtu: b.mtu.map(UInt32.init), address: b.mac,
                                           group: isHost ? temporaryGroup : nil, up: false)
                if isHost { createdHostLinks.with { $0.append(made) } }
                try h.addLink(LinkSpec(attrs, kind: VethKit.Bridge()))
                if !isHost && !newNodes.contains(node) { createdLinksInExisting.with { $0.append((node, b.name)) } }
                if isHost, b.addresses.contains(where: { !$0.isIPv4 }) {
                    try? Sysctl.write("net.ipv6.conf.\(made).accept_dad", "0")
                }
                let l = try h.link(named: InterfaceName(made))
                if isHost {
                    try h.setLink(.index(l.index), LinkChange(name: try InterfaceName(b.name), alias: alias, group: group))
                    createdHostLinks.with { $0.append(b.name) }
                }
                bridgeIndex.with { $0[key(node, b.name)] = l.index }
            } catch { throw fail(plan.describe(step), error) }
        }
    }

    func bridgeIndexOf(_ node: String, _ name: String) throws -> Int32 {
        if let i = bridgeIndex.value[key(node, name)] { return i }
        if let li = live.nodes[node]?.interface(name), li.kind == "bridge", li.index != 0 { return li.index }
        let i = try handle(node).link(named: InterfaceName(name)).index
        bridgeIndex.with { $0[key(node, name)] = i }
        return i
    }

    /// Peer ends to bring up (and enslave) afterwards: the kernel refuses IFF_UP on a peer at
    /// creation (ENOTCONN) and applies IFLA_MASTER only to the end being created, not to
    /// VETH_INFO_PEER: node -> [(interface, bridge?)].
    let pendingPeers = Locked<[String: [(String, String?)]]>([:])
    /// Host links that need the alias (IFLA_IFALIAS is not applied at creation; IFLA_GROUP is):
    /// (current name, final name) — veths with both ends in the host are made under temporary names.
    let pendingAliases = Locked<[(String, String)]>([])
    /// Addresses deleted by this run (their records go too).
    let deletedAddresses = Locked<[TopologyRecords.AddressRecord]>([])

    let linkSerial = Locked(0)
    /// A fresh temporary host link name of this topology.
    func temporaryLinkName() -> String {
        Ownership.temporaryLinkName(topology: topo.name, serial: linkSerial.with { $0 += 1; return $0 })
    }

    /// Creates veth pairs from the host's handle, each in one request with both ends straight in
    /// their namespaces, batched per sendmsg.
    func veths() throws {
        try phase("veths")
        let indexes: [Int] = plan.steps.compactMap { if case .createVeth(let i) = $0, !pipelineLinks.contains(i) { return i } else { return nil } }
        guard !indexes.isEmpty else { return }
        let chunk = 256
        var start = 0
        while start < indexes.count {
            let part = Array(indexes[start..<min(start + chunk, indexes.count)])
            var spaces: [String: NetworkNamespace] = [:]
            func space(_ node: String) throws -> NetworkNamespace? {
                if node == Topology.hostNode { return nil }
                if let s = spaces[node] { return s }
                let s = try NetworkNamespace.open(nsName(node))
                spaces[node] = s
                return s
            }
            var specs: [LinkSpec] = []
            var primaries: [(Topology.Endpoint, Topology.Endpoint)] = []
            var made: [(String, String)] = []
            for i in part {
                let l = topo.links[i]
                let line = plan.describe(.createVeth(link: i))
                do {
                    let (p, q) = orient(l)
                    let pHost = p.node == Topology.hostNode
                    let qHost = q.node == Topology.hostNode
                    // Both ends in the host: no namespace of ours holds either, so each is made
                    // under a temporary name until the request that sets its alias renames it.
                    let pName = pHost && qHost ? temporaryLinkName() : p.name
                    let qName = pHost && qHost ? temporaryLinkName() : q.name
                    let hostGroup = pHost && qHost ? temporaryGroup : group
                    var pa = LinkAttributes(name: try InterfaceName(pName), namespace: try space(p.node), mtu: (p.mtu ?? l.mtu).map(UInt32.init),
                                            address: p.mac, group: pHost ? hostGroup : nil, alias: pHost ? alias : nil,
                                            master: try p.master.map { .index(try bridgeIndexOf(p.node, $0)) }, up: !(pHost && qHost))
                    if pHost { pa.namespace = nil }
                    let qa = LinkAttributes(name: try InterfaceName(qName), namespace: try space(q.node), mtu: (q.mtu ?? l.mtu).map(UInt32.init),
                                            address: q.mac, group: qHost ? hostGroup : nil, up: false)
                    specs.append(LinkSpec(pa, kind: Veth(peer: qa)))
                    primaries.append((p, q))
                    made.append((pName, qName))
                } catch { throw fail(line, error) }
            }
            // Temporary names are ours by their pattern: journaled before the request.
            for (k, (p, q)) in primaries.enumerated() where p.node == Topology.hostNode && q.node == Topology.hostNode {
                createdHostLinks.with { $0 += [made[k].0, made[k].1] }
            }
            var batch = NetworkBatch()
            for s in specs { batch.addLink(s) }
            let results = try host.perform(batch)
            var firstFailure: (Int, Error)?
            for (k, r) in results.enumerated() {
                let (p, q) = primaries[k]
                let (pName, qName) = made[k]
                switch r {
                case .success:
                    if p.node == Topology.hostNode && q.node != Topology.hostNode { createdHostLinks.with { $0.append(p.name) } }
                    else if p.node != Topology.hostNode && q.node == Topology.hostNode { createdHostLinks.with { $0.append(q.name) } }
                    else if p.node != Topology.hostNode && !newNodes.contains(p.node) { createdLinksInExisting.with { $0.append((p.node, p.name)) } }
                    else if p.node != Topology.hostNode && q.node != Topology.hostNode && !newNodes.contains(q.node) { createdLinksInExisting.with { $0.append((q.node, q.name)) } }
                    pendingPeers.with { $0[q.node, default: []].append((qName, q.master)) }
                    // The kernel applies IFLA_IFALIAS to neither end at creation (only IFLA_GROUP).
                    if q.node == Topology.hostNode { pendingAliases.with { $0.append((qName, q.name)) } }
                    if p.node == Topology.hostNode { pendingAliases.with { $0.append((pName, p.name)) } }
                    if p.node == Topology.hostNode && q.node == Topology.hostNode {
                        // Made down under a temporary name: brought up with the rename.
                        pendingPeers.with { $0[p.node, default: []].append((pName, nil)) }
                    }
                case .failure(let e):
                    if firstFailure == nil { firstFailure = (k, e) }
                }
            }
            if let (k, e) = firstFailure {
                let (p, q) = primaries[k]
                let what = p.node == Topology.hostNode ? p : q.node == Topology.hostNode ? q : p
                throw fail(plan.describe(.createVeth(link: part[k])), LinkFailure(node: what.node, name: what.name, error: e))
            }
            options.progress?("veth pairs \(min(start + chunk, indexes.count))/\(indexes.count)")
            start += chunk
        }
    }

    /// Which end is created as the link (attributes applied in full) and which as its peer:
    /// the host's end first (the alias marks it), else an end with a master.
    func orient(_ l: Topology.Link) -> (Topology.Endpoint, Topology.Endpoint) {
        if l.b.node == Topology.hostNode && l.a.node != Topology.hostNode { return (l.b, l.a) }
        if l.a.node == Topology.hostNode { return (l.a, l.b) }
        if l.a.master == nil && l.b.master != nil { return (l.b, l.a) }
        return (l.a, l.b)
    }

    struct LinkFailure: Error, CustomStringConvertible {
        var node: String
        var name: String
        var error: Error
        var description: String { "\(node)/\(name): \(error)" }
    }

    func masquerade() throws {
        try phase("masquerade")
        for step in plan.steps {
            guard case .addMasquerade(let node, let source) = step else { continue }
            do {
                try TopologyMasquerade.add(topo.name, node, node == Topology.hostNode ? nil : NetworkNamespace.open(nsName(node)), source)
                addedMasquerade.with { $0.append((node, source)) }
            } catch { throw fail(plan.describe(step), error) }
        }
    }
}
