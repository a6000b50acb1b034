import CLinuxUAPI
import Netlink

extension NetHandle {
    /// Impairs `link`'s egress as `impairment` says, by attaching or changing VethKit's root
    /// qdisc (handle ``QdiscHandle/vethkit``); an empty impairment clears it
    /// (``clearImpairment(_:)``).
    ///
    /// Checked before anything changes: the impairment (``InvalidInput``), the qdisc kind it
    /// needs (``QdiscKindUnavailable``: "this kernel has no sch_netem (delay, loss… need it;
    /// rate alone works with tbf)"), and ownership: the root must be the kernel's default or
    /// VethKit's, otherwise ``QdiscNotOurs`` names the user's qdisc and nothing is touched.
    ///
    /// The request is RTM_NEWQDISC with NLM_F_CREATE|NLM_F_REPLACE: the link is not taken down
    /// (no carrier or operstate change). VethKit's root of the same kind is changed in place
    /// (netem with every option, so nothing of the old one survives); a change of kind (tbf ↔
    /// netem), or a netem whose old distribution table must go, deletes and re-adds the root in
    /// one sendmsg (the kernel cannot graft a new kind under the same handle).
    public func impair(_ link: LinkReference, _ impairment: LinkImpairment) throws {
        try impairment.validate()
        guard let options = impairment.qdiscOptions else { return try clearImpairment(link) }
        try requireQdiscKind(options.kind, for: impairment)
        let index = try self.index(of: link)
        let root = try qdiscs(link: .index(index)).first { $0.isRoot }
        let plan = try Self.impairmentPlan(options, root: root, linkName: link.description)
        var failure: KernelError?
        let results = try socket.requestBatch(count: plan.count) { i, m in
            Self.encode(plan[i], linkIndex: index, into: &m)
        }
        for case .failure(let e) in results where failure == nil { failure = e }
        if let failure { throw failure }
    }

    /// Removes VethKit's root qdisc from `link` (the kernel's default comes back). A user's root
    /// is ``QdiscNotOurs``; no qdisc, or the kernel's default, is not an error.
    public func clearImpairment(_ link: LinkReference) throws {
        let index = try self.index(of: link)
        guard let root = try qdiscs(link: .index(index)).first(where: { $0.isRoot }), !root.isKernelDefault else { return }
        guard root.isVethKit else { throw QdiscNotOurs(link: link.description, kind: root.kind, handle: root.handle) }
        var m = MessageWriter(capacity: 64)
        Self.encodeDeleteQdisc(linkIndex: index, parent: .root, handle: .vethkit, into: &m)
        do { try socket.request(m) } catch let e as KernelError where e.errno == .noSuchFileOrDirectory {}
    }

    /// Throws ``QdiscKindUnavailable`` unless the kernel has `kind` (asked through this handle's
    /// namespace, see ``TrafficControl/isAvailable(qdisc:)``).
    func requireQdiscKind(_ kind: String, for impairment: LinkImpairment?) throws {
        let present = TrafficControl.probe(kind, on: socket) ?? TrafficControl.inModuleFiles(kind)
        guard present else { throw QdiscKindUnavailable(kind: kind, neededFor: impairment?.description) }
    }

    /// One step of an impairment: what goes to the kernel for it.
    enum ImpairmentStep: Sendable {
        case replace(QdiscOptions, complete: Bool)
        case deleteOurs
    }

    /// The requests that put `options` at a root where `root` is now: ownership first.
    static func impairmentPlan(_ options: QdiscOptions, root: Qdisc?, linkName: String) throws -> [ImpairmentStep] {
        guard let root, !root.isKernelDefault else { return [.replace(options, complete: false)] }
        guard root.isVethKit else { throw QdiscNotOurs(link: linkName, kind: root.kind, handle: root.handle) }
        if root.kind != options.kind { return [.deleteOurs, .replace(options, complete: false)] }
        if case .netem(let want) = options, case .netem(let have) = root.options, want.needsFreshQdisc(replacing: have) {
            return [.deleteOurs, .replace(options, complete: false)]
        }
        return [.replace(options, complete: true)]
    }

    static func encode(_ step: ImpairmentStep, linkIndex: Int32, into m: inout MessageWriter) {
        switch step {
        case .replace(let o, let complete):
            encodeAddQdisc(o, linkIndex: linkIndex, parent: .root, handle: .vethkit, replace: true, complete: complete, into: &m)
        case .deleteOurs:
            encodeDeleteQdisc(linkIndex: linkIndex, parent: .root, handle: .vethkit, into: &m)
        }
    }
}

extension Netem {
    /// True when changing `live` into this in place would leave something of `live` behind that
    /// no attribute can clear: a delay distribution table (kept while this has none and jitters),
    /// or a slot distribution table (kept while this uses a slot range). The kernel does not
    /// report tables, so any live jitter or slot distribution counts as possibly having one.
    func needsFreshQdisc(replacing live: Netem) -> Bool {
        if distribution == .uniform, (jitter ?? .zero) != .zero, live.jitter != nil { return true }
        if case .distribution? = live.slot?.timing {
            if case .distribution? = slot?.timing { return false }
            return slot != nil
        }
        return false
    }
}
