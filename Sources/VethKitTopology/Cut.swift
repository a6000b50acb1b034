import Glibc
import VethKit

/// `vethctl cut` / `restore`: a topology's veth link fails like a pulled cable and comes back.
///
/// The mechanism: VethKit's root qdisc on the egress of *both* ends becomes a blackhole (a tbf
/// whose queue limit is 0 bytes, under handle 564b:: it passes no packet), so nothing crosses the link
/// in either direction while both ends keep their state. The veth driver cannot drop its
/// carrier on its own (no ndo_change_carrier: IFLA_CARRIER is EOPNOTSUPP, protodown is "not
/// supported by device"), and taking an end admin-down would make the kernel flush its IPv4
/// routes, its IPv6 addresses (by default), its neighbours and its bridge port state, which
/// `restore` would then have to rebuild. With the blackhole every address, route, neighbour
/// entry, bridge port and the link's impairment stay, and `restore` is one qdisc request per
/// end: traffic flows again at once. (Carrier and operstate stay UP: a routing daemon watching
/// the link state sees no change, one watching its neighbours does.)
///
/// What was at each end's root before (an impairment, or the kernel's default) is recorded in
/// /run/vethkit/<topology>/cuts (before the change, as the other records) so that `restore` puts it
/// back without the file. The kernel holds the truth of whether an end is cut: VethKit's
/// handle on a blackhole; a record whose end is no longer cut is stale and ignored.
/// Only links of the topology are touched (both ends in its marked namespaces or marked host
/// links), and never an end whose root qdisc is someone else's (the whole cut is refused first).
public enum TopologyCut {
    /// The blackhole's kind.
    static let blackholeKind = "tbf"

    /// The blackhole: a tbf with a queue of 0 bytes. Created so, tbf gets no child queue (the
    /// kernel's noop qdisc stands in, which drops every packet, quietly: a sender sees no error,
    /// as behind a pulled cable); the rate and burst are only there because tbf needs them.
    static let blackhole = TokenBucket(rate: Rate(bytesPerSecond: 125_000_000), burst: 65536, limit: .bytes(0))

    /// True for VethKit's blackhole (a cut end).
    static func isBlackhole(_ q: Qdisc) -> Bool {
        guard q.isVethKit, case .tbf(let t) = q.options else { return false }
        return t.limit == .bytes(0)
    }

    /// Attaches the blackhole at `link`'s root, where the kernel's default is (NLM_F_EXCL: never
    /// over anyone's qdisc).
    static func addBlackhole(_ h: NetHandle, _ link: LinkReference) throws {
        try h.addQdisc(.tbf(blackhole), link: link, handle: .vethkit)
    }

    /// What `cut` or `restore` did.
    public struct Result: Sendable {
        public var topology: String
        /// Each link touched, as `h1/eth0 <-> r1/eth1`.
        public var links: [String]
        /// Ends changed (an end already in the wanted state is not counted).
        public var changed: Int
        public var seconds: Double
        /// `lab: cut h1/eth0 <-> r1/eth1 in 0.001 s`, or `lab: h1/eth0 <-> r1/eth1 already cut`.
        public var summary: String
    }

    /// Cuts the links of `node` in topology `name` (only the one whose end in `node` is
    /// `interface`, when given). Throws ``NotUp``, `InvalidInput` (no such node or link),
    /// ``NotOurQdisc`` (before changing anything), or a kernel error (what was cut is restored).
    public static func cut(topology name: String, node: String, interface: String? = nil, lockTimeout: Double = 30) throws -> Result {
        try change(topology: name, node: node, interface: interface, lockTimeout: lockTimeout, cut: true)
    }

    /// Restores the links `cut` cut (the same selection). An end that is not cut is left as it is.
    public static func restore(topology name: String, node: String, interface: String? = nil, lockTimeout: Double = 30) throws -> Result {
        try change(topology: name, node: node, interface: interface, lockTimeout: lockTimeout, cut: false)
    }

    /// One end of a selected link, with what holds its root now.
    struct End {
        var node: String
        var interface: String
        var egress: LiveState.Egress?
        var label: String { "\(node)/\(interface)" }
    }

