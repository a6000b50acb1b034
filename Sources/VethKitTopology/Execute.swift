import VethKit

/// One execution of a plan: the phases of `up` in order (each in a file of its own: UpRemovals,
/// UpNamespaces with FastPath's namespace pipeline, UpSysctls, UpBridges, UpVeths, UpKinds, Configure,
/// UpMasquerade), the state they pass on, and the ``UndoLog`` its rollback replays.
final class Run: @unchecked Sendable {
    let topo: Topology
    let plan: Plan
    let live: LiveState
    let options: Applier.Options
    let host: NetHandle

    /// The plan line of the step that failed first.
    let failedStep = Locked<String?>(nil)
    /// What this run created or changed, appended as each step succeeds (see Rollback.swift).
    let undo = UndoLog()

    /// Nodes whose namespace this run creates.
    let newNodes: Set<String>
    /// New nodes built entirely by ``pipeline(node:hostNamespace:)``, and their links.
    let pipelineNodes: Set<String>
    let pipelineLinks: Set<Int>

    // State the phases hand on to later ones.

    /// Host ends created by the pipeline, to bring up, alias and enslave: (name, bridge?).
    let pipelineHostEnds = Locked<[(String, String?)]>([])
    /// Indexes of bridges by (node, name), for enslaving veth ends at creation.
    let bridgeIndex = Locked<[String: Int32]>([:])
    /// Peer ends to bring up (and enslave) afterwards: the kernel refuses IFF_UP on a peer at
    /// creation (ENOTCONN) and applies IFLA_MASTER only to the end being created, not to
    /// VETH_INFO_PEER: node -> [(interface, bridge?)].
    let pendingPeers = Locked<[String: [(String, String?)]]>([:])
    /// Host links that need the alias (IFLA_IFALIAS is not applied at creation; IFLA_GROUP is):
    /// (current name, final name) — veths with both ends in the host are made under temporary names.
    let pendingAliases = Locked<[(String, String)]>([])
    /// Kind links this run created, to bring up in Configure once their parents are (a vlan on a
    /// down parent is refused with ENETDOWN; a veth's peer end comes up only there): node -> names,
    /// in creation order.
    let pendingKindUps = Locked<[String: [String]]>([:])
    /// Addresses deleted by this run (their records go too).
    let deletedAddresses = Locked<[TopologyRecords.AddressRecord]>([])
    let linkSerial = Locked(0)

    /// Lookups built once (the topology's own are linear searches).
    let ifacesOf: [String: [DeclaredInterface]]
    let linksOf: [String: [Int]]
    let nodeOf: [String: Topology.Node]
    /// The configuration steps (link edits, addresses, routes) by node, in plan order.
    let stepsOf: [String: [Plan.Step]]

    /// Time since the previous phase mark, returned with the result.
    private(set) var clock = PhaseClock()

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
        var byNode: [String: [Plan.Step]] = [:]
        for s in plan.steps {
            switch s {
            case .setLink(let n, _, _, _), .addAddress(let n, _, _), .addRoute(let n, _): byNode[n, default: []].append(s)
            default: continue
            }
        }
        stepsOf = byNode
    }

    /// The phases' names, in order (what ``Applier/Options/faultInjection`` is called with), and
    /// the name it is called with once they all succeeded.
    static let phases = ["remove", "namespaces", "sysctls", "bridges", "veths", "kinds", "configure", "impair", "masquerade"]
    static let finished = "done"

    /// The phases, in order.
    func execute() throws {
        do { try recordAddresses(after: false) } catch { throw fail("+ address records", error) }
        try removals()
        try createNamespaces()
        try sysctls()
        try bridges()
        try veths()
        try kindLinks()
        try configureNodes()
        try impairments()
        try masquerade()
        if let f = options.faultInjection { try f(Run.finished) }
        try recordAddresses(after: true)
        clock.mark("masquerade")
    }

    /// Remembers the first failed step's plan line; returns `error` to throw.
    func fail(_ step: String, _ error: Error) -> Error {
        failedStep.with { if $0 == nil { $0 = step } }
        return error
    }

    /// The start of a phase: timing mark, progress line, the test hook.
    func phase(_ name: String) throws {
        clock.mark("before " + name)
        options.progress?(name)
        if let f = options.faultInjection { try f(name) }
    }

    /// True when `VETHKIT_TIMINGS=1`: the readers and `check` report counts then.
    static var timingsOn: Bool { Timing.requested }

    func nsName(_ node: String) throws -> NamespaceName { try NamespaceName(topo.namespaceName(of: node)!) }

    /// A handle on a node's namespace (the host's for `host`).
    func handle(_ node: String) throws -> NetHandle {
        node == Topology.hostNode ? host : try NetHandle(named: nsName(node))
    }

    /// The node's namespace, nil for the host.
    func space(_ node: String) throws -> NetworkNamespace? {
        node == Topology.hostNode ? nil : try NetworkNamespace.open(nsName(node))
    }

    var alias: String { topo.alias }
    var group: UInt32 { topo.linkGroup }
    var temporaryGroup: UInt32 { Ownership.temporaryGroup(for: topo.name) }

    /// IFA_PROTO for the addresses this run adds (none under the records test hook, as a kernel
    /// before 6.3 would drop it).
    var addressProtocol: AddressProtocol? { AddressMarking.forced == nil ? AddressProtocol(rawValue: Ownership.addressProtocol) : nil }

    /// A dictionary key for (node, name).
    func key(_ node: String, _ name: String) -> String { node + "\u{0}" + name }

    /// A fresh temporary host link name of this topology.
    func temporaryLinkName() -> String {
        Ownership.temporaryLinkName(topology: topo.name, serial: linkSerial.with { $0 += 1; return $0 })
    }

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

    /// A link the kernel refused: the end where the collision is (the host's when it has one).
    struct LinkFailure: Error, CustomStringConvertible {
        var node: String
        var name: String
        var error: Error
        var description: String { "\(node)/\(name): \(error)" }
    }
}
