import Glibc
import VethKit
import VethKitJSON

/// `check`: real ICMP echoes from inside each source namespace.
public enum Checker {
    /// One reachability claim, why it is checked, and what makes it pass.
    public struct Claim: Sendable, Hashable {
        public var from: String
        public var to: IPAddress
        /// `link h1/eth0 -> r1/eth0`, `bridge port`, `route via`, `checks:`.
        public var reason: String
        /// `unreachable`: passes only when no echo is answered.
        public var expect: Topology.Check.Expectation
        /// Seconds; the claim fails when a reply takes longer.
        public var maxRTT: Double?
        /// 0...1; the claim fails when more of its echoes are lost.
        public var maxLoss: Double?
        public init(from: String, to: IPAddress, reason: String, expect: Topology.Check.Expectation = .reachable,
                    maxRTT: Double? = nil, maxLoss: Double? = nil) {
            self.from = from
            self.to = to
            self.reason = reason
            self.expect = expect
            self.maxRTT = maxRTT
            self.maxLoss = maxLoss
        }
    }

    /// How `check` sends its echoes.
    public struct Options: Sendable, Hashable {
        /// Echoes per claim, `interval` apart, each sent once and waited for `timeout` (a
        /// measurement, as `ping -c N -i interval -W timeout`). Nil: one echo per claim for
        /// reachability — resent every 250 ms until `timeout`, then once more with twice the
        /// timeout for the claims the first missed (``Checker`` documents why).
        public var count: Int?
        /// Seconds between a claim's echoes (10 ms by default; ping's is 1 s).
        public var interval: Double
        /// Seconds an echo waits for its reply.
        public var timeout: Double
        public init(count: Int? = nil, interval: Double = 0.01, timeout: Double = 1) {
            self.count = count
            self.interval = interval
            self.timeout = timeout
        }
    }

    public struct Outcome: Sendable {
        public var claim: Claim
        /// Per echo (sequence k + 1), the round-trip time in seconds, nil when lost.
        public var rtts: [Double?]
        /// Round-trip times of duplicate replies (ping counts them in its sums).
        public var duplicateRTTs: [Double] = []
        /// Why the claim failed, nil when it passed.
        public var error: String?
        /// The first reply's round-trip time in seconds (the only one without `--count`).
        public var rtt: Double? { rtts.lazy.compactMap { $0 }.first }
        public var ok: Bool { error == nil }
        /// ping's summary of the claim's echoes.
        public var statistics: EchoStatistics { EchoStatistics(rtts: rtts, duplicateRTTs: duplicateRTTs) }
        /// Sequence numbers (from 1) that got no reply.
        public var lostSequences: [Int] { rtts.indices.filter { rtts[$0] == nil }.map { $0 + 1 } }

        /// The verdict on these echoes; `sendError` is why echoes could not go out, if they could not.
        static func failure(_ claim: Claim, rtts: [Double?], sendError: String?, noReply: String) -> String? {
            let received = rtts.lazy.compactMap { $0 }.count
            if claim.expect == .unreachable {
                return received == 0 ? nil : "answered \(received)/\(rtts.count) echoes, expected unreachable"
            }
            if received == 0 { return sendError ?? noReply }
            if let maxLoss = claim.maxLoss {
                let lost = Double(rtts.count - received) / Double(rtts.count)
                if lost > maxLoss + 1e-12 {
                    return "loss \(CheckUnits.text(fraction: lost)) above max_loss \(CheckUnits.text(fraction: maxLoss))"
                }
            }
            if let maxRTT = claim.maxRTT, let worst = rtts.compactMap({ $0 }).max(), worst > maxRTT {
                return "rtt \(FixedPoint.text(worst * 1000, places: 3)) ms above max_rtt \(CheckUnits.text(seconds: maxRTT))"
            }
            return nil
        }
    }