    /// The links of `node` (or its link `interface`) in the live state, both ends each. Throws
    /// `InvalidInput` when the node or the link is not the topology's.
    static func select(_ live: LiveState, topology: String, node: String, interface: String?) throws -> [(End, End)] {
        guard let n = live.nodes[node], n.exists, n.owned || n.namespace == nil else {
            let nodes = live.nodes.filter { $0.value.exists && ($0.value.owned || $0.value.namespace == nil) }.keys.sorted()
            throw InvalidInput("node", node, "is not a node of topology \(topology) (nodes: \(nodes.joined(separator: ", ")))")
        }
        var out: [(End, End)] = []
        for i in n.interfaces where i.kind == "veth" && (interface == nil || i.name == interface) {
            // A host end is the topology's only with its mark; a namespace's ends are all its.
            if n.namespace == nil && !(Ownership.owns(alias: i.alias, topology: topology) || i.markedByPeer) { continue }
            guard let p = i.peer, let pn = p.node, let pname = p.name, let peerNode = live.nodes[pn],
                  let pi = peerNode.interface(pname) else { continue }
            if peerNode.namespace == nil && !(Ownership.owns(alias: pi.alias, topology: topology) || pi.markedByPeer) { continue }
            out.append((End(node: node, interface: i.name, egress: i.egress), End(node: pn, interface: pname, egress: pi.egress)))
        }
        if out.isEmpty {
            if let interface {
                throw InvalidInput("link", "\(node):\(interface)", "is not a veth link of topology \(topology)"
                                   + " (links of \(node): \(n.interfaces.filter { $0.kind == "veth" }.map(\.name).joined(separator: ", ")))")
            }
            throw InvalidInput("node", node, "has no veth link in topology \(topology)")
        }
        return out
    }

