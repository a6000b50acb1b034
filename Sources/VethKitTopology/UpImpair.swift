import VethKit

/// Impairments of veth ends (`impair:` in the file): VethKit's root qdisc on an end's egress
/// (handle 564b:, ``QdiscHandle/vethkit``), set, replaced or removed one request each without
/// touching the link (no flap). A root qdisc of any other handle is someone else's: never
/// replaced or removed (the plan shows a conflict; `up` refuses before changing anything).
enum TopologyImpairments {
    /// What the planner makes of one declared veth end that stays.
    enum Decision: Equatable {
        case step(Plan.Step)
        case conflict(String)
    }

    /// The plan for one end: `wanted` (the file's, nil for none) against `live` (nil: the kernel's default).
    static func step(node: String, interface: String, wanted: LinkImpairment?, live: LiveState.Egress?) -> Decision? {
        switch (wanted, live) {
        case (nil, nil), (nil, .foreign?): return nil
        case (nil, let old?): return .step(.clearImpairment(node: node, interface: interface, old: old))
        case (let w?, .foreign(let q)?):
            return .conflict("qdisc \(q) on \(node)/\(interface) is not vethkit's (root handle not 564b:): not replaced; the file wants \(w)")
        case (let w?, .impaired(let have)?) where comparable(w, to: have).matches(have): return nil
        case (let w?, let old): return .step(.impair(node: node, interface: interface, impairment: w, old: old))
        }
    }

    /// `wanted` as the live qdisc can show it: a netem that reports no PRNG seed is on a kernel
    /// without TCA_NETEM_PRNG_SEED (before Linux 6.3: Debian 12's 6.1 ignores the attribute; later
    /// ones always report one, the kernel's random one when none was given), where the seed cannot
    /// be set nor compared.
    static func comparable(_ wanted: LinkImpairment, to live: LinkImpairment) -> LinkImpairment {
        var w = wanted
        if live.seed == nil && wanted.needsNetem { w.seed = nil }
        return w
    }

    /// The qdisc kind an impairment needs (`netem`, or `tbf` for a rate alone).
    static func kind(of i: LinkImpairment) -> String { i.qdiscOptions?.kind ?? "none" }

    /// Kinds the file's impairments need that this kernel lacks (asked once per kind, only when wanted).
    static func missingQdiscs(_ t: Topology) -> Set<String> {
        var kinds = Set<String>()
        for l in t.links {
            for k in 0..<2 { if let i = l.impairment(of: k) { kinds.insert(kind(of: i)) } }
        }
        return kinds.filter { !TrafficControl.isAvailable(qdisc: $0) }
    }

    /// One conflict naming every end whose impairment needs a kind the kernel lacks (nil when none).
    static func missingKindConflict(_ steps: [Plan.Step], missing: Set<String>) -> String? {
        guard !missing.isEmpty else { return nil }
        var ends: [String] = []
        for s in steps {
            if case .impair(let n, let i, let imp, _) = s, missing.contains(kind(of: imp)) { ends.append("\(n)/\(i)") }
        }
        guard !ends.isEmpty else { return nil }
        let kinds = missing.sorted().map { "sch_\($0)" }.joined(separator: ", ")
        return "this kernel has no \(kinds) (delay, jitter, loss, corrupt, duplicate, reorder need it; rate alone works with tbf): wanted on "
            + ends.joined(separator: ", ")
    }

    /// The qdisc kind at a root in that state (nil: the kernel's default).
    static func kind(of e: LiveState.Egress?) -> String? {
        switch e {
        case .impaired(let i)?: kind(of: i)
        case .cut?: TopologyCut.blackholeKind
        case .other(let k)?, .foreign(let k)?: k
        case nil: nil
        }
    }

    /// Puts `new` at `link`'s root where `old` (VethKit's, or the kernel's default) is. An
    /// impairment is ``NetHandle/impair(_:_:)``: one request when the kind stays (changed in
    /// place), VethKit's root deleted and re-added in one sendmsg when it changes (the kernel
    /// changes a qdisc's options under its handle, not its kind). A cut is always a fresh
    /// blackhole (made anew, tbf has no queue at all). Nothing of the link itself changes.
    static func put(_ new: LiveState.Egress?, on link: LinkReference, old: LiveState.Egress?, _ h: NetHandle) throws {
        switch new {
        case .impaired(let i)?: try h.impair(link, i)
        case .cut?:
            if old != nil { try h.clearImpairment(link) }
            try TopologyCut.addBlackhole(h, link)
        case nil, .other?, .foreign?: try h.clearImpairment(link)
        }
    }

    /// The root qdisc of each link (by ifindex) in one namespace's dump.
    static func roots(_ qdiscs: [Qdisc]) -> [Int32: Qdisc] {
        var out: [Int32: Qdisc] = [:]
        for q in qdiscs where q.isRoot { out[q.linkIndex] = q }
        return out
    }