    public struct Report: Sendable {
        public var topology: String
        public var outcomes: [Outcome]
        public var seconds: Double
        /// Of ``seconds``, the time spent waiting for bridge ports to forward before the first echo.
        public var bridgePortWait: Double = 0
        public var options = Options()
        /// With `--all`: the node-by-node matrix.
        public var matrix: CheckMatrix?
        /// Things to tell the user (the neighbour-table limit), one line each.
        public var warnings: [String] = []
        public var passed: Bool { outcomes.allSatisfy(\.ok) }
        public var failures: Int { outcomes.filter { !$0.ok }.count }

        /// The WHY cell: the failure (`no reply within 1s`, `loss 20% above max_loss 5%`), `-`
        /// for a claim that passed, `unreachable (expected)` for one that passed by getting no reply.
        static func why(_ o: Outcome) -> String {
            if !o.ok { return o.error ?? "failed" }
            return o.claim.expect == .unreachable ? "unreachable (expected)" : "-"
        }

        /// `seed: 3/3 reachable in 0.004 s` (`passed` instead of `reachable` when some claims expect unreachable).
        var summary: String {
            let word = outcomes.contains { $0.claim.expect == .unreachable } ? "passed" : "reachable"
            var s = "\(topology): \(outcomes.count - failures)/\(outcomes.count) \(word) in \(FixedPoint.text(seconds, places: 3)) s"
            if let n = options.count { s += " (\(n) echoes each, \(CheckUnits.text(seconds: options.interval)) apart)" }
            return s
        }

        /// An aligned table FROM / TO / RESULT / RTT / WHY / CLAIM, then `seed: 3/3 reachable in
        /// 0.004 s`: RTT is the reply's time (`-` without one), WHY what failed (`-` when the claim
        /// passed), CLAIM why the pair is probed (a link, a route, `checks:`). With `--count`: sent,
        /// received, loss and ping's min/avg/max/mdev per claim, WHY and CLAIM.
        /// With `--all`: the matrix.
        public var table: String {
            if let matrix { return matrix.text(outcomes, seconds: seconds, topology: topology) }
            if options.count == nil {
                var rows = [["FROM", "TO", "RESULT", "RTT", "WHY", "CLAIM"]]
                for o in outcomes {
                    let rttText = o.rtt.map { FixedPoint.text($0 * 1000, places: 3) + " ms" } ?? "-"
                    rows.append([o.claim.from, o.claim.to.description, o.ok ? "ok" : "FAIL", rttText, Self.why(o), o.claim.reason])
                }
                var out = TextFormat.table(rows)
                out.append(summary)
                return out.joined(separator: "\n")
            }
            var rows = [["FROM", "TO", "RESULT", "SENT", "RECV", "LOSS", "RTT MIN/AVG/MAX/MDEV MS", "WHY", "CLAIM"]]
            for o in outcomes {
                let st = o.statistics
                rows.append([o.claim.from, o.claim.to.description, o.ok ? "ok" : "FAIL", String(st.transmitted), String(st.received),
                             st.lossText, st.rttText ?? "-", Self.why(o), o.claim.reason])
            }
            var out = TextFormat.table(rows)
            out.append(summary)
            return out.joined(separator: "\n")
        }

        /// `{"topology", "passed", "seconds", "count", "interval_ms", "probes": [{"from", "to", "ok",
        /// "rtt_ms", "error", "reason", "expect", "transmitted", "received", "duplicates", "loss_percent",
        /// "rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "rtt_mdev_ms", "lost": [sequence numbers]}]}`;
        /// with `--all`, `"all"` (the matrix and its failures) instead of `"probes"`.
        public var jsonValue: JSON {
            var top: JSONObject = ["topology": .string(topology), "passed": .bool(passed),
                                   "seconds": .double((seconds * 10_000).rounded() / 10_000),
                                   "count": JSON(options.count ?? 1)]
            if options.count != nil {
                top["interval_ms"] = .double(options.interval * 1000)
                top["timeout_ms"] = .double(options.timeout * 1000)
            }
            if !warnings.isEmpty { top["warnings"] = .array(warnings.map { .string($0) }) }
            if let matrix {
                top["all"] = matrix.jsonValue(outcomes)
                return .object(top)
            }
            top["probes"] = .array(outcomes.map { o -> JSON in
                var f: JSONObject = ["from": .string(o.claim.from), "to": .string(o.claim.to.description), "ok": .bool(o.ok)]
                if let r = o.rtt { f["rtt_ms"] = .double((r * 1_000_000).rounded() / 1000) }
                if !o.ok { f["error"] = .string(o.error ?? "timeout") }
                f["reason"] = .string(o.claim.reason)
                f["expect"] = .string(o.claim.expect.rawValue)
                if let m = o.claim.maxRTT { f["max_rtt_ms"] = .double(m * 1000) }
                if let m = o.claim.maxLoss { f["max_loss_percent"] = .double(m * 100) }
                for field in o.statistics.jsonFields { f[field.key] = field.value }
                f["lost"] = .array(o.lostSequences.map { JSON($0) })
                return .object(f)
            })
            return .object(top)
        }

