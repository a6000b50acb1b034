import Foundation
import VethKit

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
        public var passed: Bool { outcomes.allSatisfy(\.ok) }
        public var failures: Int { outcomes.filter { !$0.ok }.count }

        /// An aligned table, then `seed: 3/3 reachable in 0.004 s`.
        public var table: String {
            var rows = [["FROM", "TO", "RESULT", "RTT", "WHY"]]
            for o in outcomes {
                rows.append([o.claim.from, o.claim.to.description, o.ok ? "ok" : "FAIL",
                             o.rtt.map { String(format: "%.3f ms", $0 * 1000) } ?? (o.error ?? "timeout"), o.claim.reason])
            }
            let widths = (0..<5).map { c in rows.map { $0[c].count }.max()! }
            var out = rows.map { r in
                r.enumerated().map { c, v in c == 4 ? v : v.padding(toLength: widths[c], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            }
            out.append("\(topology): \(outcomes.count - failures)/\(outcomes.count) reachable in \(String(format: "%.3f", seconds)) s")
            return out.joined(separator: "\n")
        }

        /// `{"topology":…, "passed":…, "probes":[{"from","to","ok","rtt_ms","error","reason"}]}`
        public var json: String {
            let probes = outcomes.map { o -> String in
                var f = ["\"from\":\(jsonString(o.claim.from))", "\"to\":\(jsonString(o.claim.to.description))", "\"ok\":\(o.ok)"]
                if let r = o.rtt { f.append("\"rtt_ms\":\(String(format: "%.3f", r * 1000))") }
                if !o.ok { f.append("\"error\":\(jsonString(o.error ?? "timeout"))") }
                f.append("\"reason\":\(jsonString(o.claim.reason))")
                return "{" + f.joined(separator: ",") + "}"
            }
            return "{\"topology\":\(jsonString(topology)),\"passed\":\(passed),\"seconds\":\(String(format: "%.4f", seconds)),\"probes\":[\n"
                + probes.joined(separator: ",\n") + "\n]}"
        }
    }

    /// The default claims: both ends of every veth link, every bridge port to its bridge's address
    /// (or to one neighbour port where the bridge has none: linear in the topology), every route's
    /// via, then the file's `checks:`. Duplicates are dropped.
    public static func claims(_ t: Topology) -> [Claim] {
        var out: [Claim] = []
        var seen = Set<String>()
        func add(_ from: String, _ to: IPAddress, _ why: String) {
            if seen.insert("\(from) \(to)").inserted { out.append(Claim(from: from, to: to, reason: why)) }
        }
        /// Whether `node` has an L3 way to `addr`: an address in its prefix or a route covering it.
        func canReach(_ node: String, _ addr: IPAddress) -> Bool {
            for i in t.interfaces(of: node) where i.addresses.contains(where: { $0.contains(addr) }) { return true }
            return t.node(node)?.routes.contains { $0.to.contains(addr) } ?? false
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
                    for (k, (p, far)) in ports.enumerated() {
                        let (_, next) = ports[(k + 1) % ports.count]
                        if let a = next.addresses.first(where: { x in far.addresses.contains { $0.isIPv4 == x.isIPv4 && $0.contains(x.address) } }) {
                            add(far.node, a.address, "bridge port \(n.name)/\(b.name):\(p.name) to neighbour")
                        }
                    }
                }
            }
            for r in n.routes { add(n.name, r.via, "route \(r)") }
        }
        for c in t.checks { add(c.from, c.to, "checks:") }
        return out
    }

    /// Sends the echoes (1 s timeout each, all in flight at once) and reports.
    public static func run(_ t: Topology, timeout: Double = 1) throws -> Report {
        let t0 = monotonicSeconds()
        Applier.raiseFileLimit()
        let cl = claims(t)
        var nodeIndex: [String: Int] = [:]
        var spaces: [NetworkNamespace?] = []
        var outcomes: [Outcome] = cl.map { Outcome(claim: $0, rtt: nil, error: nil) }
        var probes: [ICMPEcho.Probe] = []
        var probeOf: [Int] = []
        for (k, c) in cl.enumerated() {
            if nodeIndex[c.from] == nil {
                if c.from == Topology.hostNode {
                    nodeIndex[c.from] = spaces.count
                    spaces.append(nil)
                } else {
                    do {
                        let ns = try NetworkNamespace.open(NamespaceName(t.namespaceName(of: c.from)!))
                        nodeIndex[c.from] = spaces.count
                        spaces.append(ns)
                    } catch {
                        outcomes[k].error = "node \(c.from) is not up (\(error))"
                        continue
                    }
                }
            }
            probes.append(ICMPEcho.Probe(source: nodeIndex[c.from]!, target: c.to))
            probeOf.append(k)
        }
        let results = try ICMPEcho.run(probes, namespaces: spaces, timeout: timeout)
        for (j, r) in results.enumerated() {
            outcomes[probeOf[j]].rtt = r.rtt
            outcomes[probeOf[j]].error = r.ok ? nil : (r.error ?? "no reply in \(timeout) s")
        }
        return Report(topology: t.name, outcomes: outcomes, seconds: monotonicSeconds() - t0)
    }
}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}