    /// VethKit's root qdiscs in a dump (only those of `links`, when given): impairments and cuts.
    static func count(_ qdiscs: [Qdisc], links: Set<Int32>? = nil) -> (impaired: Int, cut: Int) {
        var c = (impaired: 0, cut: 0)
        for q in qdiscs where q.isRoot && q.isVethKit && (links?.contains(q.linkIndex) ?? true) {
            if TopologyCut.isBlackhole(q) { c.cut += 1 } else { c.impaired += 1 }
        }
        return c
    }

    /// What a root qdisc is to the topology: nil for the kernel's default.
    static func egress(_ q: Qdisc) -> LiveState.Egress? {
        if q.isKernelDefault { return nil }
        guard q.isVethKit else { return .foreign("\(q.kind) \(q.handle)") }
        if TopologyCut.isBlackhole(q) { return .cut }
        if let i = LinkImpairment(qdisc: q) { return .impaired(i) }
        return .other(q.kind)
    }
}

/// The impairment phase of `up` (after Configure: every link exists and is up). Nodes in
/// parallel on worker threads; per node, one
/// ``NetworkBatch`` of the node's impairments (an empty impairment clears VethKit's root): the
/// library plans them from one qdisc dump — ownership (a user's root qdisc added since the plan
/// refuses the whole node, nothing sent) and the qdisc kind — and sends them in one sendmsg, one
/// result each. Every step sent appends `restoreEgress` (what held the root before) to the undo log,
/// a failed one too: undoing reads what is there now (a change of kind may have stopped half-way).
extension Run {
    func impairments() throws {
        try phase("impair")
        var byNode: [String: [Plan.Step]] = [:]
        var order: [String] = []
        for s in plan.steps {
            switch s {
            case .impair(let n, _, _, _), .clearImpairment(let n, _, _):
                if byNode[n] == nil { order.append(n) }
                byNode[n, default: []].append(s)
            default: continue
            }
        }
        // Nodes in parallel (worker threads, as Configure), each with its own handle.
        let (nodes, groups) = (order, byNode)
        let failures = parallelFor(nodes.count, stopOnError: true) { [self] k in
            try impair(node: nodes[k], steps: groups[nodes[k]]!)
        }
        if let f = failures.first { throw f.1 }
    }

    /// One node's impairments: one batch, one result each.
    func impair(node: String, steps: [Plan.Step]) throws {
        let h = try handle(node)
        var batch = NetworkBatch()
        var ends: [(name: String, old: LiveState.Egress?)] = []
        for step in steps {
            switch step {
            case .impair(_, let i, let imp, let old):
                batch.impair(try .named(i), imp)
                ends.append((i, old))
            case .clearImpairment(_, let i, let old):
                batch.impair(try .named(i), LinkImpairment())
                ends.append((i, old))
            default: continue
            }
        }
        let results: [Result<Void, KernelError>]
        do { results = try h.perform(batch) } catch {
            // Nothing was sent: the step of the link it names, else the node's first.
            let named = steps.first { s in "\(error)".contains("link \(Self.interface(of: s)) ") } ?? steps[0]
            throw fail(plan.describe(named), error)
        }
        var firstFailure: (Plan.Step, KernelError)?
        for (k, r) in results.enumerated() {
            if ends[k].old != nil || !newNodes.contains(node) {
                undo.append(.restoreEgress(node: node, interface: ends[k].name, old: ends[k].old))
            }
            if case .failure(let e) = r, firstFailure == nil { firstFailure = (steps[k], e) }
        }
        if let (step, e) = firstFailure { throw fail(plan.describe(step), e) }
    }

    /// The interface an impairment step is for.
    static func interface(of step: Plan.Step) -> String {
        switch step {
        case .impair(_, let i, _, _), .clearImpairment(_, let i, _): i
        default: ""
        }
    }

    /// Undoes an impairment step: what held the root before comes back (the kernel's default:
    /// VethKit's qdisc removed; a qdisc of VethKit's handle that was no impairment is removed too).
    /// What holds it now is read first (the step may have failed half-way).
    func restoreEgress(node: String, interface: String, old: LiveState.Egress?) throws {
        let h = try handle(node)
        let link = try LinkReference.named(interface)
        let now = try h.qdiscs(link: link).first { $0.isRoot }.flatMap(TopologyImpairments.egress)
        if case .foreign(let q)? = now { throw NotOurQdisc(interface: "\(node)/\(interface)", qdisc: q) }
        switch old {
        case .impaired?, .cut?: try TopologyImpairments.put(old, on: link, old: now, h)
        case nil, .other?, .foreign?: if now != nil { try TopologyImpairments.put(nil, on: link, old: now, h) }
        }
    }
}

/// A root qdisc that is someone else's, where `up` or `cut` would have put VethKit's.
public struct NotOurQdisc: CategorizedError, CustomStringConvertible {
    public var interface: String
    public var qdisc: String
    public var category: ErrorCategory { .notOurs }
    public var description: String {
        "the root qdisc of \(interface) (\(qdisc)) is not vethkit's (its handle is not 564b:): not touched"
    }
}