        /// ``jsonValue`` as text.
        public var json: String { jsonValue.serialized }
    }

    /// The default claims: both ends of every veth link, every bridge port to its bridge's address
    /// (or to one neighbour port where the bridge has none: linear in the topology), every route's
    /// via, kind links of one subnet on different nodes (``kindLinkClaims(_:_:)``), then the file's
    /// `checks:` (a check naming a node is one claim per address of that node). Duplicates are
    /// dropped; a `checks:` entry for a pair a default claim already has gives it its expectation.
    public static func claims(_ t: Topology) -> [Claim] {
        var out: [Claim] = []
        var seen: [String: Int] = [:]
        func add(_ from: String, _ to: IPAddress, _ why: String) {
            let key = "\(from) \(to)"
            if seen[key] == nil {
                seen[key] = out.count
                out.append(Claim(from: from, to: to, reason: why))
            }
        }
        let ifacesOf = t.interfacesByNode()
        var nodeOf: [String: Topology.Node] = [:]
        for n in t.nodes { nodeOf[n.name] = n }
        /// Whether `node` has an L3 way to `addr`: an address in its prefix or a route covering it.
        func canReach(_ node: String, _ addr: IPAddress) -> Bool {
            for i in ifacesOf[node] ?? [] where i.addresses.contains(where: { $0.contains(addr) }) { return true }
            return nodeOf[node]?.routes.contains { $0.to.contains(addr) } ?? false
        }
        for l in t.links {
            for (e, o) in [(l.a, l.b), (l.b, l.a)] {
                for a in e.addresses where canReach(o.node, a.address) {
                    add(o.node, a.address, "link \(o.node)/\(o.name) -> \(e.node)/\(e.name)")
                }
            }
        }
        for n in t.nodes {
            for b in n.bridges {
                // Ports: veth ends in this node enslaved to b; the far end is where probes start.
                let ports: [(Topology.Endpoint, Topology.Endpoint)] = t.links.compactMap { l in
                    if l.a.node == n.name && l.a.master == b.name { return (l.a, l.b) }
                    if l.b.node == n.name && l.b.master == b.name { return (l.b, l.a) }
                    return nil
                }
                if !b.addresses.isEmpty {
                    for (p, far) in ports {
                        for a in b.addresses where canReach(far.node, a.address) {
                            add(far.node, a.address, "bridge port \(n.name)/\(b.name):\(p.name)")
                        }
                    }
                } else if ports.count > 1 {
                    // The addresses behind a port: its far end's, or those of the bridge the far end is a port of.
                    func behind(_ far: Topology.Endpoint) -> [IPNetwork] {
                        far.addresses + (far.master.flatMap { m in t.node(far.node)?.bridges.first { $0.name == m }?.addresses } ?? [])
                    }
                    for (k, (p, far)) in ports.enumerated() {
                        // The next port (ring order) with an address this far node can reach.
                        for step in 1..<ports.count {
                            let (_, next) = ports[(k + step) % ports.count]
                            if next.node == far.node { continue }
                            if let a = behind(next).first(where: { canReach(far.node, $0.address) }) {
                                add(far.node, a.address, "bridge port \(n.name)/\(b.name):\(p.name) to neighbour")
                                break
                            }
                        }
                    }
                }
            }
            for r in n.routes { add(n.name, r.via, "route \(r)") }
        }
        kindLinkClaims(t, add)
        for c in t.checks {
            let targets: [IPAddress]
            switch c.to {
            case .address(let a): targets = [a]
            case .node(let n): targets = (ifacesOf[n] ?? []).flatMap { $0.addresses.map(\.address) }
            }
            for a in targets {
                let key = "\(c.from) \(a)"
                if let k = seen[key] {
                    // The file's claim decides what this pair must do.
                    if c.expect != .reachable || c.maxRTT != nil || c.maxLoss != nil {
                        out[k].expect = c.expect
                        out[k].maxRTT = c.maxRTT
                        out[k].maxLoss = c.maxLoss
                        out[k].reason += ", checks:"
                    }
                    continue
                }
                seen[key] = out.count
                out.append(Claim(from: c.from, to: a, reason: c.to.description == a.description ? "checks:" : "checks: to \(c.to)",
                                 expect: c.expect, maxRTT: c.maxRTT, maxLoss: c.maxLoss))
            }
        }
        return out
    }

