import Glibc
import VethKit

/// A failure of `up`: the first error, the step it happened in, and how the rollback went.
public struct ApplyError: Error, CustomStringConvertible {
    public var topology: String
    /// The plan line of the failed step, e.g. `+ veth t1/veth2 <-> host/veth1`.
    public var step: String
    public var underlying: Error
    /// Problems while undoing (empty when the machine is as it was).
    public var rollbackErrors: [String]
    /// The undo log that was replayed, oldest first (for tests).
    var undone: [UndoStep] = []

    public var description: String {
        var s = "up \(topology): \(step.drop(while: { "+~- ".contains($0) })): \(underlying)"
        s += rollbackErrors.isEmpty ? " (rolled back: nothing of this run is left)" : "\nrollback incomplete:\n  " + rollbackErrors.joined(separator: "\n  ")
        return s
    }
}

/// `down`/`show` of a topology that is not up: nothing of it exists. Names the ones that are.
public struct NotUp: Error, CustomStringConvertible {
    public var topology: String
    public var up: [String]
    public var description: String {
        "topology \(topology) is not up (" + (up.isEmpty ? "no topology is up" : "up: " + up.joined(separator: ", ")) + ")"
    }
    static func error(_ topology: String) -> NotUp {
        NotUp(topology: topology, up: ((try? Applier.list()) ?? []).map(\.name))
    }
}

/// Objects in the way (see ``Plan/conflicts``): `up` refuses before changing anything.
public struct ConflictError: Error, CustomStringConvertible {
    public var topology: String
    public var conflicts: [String]
    public var description: String {
        "up \(topology): refusing to start, nothing was changed:\n  " + conflicts.joined(separator: "\n  ")
    }
}

/// Applies plans to the kernel, removes topologies, lists them.
public enum Applier {
    public struct Options {
        /// Refuse to start when the plan has conflicts (tests turn it off to exercise the rollback).
        public var preflight = true
        /// How long to wait for another up/down of the same topology.
        public var lockTimeout: Double = 30
        /// Progress lines ("namespaces 120/200"); nil for none.
        public var progress: ((String) -> Void)?
        /// Test hook: called with each phase's name before it runs (`remove`, `namespaces`,
        /// `sysctls`, `bridges`, `veths`, `kinds`, `configure`, `impair`, `masquerade`) and with `done` after the
        /// last; throwing aborts `up` there (and rolls it back).
        public var faultInjection: ((String) throws -> Void)?
        public init() {}
    }

    public struct UpResult {
        public var plan: Plan
        public var seconds: Double
        /// `seed: 6 created, 0 changed, 0 removed in 0.012 s (1 namespaces, 1 links)` or `seed: no changes`.
        public var summary: String
        /// How long each part took: lock, read+plan, then each phase of each pass.
        public var timings: [Timing] = []
    }

    // MARK: up

