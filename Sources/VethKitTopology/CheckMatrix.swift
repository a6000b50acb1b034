import VethKit
import VethKitJSON

/// `check --all` (Mininet's `pingall`): every node to every address of every other node, shown as
/// a nodes × nodes matrix — rows the source, columns the target, one mark per cell: `.` every
/// address of the target answered, `x` some did, `X` none did, `-` the node itself (or a
/// target without addresses) — followed by the failures.
public struct CheckMatrix: Sendable {
    /// The nodes in file order (rows and columns).
    public var nodes: [String]
    /// Which node declares each address.
    var owner: [IPAddress: Int]

    public init(_ t: Topology) {
        nodes = t.nodes.map(\.name)
        owner = [:]
        let ifaces = t.interfacesByNode()
        for (k, n) in nodes.enumerated() {
            for i in ifaces[n] ?? [] { for a in i.addresses where owner[a.address] == nil { owner[a.address] = k } }
        }
    }

    /// The claims, source by source in file order: each node to every declared address of every
    /// other node (`all: a -> b`).
    public static func claims(_ t: Topology) -> [Checker.Claim] {
        let ifaces = t.interfacesByNode()
        let addresses = t.nodes.map { n in (n.name, (ifaces[n.name] ?? []).flatMap { $0.addresses.map(\.address) }) }
        var out: [Checker.Claim] = []
        for from in t.nodes {
            for (to, list) in addresses where to != from.name {
                for a in list { out.append(Checker.Claim(from: from.name, to: a, reason: "all: \(from.name) -> \(to)")) }
            }
        }
        return out
    }

    /// A cell: how many of its claims there are and how many passed.
    public struct Cell: Sendable, Hashable {
        public var claims = 0
        public var passed = 0
        /// `.`, `x`, `X`, or `-` for no claims.
        public var mark: Character {
            if claims == 0 { return "-" }
            return passed == claims ? "." : (passed == 0 ? "X" : "x")
        }
    }

    /// cells[from][to] for the outcomes of ``claims(_:)``.
    public func cells(_ outcomes: [Checker.Outcome]) -> [[Cell]] {
        var index: [String: Int] = [:]
        for (k, n) in nodes.enumerated() { index[n] = k }
        var cells = [[Cell]](repeating: [Cell](repeating: Cell(), count: nodes.count), count: nodes.count)
        for o in outcomes {
            guard let f = index[o.claim.from], let t = owner[o.claim.to] else { continue }
            cells[f][t].claims += 1
            if o.ok { cells[f][t].passed += 1 }
        }
        return cells
    }

    /// The rows of marks, one string per source node.
    public func rows(_ outcomes: [Checker.Outcome]) -> [String] {
        cells(outcomes).map { String($0.map(\.mark)) }
    }

    /// The failures listed in the text (the JSON lists all).
    static let listedFailures = 100

    /// The matrix with numbered columns, the failures (`FAIL a -> b 10.0.0.2: no reply …`), and
    /// `lab: all pairs: 6/6 reachable across 4 nodes, 0% dropped, in 0.004 s`.
    public func text(_ outcomes: [Checker.Outcome], seconds: Double, topology: String) -> String {
        let width = String(nodes.count).count
        let nameWidth = min(24, nodes.map(\.count).max() ?? 0)
        func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
            let s = s.count > w ? String(s.prefix(w - 1)) + "…" : s
            let fill = String(repeating: " ", count: w - s.count)
            return right ? fill + s : s + fill
        }
        let prefix = String(repeating: " ", count: width + 1 + nameWidth + 1)
        var out = ["rows: from, columns: to (numbered as the rows); . every address answered, x some, X none"]
        for d in (0..<width).reversed() {
            var line = prefix
            for k in 1...max(1, nodes.count) {
                var p = 1
                for _ in 0..<d { p *= 10 }
                line.append(k >= p ? Character(String(k / p % 10)) : " ")
            }
            out.append(line)
        }
        for (k, row) in rows(outcomes).enumerated() {
            out.append(pad(String(k + 1), width, right: true) + " " + pad(nodes[k], nameWidth) + " " + row)
        }
        let failed = outcomes.filter { !$0.ok }
        if !failed.isEmpty {
            out.append("failures:")
            for o in failed.prefix(Self.listedFailures) {
                let to = owner[o.claim.to].map { nodes[$0] } ?? "?"
                out.append("  FAIL \(o.claim.from) -> \(to) \(o.claim.to): \(o.error ?? "failed")")
            }
            if failed.count > Self.listedFailures { out.append("  … and \(failed.count - Self.listedFailures) more (--json lists all)") }
        }
        out.append("\(topology): " + summary(outcomes, seconds: seconds))
        return out.joined(separator: "\n")
    }

    func summary(_ outcomes: [Checker.Outcome], seconds: Double) -> String {
        let failed = outcomes.filter { !$0.ok }.count
        let dropped = outcomes.isEmpty ? 0 : 100 * Double(failed) / Double(outcomes.count)
        return "all pairs: \(outcomes.count - failed)/\(outcomes.count) reachable across \(nodes.count) nodes, "
            + "\(FixedPoint.trimmed(dropped, places: 2))% dropped, in \(FixedPoint.text(seconds, places: 3)) s"
    }

    /// `{"nodes": [...], "matrix": ["-..", ...], "claims": N, "failed": N, "dropped_percent": P,
    /// "failures": [{"from", "to_node", "to", "error"}]}`.
    public func jsonValue(_ outcomes: [Checker.Outcome]) -> JSON {
        let failed = outcomes.filter { !$0.ok }
        let failures = failed.map { o -> JSON in
            ["from": .string(o.claim.from), "to_node": owner[o.claim.to].map { .string(nodes[$0]) } ?? .null,
             "to": .string(o.claim.to.description), "error": .string(o.error ?? "failed")]
        }
        return ["nodes": .array(nodes.map { .string($0) }), "matrix": .array(rows(outcomes).map { .string($0) }),
                "claims": JSON(outcomes.count), "failed": JSON(failed.count),
                "dropped_percent": .double(outcomes.isEmpty ? 0 : (10_000 * Double(failed.count) / Double(outcomes.count)).rounded() / 100),
                "failures": .array(failures)]
    }
}