    /// Sends the echoes of the default claims and reports. Without `options.count`: one echo per
    /// claim (all in flight at once, resent every 250 ms until `options.timeout`), and a second
    /// with twice the timeout for the reachable claims the first missed. With it: that many echoes
    /// per claim, `options.interval` apart, each sent once (loss is measured, not retried).
    public static func run(_ t: Topology, options: Options = Options()) throws -> Report {
        try run(t, claims: nil, options: options)
    }

    /// ``run(_:options:)`` with a timeout (the reachability mode).
    public static func run(_ t: Topology, timeout: Double) throws -> Report {
        try run(t, options: Options(timeout: timeout))
    }

    /// `check --all`: every node to every address of every other node (``CheckMatrix/claims(_:)``),
    /// reported as a matrix, with a warning when the neighbour entries it needs pass the kernel's limit.
    public static func runAll(_ t: Topology, options: Options = Options()) throws -> Report {
        let cl = CheckMatrix.claims(t)
        var r = try run(t, claims: cl, options: options)
        r.matrix = CheckMatrix(t)
        if let w = NeighbourLimit.warning(t, claims: cl, what: "check --all") { r.warnings.append(w) }
        return r
    }

    static func run(_ t: Topology, claims given: [Claim]?, options: Options) throws -> Report {
        let t0 = monotonicSeconds()
        Applier.raiseFileLimit()
        waitForBridgePorts(t)
        let portWait = monotonicSeconds() - t0
        let cl = given ?? claims(t)
        let outcomes = try probe(t, cl, options: options)
        return Report(topology: t.name, outcomes: outcomes, seconds: monotonicSeconds() - t0, bridgePortWait: portWait, options: options)
    }