    static func change(topology name: String, node: String, interface: String?, lockTimeout: Double, cut: Bool) throws -> Result {
        let t0 = monotonicSeconds()
        try validateTopologyName(name)
        let lock = try TopologyLock(topology: name, timeout: lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        let live = try LiveReader.read(Topology(name: name, nodes: [], links: [], file: "-"))
        guard live.hasAnything(of: name) else { throw NotUp.error(name) }
        let pairs = try select(live, topology: name, node: node, interface: interface)
        // Each end once (a node's two links to one peer share no end, but be safe).
        var ends: [End] = []
        for (a, b) in pairs {
            for e in [a, b] where !ends.contains(where: { $0.node == e.node && $0.interface == e.interface }) { ends.append(e) }
        }
        // Someone else's qdisc anywhere: nothing is changed.
        for e in ends { if case .foreign(let q)? = e.egress { throw NotOurQdisc(interface: e.label, qdisc: q) } }
        let records = TopologyRecords(name)
        var saved = try records.cuts()
        let todo = ends.filter { cut ? $0.egress != .cut : $0.egress == .cut }
        if cut {
            // Recorded before the change: what each end's root held.
            for e in todo { saved[CutKey(node: e.node, interface: e.interface)] = e.egress }
            if !todo.isEmpty { try records.writeCuts(saved) }
            do { try apply(todo, topology: name) { _ in .cut } } catch {
                // Back to what they were: a cut is both ends or nothing.
                try? apply(todo, topology: name) { $0.egress }
                throw error
            }
        } else {
            try apply(todo, topology: name) { saved[CutKey(node: $0.node, interface: $0.interface)] ?? nil }
            // The restored ends' records go, and those of ends no longer cut.
            let restored = Set(todo.map { CutKey(node: $0.node, interface: $0.interface) })
            let kept = saved.filter { k, _ in !restored.contains(k) && live.nodes[k.node]?.interface(k.interface)?.egress == .cut }
            if kept.count != saved.count { try records.writeCuts(kept) }
        }
        let links = pairs.map { "\($0.0.label) <-> \($0.1.label)" }.sorted()
        let dt = monotonicSeconds() - t0
        let what = links.count <= 3 ? links.joined(separator: ", ") : "\(links.count) links of \(node) (\(links.prefix(2).joined(separator: ", ")), …)"
        let summary = todo.isEmpty
            ? "\(name): \(what) \(cut ? "already cut" : "not cut")"
            : "\(name): \(cut ? "cut" : "restored") \(what) in \(FixedPoint.text(dt, places: 3)) s"
        return Result(topology: name, links: links, changed: todo.count, seconds: dt, summary: summary)
    }

    /// Puts `target(end)` at each end's root: one ``NetworkBatch`` per node, one handle each (the
    /// library plans impairments from one qdisc dump per batch, ownership checked there again). A
    /// cut is VethKit's root removed and the blackhole added, in one sendmsg; anything else is an
    /// impairment (an empty one clears: the kernel's default comes back). Throws the first failure.
    static func apply(_ ends: [End], topology: String, _ target: (End) -> LiveState.Egress?) throws {
        var order: [String] = []
        var byNode: [String: [End]] = [:]
        for e in ends {
            if byNode[e.node] == nil { order.append(e.node) }
            byNode[e.node, default: []].append(e)
        }
        var firstError: Error?
        for node in order {
            do {
                let h = try handle(topology, node)
                var batch = NetworkBatch()
                for e in byNode[node]! {
                    let link = try LinkReference.named(e.interface)
                    switch target(e) {
                    case .cut?:
                        if e.egress != nil { batch.impair(link, LinkImpairment()) }
                        batch.addQdisc(.tbf(blackhole), link: link, handle: .vethkit)
                    case .impaired(let i)?: batch.impair(link, i)
                    case nil, .other?, .foreign?: batch.impair(link, LinkImpairment())
                    }
                }
                for case .failure(let e) in try h.perform(batch) { throw e }
            } catch { firstError = firstError ?? error }
            if let pause = stepPause { usleep(pause) }
        }
        if let firstError { throw firstError }
    }

    /// A test hook: `VETHKIT_CUT_STEP_PAUSE=MICROSECONDS` (at most 1 s) pauses after each node's
    /// batch, so that a test can kill a cut half-way on purpose (CutRestoreKernelTests) instead of
    /// hoping a kill lands in the few milliseconds the batches take.
    static let stepPause: UInt32? = {
        guard let raw = getenv("VETHKIT_CUT_STEP_PAUSE"), let us = UInt32(String(cString: raw)), us > 0 else { return nil }
        return min(us, 1_000_000)
    }()

    static func handle(_ topology: String, _ node: String) throws -> NetHandle {
        node == Topology.hostNode ? try NetHandle() : try NetHandle(named: NamespaceName("\(topology)-\(node)"))
    }
}

/// One cut end in the records.
struct CutKey: Hashable {
    var node: String
    var interface: String
}

extension TopologyRecords {
    /// Cut ends and what their root held before: one `node<TAB>interface<TAB>impairment` line
    /// each (`-` for the kernel's default; the impairment as ``ImpairmentText`` writes it).
    func cuts() throws -> [CutKey: LiveState.Egress?] {
        var out: [CutKey: LiveState.Egress?] = [:]
        for line in try lines("cuts") {
            let p = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard p.count == 3 else { continue }
            out[CutKey(node: p[0], interface: p[1])] = p[2] == "-" ? .some(nil) : ImpairmentText.decode(p[2]).map { .impaired($0) } ?? .some(nil)
        }
        return out
    }

    func writeCuts(_ c: [CutKey: LiveState.Egress?]) throws {
        try write("cuts", c.map { k, v in
            let text: String
            if case .impaired(let i)?? = Optional(v) { text = ImpairmentText.encode(i) } else { text = "-" }
            return "\(k.node)\t\(k.interface)\t\(text)"
        }.sorted())
    }
}

/// An impairment as one field of a record line and back: its ``LinkImpairment/settings`` as
/// `key=value` pairs joined by `;` (no value has a `;`, `=`, tab or line break), read back
/// through ``LinkImpairment/set(_:_:)`` (the one parser).
enum ImpairmentText {
    static func encode(_ i: LinkImpairment) -> String {
        i.settings.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }

    static func decode(_ s: String) -> LinkImpairment? {
        var i = LinkImpairment()
        for pair in s.split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, (try? i.set(kv[0], kv[1])) != nil else { return nil }
        }
        return i.isEmpty ? nil : i
    }
}