    /// Brings `topo` up or converges it to the file. Prints nothing; returns the plan it applied.
    /// Throws ``ConflictError`` (nothing changed), ``ApplyError`` (rolled back), or a lock/kernel error.
    public static func up(_ topo: Topology, options: Options = Options()) throws -> UpResult {
        let t0 = monotonicSeconds()
        raiseFileLimit()
        let lock = try TopologyLock(topology: topo.name, timeout: options.lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        let tRead = monotonicSeconds()
        let live = try LiveReader.read(topo)
        let plan = Planner.plan(topo, live: live)
        var timings = [Timing("lock", seconds: tRead - t0), Timing("read+plan", seconds: monotonicSeconds() - tRead)]
        if !plan.conflicts.isEmpty && options.preflight {
            throw ConflictError(topology: topo.name, conflicts: plan.conflicts)
        }
        // Leftovers only an interrupted up of this topology makes (by name pattern or content).
        for s in live.staleNamespaces { try? NetworkNamespace.delete(NamespaceName(s)) }
        if !live.staleLinks.isEmpty { try HostLinks.deleteTemporary(topology: topo.name, host: NetHandle()) }
        if plan.isEmpty {
            return UpResult(plan: plan, seconds: monotonicSeconds() - t0, summary: "\(topo.name): no changes", timings: timings)
        }
        timings += try apply(plan, live: live, options: options)
        // Removals have side effects the plan cannot foresee (deleting the last address of a
        // subnet takes the routes via it): converge again, from a fresh look, until stable.
        var pass = 1
        var last = plan
        while pass < 3 && last.steps.contains(where: { $0.symbol == "-" || $0.symbol == "~" }) {
            let again = try LiveReader.read(topo)
            let next = Planner.plan(topo, live: again)
            if next.isEmpty || !next.conflicts.isEmpty { break }
            timings += try apply(next, live: again, options: options)
            last = next
            pass += 1
        }
        let c = plan.counts
        let dt = monotonicSeconds() - t0
        let nns = plan.steps.filter { if case .createNamespace = $0 { return true } else { return false } }.count
        let nveth = plan.steps.filter { if case .createVeth = $0 { return true } else { return false } }.count
        return UpResult(plan: plan, seconds: dt,
                        summary: "\(topo.name): \(c.create) created, \(c.change) changed, \(c.remove) removed in \(FixedPoint.text(dt, places: 3)) s (\(nns) namespaces, \(nveth) veth pairs new)",
                        timings: timings)
    }

    /// Executes `plan`; on failure rolls back (``ApplyError``). Returns the phases' timings.
    static func apply(_ plan: Plan, live: LiveState, options: Options) throws -> [Timing] {
        let run = try Run(topo: plan.topology, plan: plan, live: live, options: options)
        do {
            try run.execute()
            return run.clock.timings
        } catch {
            let failure = run.failedStep.value ?? "apply"
            let problems = run.rollback()
            throw ApplyError(topology: plan.topology.name, step: failure, underlying: error, rollbackErrors: problems, undone: run.undo.steps)
        }
    }

    /// Raises the soft open-file limit to the hard one (a big topology holds a few fds per worker,
    /// but ns file descriptors of a veth batch add up).
    static func raiseFileLimit() {
        var rl = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl) == 0, rl.rlim_cur < rl.rlim_max {
            rl.rlim_cur = rl.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl)
        }
    }

    // MARK: down

    public struct DownResult {
        public var namespaces: Int
        public var hostLinks: Int
        public var seconds: Double
        public var summary: String
        /// How long each part took: lock, finding the namespaces, deleting, waiting.
        public var timings: [Timing] = []
    }

    /// Removes everything topology `name` created: its namespaces (their veths go with them) and
    /// host-side links (by link group when every member of the group is ours), its host routes
    /// and masquerade rules; then waits until its host links are really gone. Nothing else is
    /// touched. `topology` (when the caller has the file) also removes declared host routes.
    public static func down(name: String, topology: Topology? = nil, options: Options = Options(), wait: Double = 10) throws -> DownResult {
        let t0 = monotonicSeconds()
        try validateTopologyName(name)
        raiseFileLimit()
        let lock = try TopologyLock(topology: name, timeout: options.lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        let alias = Ownership.alias(for: name)
        let group = Ownership.group(for: name)
        var clock = PhaseClock(since: t0)
        clock.mark("lock")
        func mark(_ what: String) { clock.mark(what) }
        let host = try NetHandle()
        let links = try host.linksWithoutStatistics()
        let search = try LiveReader.ownedNamespacesWithIDs(of: name, hostLinks: links)
        let (owned, stale, knownIDs, entered) = (search.owned, search.stale, search.ids, search.entered)
        mark("find \(owned.count + stale.count) namespaces (\(search.knownByPeers) known by their peers, \(search.candidatesEntered) entered)")
        var firstError: Error?
        // Ours: our alias, or a temporary name of ours. A group alone is no mark.
        let ours = links.filter { Ownership.owns(alias: $0.alias, topology: name) }
        let temporary = links.filter { Ownership.isTemporaryLink(name: $0.name, group: $0.group, topology: name) }
        let inGroup = links.filter { $0.group == group }
        let wholeGroupOurs = inGroup.allSatisfy { Ownership.owns(alias: $0.alias, topology: name) }
        let records = TopologyRecords(name)
        let recordedSysctls = (try? records.sysctls()) ?? [:]
        if owned.isEmpty && stale.isEmpty && ours.isEmpty && temporary.isEmpty && recordedSysctls.isEmpty && !records.exists && !TopologyMasquerade.hasAny(name) {
            throw NotUp.error(name)
        }
        // Host veths that go with our namespaces (no alias yet: a kill before the alias was set)
        // vanish asynchronously once those are deleted: wait for them too. (Namespaces found by
        // their peers' ids need no lookup; only those found by entering them do.)
        var ids = knownIDs
        for ns in entered where links.contains(where: { $0.isVeth && $0.group == group && ($0.alias ?? "").isEmpty }) {
            if let n = try? NamespaceName(ns), let o = try? NetworkNamespace.open(n), let id = try? host.namespaceID(of: o) { ids.insert(id) }
        }
        let followers = links.filter { l in l.isVeth && l.group == group && l.linkNetnsID.map(ids.contains) == true && !ours.contains { $0.index == l.index } }
        func deleteNamespaces() {
            for n in owned.map(\.namespace) + stale {
                do { try NetworkNamespace.delete(NamespaceName(n)) } catch is NotFound {} catch { firstError = firstError ?? error }
            }
            mark("delete namespaces")
        }
        func deleteHostLinks() {
            do { try HostLinks.deleteTemporary(topology: name, host: host, links: links) } catch { firstError = firstError ?? error }
            guard !ours.isEmpty else { return }
            if wholeGroupOurs {
                do { try host.deleteLinks(group: group) } catch { firstError = firstError ?? error }
            }
            // Ours outside the group, or a group shared with someone else's links: one by one.
            for l in ours where !(wholeGroupOurs && l.group == group) {
                do { try host.deleteLink(.index(l.index)) } catch is NotFound {} catch { firstError = firstError ?? error }
            }
            mark("host links")
        }
        // Host links first, in one RTM_DELLINK by group: the kernel destroys every pair (and so
        // empties the namespaces) in one pass; the namespaces, deleted next, then go quickly.
        if let order = getenv("VETHKIT_DOWN_ORDER"), String(cString: order) == "namespaces-first" {
            deleteNamespaces()
            deleteHostLinks()
        } else {
            deleteHostLinks()
            deleteNamespaces()
        }
        // Host routes vethkit added (protocol 0x56; the kernel checks it again on delete) for this
        // topology (routes through our links went with them).
        if let topology, let hn = topology.node(Topology.hostNode), !hn.routes.isEmpty {
            var names: [Int32: String] = [:]
            for l in links { names[l.index] = l.name }
            let hostRoutes = (try? host.routes().filter { $0.protocol.rawValue == Ownership.routeProtocol }) ?? []
            for lr in hostRoutes {
                guard hn.routes.contains(where: { $0.matches(LiveState.RouteEntry(lr, names: names)) }) else { continue }
                try? host.deleteRoute(lr, matchingProtocol: true)
            }
        }
        do { try TopologyMasquerade.removeAll(name) } catch { firstError = firstError ?? error }
        // Host sysctls up changed: back to what they were.
        for (k, rec) in recordedSysctls.sorted(by: { $0.key < $1.key }) {
            // Only if it still has the value up wrote: a value changed since is someone else's.
            do { if try Sysctl.read(k) == rec.set { try Sysctl.write(k, rec.old) } } catch { firstError = firstError ?? error }
        }
        if firstError == nil { records.removeAll() }
        mark("routes, masquerade, sysctls")
        // Wait until the kernel has really destroyed them (namespace cleanup is asynchronous).
        let deadline = monotonicSeconds() + wait
        let waitFor = ours + followers + temporary
        while monotonicSeconds() < deadline {
            let left = try host.linksWithoutStatistics().contains { l in l.alias == alias || waitFor.contains { $0.index == l.index && $0.name == l.name } }
            if !left { break }
            usleep(2_000)
        }
        mark("wait gone")
        if let firstError { throw firstError }
        let dt = monotonicSeconds() - t0
        return DownResult(namespaces: owned.count + stale.count, hostLinks: ours.count, seconds: dt,
                          summary: "\(name): removed \(owned.count + stale.count) namespaces and \(ours.count) host links in \(FixedPoint.text(dt, places: 3)) s",
                          timings: clock.timings)
    }

    // MARK: list

    public struct ListedTopology: Equatable {
        public var name: String
        public var namespaces: Int
        public var hostLinks: Int
        /// Veth ends with VethKit's impairment (root qdisc 564b:), and ends cut (`vethctl cut`).
        public var impaired: Int = 0
        public var cut: Int = 0
    }

    /// Topologies that are up on this machine: marks on namespaces' lo and on host links.
    public static func list() throws -> [ListedTopology] {
        var out: [String: ListedTopology] = [:]
        let names = try NetworkNamespace.list().map(\.rawValue)
        var marks: [String: String] = [:]
        for (n, m) in LiveReader.marks(of: names) {
            if let m, let t = Ownership.topology(fromAlias: m) { marks[n] = t }
        }
        for (_, t) in marks { out[t, default: ListedTopology(name: t, namespaces: 0, hostLinks: 0)].namespaces += 1 }
        let host = try NetHandle()
        var hostLinksOf: [String: Set<Int32>] = [:]
        for l in try host.links() {
            if let t = Ownership.topology(fromAlias: l.alias) {
                out[t, default: ListedTopology(name: t, namespaces: 0, hostLinks: 0)].hostLinks += 1
                hostLinksOf[t, default: []].insert(l.index)
            }
        }
        // Impaired and cut ends: one qdisc dump per namespace of a topology, one of the host.
        for (n, c) in LiveReader.egressCounts(of: marks.keys.sorted()) {
            out[marks[n]!]!.impaired += c.impaired
            out[marks[n]!]!.cut += c.cut
        }
        if !hostLinksOf.isEmpty {
            let qs = try host.qdiscs()
            for (t, links) in hostLinksOf {
                let c = TopologyImpairments.count(qs, links: links)
                out[t]!.impaired += c.impaired
                out[t]!.cut += c.cut
            }
        }
        return out.values.sorted { $0.name < $1.name }
    }
}