    /// The claims' echoes, sources in chunks (so that namespace fds and sockets stay far below the
    /// fd limit, 1024 by default, however big the topology); each outcome's `error` is its verdict.
    static func probe(_ t: Topology, _ cl: [Claim], options: Options) throws -> [Outcome] {
        var outcomes: [Outcome] = cl.map { Outcome(claim: $0, rtts: [nil], error: nil) }
        var sources: [String] = []
        var bySource: [String: [Int]] = [:]
        for (k, c) in cl.enumerated() {
            if bySource[c.from] == nil { sources.append(c.from) }
            bySource[c.from, default: []].append(k)
        }
        let chunk = 200
        var start = 0
        while start < sources.count {
            let part = sources[start..<min(start + chunk, sources.count)]
            start += chunk
            var spaces: [NetworkNamespace?] = []
            var probes: [ICMPEcho.Probe] = []
            var probeOf: [Int] = []
            for src in part {
                let space: NetworkNamespace?
                if src == Topology.hostNode {
                    space = nil
                } else {
                    do {
                        space = try NetworkNamespace.open(NamespaceName(t.namespaceName(of: src)!))
                    } catch {
                        for k in bySource[src]! {
                            // Nothing can be measured from there, whatever the claim expects.
                            outcomes[k].rtts = [Double?](repeating: nil, count: options.count ?? 1)
                            outcomes[k].error = "node \(src) is not up (\(error))"
                        }
                        continue
                    }
                }
                spaces.append(space)
                for k in bySource[src]! {
                    probes.append(ICMPEcho.Probe(source: spaces.count - 1, target: cl[k].to))
                    probeOf.append(k)
                }
            }
            if let count = options.count {
                let series = try ICMPEcho.measure(probes, namespaces: spaces,
                                                  options: .init(count: count, interval: options.interval, timeout: options.timeout))
                for (j, s) in series.enumerated() {
                    let k = probeOf[j]
                    outcomes[k].rtts = s.rtts
                    outcomes[k].duplicateRTTs = s.duplicateRTTs
                    outcomes[k].error = Outcome.failure(cl[k], rtts: s.rtts, sendError: s.error,
                                                        noReply: "no reply to \(count) echoes (\(CheckUnits.text(seconds: options.timeout)) each)")
                }
                continue
            }
            let timeout = options.timeout
            var results = try ICMPEcho.run(probes, namespaces: spaces, timeout: timeout)
            // A second echo, only for the reachable claims the first one missed, with twice the timeout:
            // the first echo of a path also resolves its neighbours hop by hop (IPv6 across two
            // routers on a loaded 2-core machine was seen to need more than 1 s). As `ping -c2`.
            let missed = results.indices.filter { !results[$0].ok && cl[probeOf[$0]].expect == .reachable }
            if !missed.isEmpty {
                let again = try ICMPEcho.run(missed.map { probes[$0] }, namespaces: spaces, timeout: timeout * 2)
                for (m, r) in zip(missed, again) where r.ok { results[m] = r }
            }
            for (j, r) in results.enumerated() {
                let k = probeOf[j]
                outcomes[k].rtts = [r.rtt]
                let noReply = "no reply in \(FixedPoint.trimmed(timeout, places: 3)) s, then \(FixedPoint.trimmed(timeout * 2, places: 3)) s"
                outcomes[k].error = Outcome.failure(cl[k], rtts: [r.rtt], sendError: r.error, noReply: cl[k].expect == .unreachable ? "" : noReply)
            }
        }
        return outcomes
    }
}

extension Checker {
    /// A bridge forwards through a port only once the kernel has seen the port's carrier (its
    /// operstate becomes UP through linkwatch, up to a second after the link came up). Waits, at
    /// most `limit` seconds, until every up port of the topology's bridges is UP, so that probes
    /// measure the topology and not that delay.
    static func waitForBridgePorts(_ t: Topology, limit: Double = 3) {
        let nodes = t.nodes.filter { !$0.bridges.isEmpty }.map(\.name)
        guard !nodes.isEmpty else { return }
        let deadline = monotonicSeconds() + limit
        for node in nodes {
            let bridges = Set(t.node(node)!.bridges.map(\.name))
            guard let h = try? (node == Topology.hostNode ? NetHandle() : NetHandle(named: NamespaceName(t.namespaceName(of: node)!))) else { continue }
            while monotonicSeconds() < deadline {
                guard let links = try? h.links() else { break }
                let index = Dictionary(links.map { ($0.name, $0.index) }, uniquingKeysWith: { a, _ in a })
                let brIdx = Set(bridges.compactMap { index[$0] })
                let waiting = links.contains { l in
                    l.masterIndex.map(brIdx.contains) == true && l.isUp && l.operationalState != .up
                }
                if !waiting { break }
                // A single RTM_GETLINK makes the kernel process the device's pending link-watch
                // event now (a dump does not): the port's operstate, and the bridge's view of it,
                // catch up at once instead of at the next link-watch run (up to a second later).
                for l in links where l.masterIndex.map(brIdx.contains) == true && l.isUp && l.operationalState != .up {
                    _ = try? h.link(index: l.index)
                }
                usleep(10_000)
            }
        }
    }
}
