import VethKit

/// `graph`: a picture of a topology from its file (nodes, bridges, links with interface names
/// and addresses). DOT and Mermaid are text; SVG and PNG are DOT rendered by Graphviz's `dot`.
public enum GraphFormat: String, CaseIterable, Sendable {
    case dot, mermaid, svg, png

    /// True for the formats that are text (all but PNG).
    public var isText: Bool { self != .png }
}

extension Topology {
    /// The picture as text (DOT, Mermaid or SVG). PNG is binary: ``graphBytes(format:)``.
    public func graph(format: GraphFormat) throws -> String {
        switch format {
        case .dot: return dot()
        case .mermaid: return mermaid()
        case .svg: return try Self.renderSVG(dot())
        case .png: throw InvalidInput("graph format", "png", "is binary: use graphBytes(format:)")
        }
    }

    /// The picture's bytes in any format (PNG through `dot -Tpng`; throws ``GraphvizMissing``
    /// naming the package when `dot` is not installed).
    public func graphBytes(format: GraphFormat) throws -> [UInt8] {
        format == .png ? try Self.render(dot(), format: "png") : Array(try graph(format: format).utf8)
    }

    /// An end's label: its interface name (unless `named` is false) and its addresses, one a line.
    func endpointLabel(_ e: Endpoint, named: Bool = true) -> String {
        ((named ? [e.name] : []) + e.addresses.map(\.description)).joined(separator: "\\n")
    }

    /// A link's end.
    enum Side { case a, b }

