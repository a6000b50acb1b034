import Glibc
import VethKit
import VethKitJSON

/// `check`: real ICMP echoes from inside each source namespace.
public enum Checker {
    /// One reachability claim and why it is checked.
    public struct Claim: Sendable, Hashable {
        public var from: String
        public var to: IPAddress
        /// `link h1/eth0 -> r1/eth0`, `bridge port`, `route via`, `checks:`.
        public var reason: String
        public init(from: String, to: IPAddress, reason: String) {
            self.from = from
            self.to = to
            self.reason = reason
        }
    }

    public struct Outcome: Sendable {
        public var claim: Claim
        public var rtt: Double?
        public var error: String?
        public var ok: Bool { rtt != nil }
    }

    public struct Report: Sendable {
        public var topology: String
        public var outcomes: [Outcome]
        public var seconds: Double
        /// Of ``seconds``, the time spent waiting for bridge ports to forward before the first echo.
        public var bridgePortWait: Double = 0
        public var passed: Bool { outcomes.allSatisfy(\.ok) }
        public var failures: Int { outcomes.filter { !$0.ok }.count }

        /// An aligned table, then `seed: 3/3 reachable in 0.004 s`.
        public var table: String {
            var rows = [["FROM", "TO", "RESULT", "RTT", "WHY"]]
            for o in outcomes {
                rows.append([o.claim.from, o.claim.to.description, o.ok ? "ok" : "FAIL",
                             o.rtt.map { FixedPoint.text($0 * 1000, places: 3) + " ms" } ?? (o.error ?? "timeout"), o.claim.reason])
            }
            var out = TextFormat.table(rows)
            out.append("\(topology): \(outcomes.count - failures)/\(outcomes.count) reachable in \(FixedPoint.text(seconds, places: 3)) s")
            return out.joined(separator: "\n")
        }

        /// `{"topology":…, "passed":…, "seconds":…, "probes":[{"from","to","ok","rtt_ms","error","reason"}]}`
        public var jsonValue: JSON {
            let probes = outcomes.map { o -> JSON in
                var f: JSONObject = ["from": .string(o.claim.from), "to": .string(o.claim.to.description), "ok": .bool(o.ok)]
                if let r = o.rtt { f["rtt_ms"] = .double((r * 1_000_000).rounded() / 1000) }
                if !o.ok { f["error"] = .string(o.error ?? "timeout") }
                f["reason"] = .string(o.claim.reason)
                return .object(f)
            }
            return ["topology": .string(topology), "passed": .bool(passed), "seconds": .double((seconds * 10_000).rounded() / 10_000),
                    "probes": .array(probes)]
        }

        /// ``jsonValue`` as text.
        public var json: String { jsonValue.serialized }
    }

    /// The default claims: both ends of every veth link, every bridge port to its bridge's address
    /// (or to one neighbour port where the bridge has none: linear in the topology), every route's
    /// via, kind links of one subnet on different nodes (``kindLinkClaims(_:_:)``), then the file's `checks:`. Duplicates are dropped.
    public static func claims(_ t: Topology) -> [Claim] {
        var out: [Claim] = []
        var seen = Set<String>()
        func add(_ from: String, _ to: IPAddress, _ why: String) {
            if seen.insert("\(from) \(to)").inserted { out.append(Claim(from: from, to: to, reason: why)) }
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
        for c in t.checks { add(c.from, c.to, "checks:") }
        return out
    }

    /// Sends the echoes (1 s timeout each, all in flight at once; a second echo with 2 s for the
    /// claims the first missed) and reports.
    public static func run(_ t: Topology, timeout: Double = 1) throws -> Report {
        let t0 = monotonicSeconds()
        Applier.raiseFileLimit()
        waitForBridgePorts(t)
        let portWait = monotonicSeconds() - t0
        let cl = claims(t)
        var outcomes: [Outcome] = cl.map { Outcome(claim: $0, rtt: nil, error: nil) }
        // Sources in chunks, so that namespace fds and sockets stay far below the fd limit
        // (1024 by default) however big the topology.
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
                        for k in bySource[src]! { outcomes[k].error = "node \(src) is not up (\(error))" }
                        continue
                    }
                }
                spaces.append(space)
                for k in bySource[src]! {
                    probes.append(ICMPEcho.Probe(source: spaces.count - 1, target: cl[k].to))
                    probeOf.append(k)
                }
            }
            var results = try ICMPEcho.run(probes, namespaces: spaces, timeout: timeout)
            // A second echo, only for the claims the first one missed, with twice the timeout:
            // the first echo of a path also resolves its neighbours hop by hop (IPv6 across two
            // routers on a loaded 2-core machine was seen to need more than 1 s). As `ping -c2`.
            let missed = results.indices.filter { !results[$0].ok }
            if !missed.isEmpty {
                let again = try ICMPEcho.run(missed.map { probes[$0] }, namespaces: spaces, timeout: timeout * 2)
                for (m, r) in zip(missed, again) where r.ok { results[m] = r }
            }
            for (j, r) in results.enumerated() {
                outcomes[probeOf[j]].rtt = r.rtt
                outcomes[probeOf[j]].error = r.ok ? nil : (r.error ?? "no reply in \(timeout) s, then \(timeout * 2) s")
            }
            start += chunk
        }
        return Report(topology: t.name, outcomes: outcomes, seconds: monotonicSeconds() - t0, bridgePortWait: portWait)
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