    /// `s` as text of a Graphviz record field (`{ } | < >`, `\\` and spaces escaped).
    static func recordEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            if "{}|<>\\ ".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// DOT: each node's namespace a cluster (`subgraph "cluster_<node>"`, labelled with the
    /// namespace; the host's too) holding the node (its routes, kind links, masquerade) and its
    /// bridges. A link's ends carry their interface name and addresses as the edge's
    /// `taillabel`/`headlabel`, kept clear of the nodes' text: ranks are far apart, each end label
    /// sits `labeldistance` away at `labelangle` (the two ends on opposite sides of the edge), a
    /// node's only end on a side leaves from that side, and a bridge is a record with a cell per
    /// port (named there), as tall as its ports need, so that the edges to it arrive apart.
    public func dot() -> String {
        func q(_ s: String) -> String { "\"" + Self.replacing("\"", in: s, with: "\\\"") + "\"" }
        var out = ["graph \(q(name)) {",
                   "  graph [rankdir=LR, fontname=\"Helvetica\", label=\(q("topology \(name)")), labelloc=t, ranksep=3, nodesep=0.5, forcelabels=true];",
                   "  node [fontname=\"Helvetica\", margin=\"0.15,0.08\"];",
                   "  edge [fontname=\"Helvetica\", fontsize=9, labeldistance=7, labelangle=25, labelfontsize=9];"]
        // Link ends per vertex and side (rankdir LR: a link's first end is its tail, drawn on the
        // left): a vertex with several ends on one side is drawn as tall as they need (a bridge
        // 1.4 in each, as a namespace cluster and its gap, a node 0.9 in; at most 100 ends'
        // worth), so their edges arrive apart.
        func vertex(_ e: Endpoint) -> String { e.master.map { "\(e.node)/\($0)" } ?? e.node }
        var tails: [String: Int] = [:], heads: [String: Int] = [:]
        for l in links {
            tails[vertex(l.a), default: 0] += 1
            heads[vertex(l.b), default: 0] += 1
        }
        /// The record port of link `k`'s end `side` on a bridge.
        func port(_ k: Int, _ side: Side) -> String { "p\(k)\(side == .a ? "a" : "b")" }
        func height(_ v: String, tenthsPerEnd: Int = 14) -> String {
            let tenths = min(max(1, tails[v] ?? 0, heads[v] ?? 0), 100) * tenthsPerEnd
            return "\(tenths / 10).\(tenths % 10)"
        }
        for n in nodes {
            var lines = [n.isHost ? "host" : n.name]
            lines += n.kindLinks.map(\.graphLabel)
            lines += n.routes.map { "\($0)" }
            lines += n.masquerade.map { "masquerade \($0)" }
            let indent = "    "
            let title = n.isHost ? "host: the namespace vethctl runs in" : "namespace \(namespaceName(of: n.name)!)"
            out.append("  subgraph \(q("cluster_\(n.name)")) {")
            out.append("    graph [label=\(q(title)), style=\"rounded,dashed\", color=\"#7a8ca3\", fontsize=10, margin=14];")
            let tall = max(tails[n.name] ?? 0, heads[n.name] ?? 0) > 1 ? ", height=\(height(n.name, tenthsPerEnd: 9))" : ""
            out.append("\(indent)\(q(n.name)) [shape=box, style=\"rounded,filled\", fillcolor=\(n.isHost ? "\"#f0e6c8\"" : "\"#dbe9f6\"")\(tall), label=\(q(lines.joined(separator: "\\n")))];")
            for b in n.bridges {
                let id = "\(n.name)/\(b.name)"
                // A record: its ports' cells (the links drawn from its left, then its name and
                // addresses, then those drawn to its right), each link ending at its own cell.
                let left = links.indices.filter { vertex(links[$0].b) == id }.map { "<\(port($0, .b))> " + Self.recordEscaped(links[$0].b.name) }
                let right = links.indices.filter { vertex(links[$0].a) == id }.map { "<\(port($0, .a))> " + Self.recordEscaped(links[$0].a.name) }
                let middle = ([b.name] + b.addresses.map(\.description)).map(Self.recordEscaped).joined(separator: "\\n")
                let fields = (left.isEmpty ? [] : ["{" + left.joined(separator: "|") + "}"]) + [middle] + (right.isEmpty ? [] : ["{" + right.joined(separator: "|") + "}"])
                out.append("\(indent)\(q(id)) [shape=record, style=\"filled,bold\", fillcolor=\"#e3f1dc\", height=\(height(id)), label=\(q("{" + fields.joined(separator: "|") + "}"))];")
            }
            out.append("  }")
        }
        for (k, l) in links.enumerated() {
            var attrs: [String] = []
            // A bridge port's name is its cell; its label holds its addresses, if it has any.
            if l.a.master == nil || !l.a.addresses.isEmpty { attrs.append("taillabel=\(q(endpointLabel(l.a, named: l.a.master == nil)))") }
            if l.b.master == nil || !l.b.addresses.isEmpty { attrs.append("headlabel=\(q(endpointLabel(l.b, named: l.b.master == nil)))") }
            // A node's only end on a side leaves from that side (the tail's east, the head's west),
            // so its label lies beside the edge, not under the box; several ends on one side keep
            // the whole (tall) outline, so that they arrive apart; a bridge's end is its cell.
            if l.a.master != nil { attrs.append("tailport=\"\(port(k, .a)):e\"") } else if tails[l.a.node] == 1 { attrs.append("tailport=e") }
            if l.b.master != nil { attrs.append("headport=\"\(port(k, .b)):w\"") } else if heads[l.b.node] == 1 { attrs.append("headport=w") }
            if let mtu = l.mtu { attrs.append("label=\(q("mtu \(mtu)"))") }
            out.append("  \(q(vertex(l.a))) -- \(q(vertex(l.b))) [\(attrs.joined(separator: ", "))];")
        }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    public func mermaid() -> String {
        func id(_ s: String) -> String {
            "n_" + String(s.unicodeScalars.map { isAlphanumeric($0) ? Character($0) : "_" })
        }
        func text(_ s: String) -> String { Self.replacing("\"", in: s, with: "#quot;") }
        var out = ["graph LR"]
        for n in nodes {
            let label = ([n.isHost ? "host" : "\(n.name)<br/>(\(namespaceName(of: n.name)!))"] + n.kindLinks.map(\.graphLabel)).joined(separator: "<br/>")
            out.append("  \(id(n.name))[\"\(text(label))\"]")
            for b in n.bridges {
                let bid = id("\(n.name)/\(b.name)")
                out.append("  \(bid){{\"\(text(([b.name] + b.addresses.map(\.description)).joined(separator: "<br/>")))\"}}")
                out.append("  \(id(n.name)) -.- \(bid)")
            }
        }
        for l in links {
            func vertex(_ e: Endpoint) -> String { id(e.master.map { "\(e.node)/\($0)" } ?? e.node) }
            func side(_ e: Endpoint) -> String { ([e.name] + e.addresses.map(\.description)).joined(separator: " ") }
            out.append("  \(vertex(l.a)) ---|\"\(text(side(l.a))) — \(text(side(l.b)))\"| \(vertex(l.b))")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// `s` with every `target` scalar replaced (by scalar, not by Character: a quote followed by a
    /// combining mark is still a quote to Graphviz and Mermaid).
    static func replacing(_ target: Unicode.Scalar, in s: String, with replacement: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if u == target { out.append(contentsOf: replacement.unicodeScalars) } else { out.append(u) }
        }
        return String(out)
    }

    /// Letters, marks and digits of any script (what Foundation's `CharacterSet.alphanumerics` holds).
    func isAlphanumeric(_ u: Unicode.Scalar) -> Bool {
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}
