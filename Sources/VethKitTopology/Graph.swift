import VethKit

/// `graph`: a picture of a topology from its file (nodes, bridges, links with interface names
/// and addresses). DOT and Mermaid are text; SVG is DOT rendered by Graphviz's `dot`.
public enum GraphFormat: String, CaseIterable, Sendable {
    case dot, mermaid, svg
}

extension Topology {
    /// The picture as text (DOT, Mermaid or SVG).
    public func graph(format: GraphFormat) throws -> String {
        switch format {
        case .dot: return dot()
        case .mermaid: return mermaid()
        case .svg: return try Self.renderSVG(dot())
        }
    }

    func endpointLabel(_ e: Endpoint) -> String {
        ([e.name] + e.addresses.map(\.description)).joined(separator: "\\n")
    }

    public func dot() -> String {
        func q(_ s: String) -> String { "\"" + Self.replacing("\"", in: s, with: "\\\"") + "\"" }
        var out = ["graph \(q(name)) {", "  graph [rankdir=LR, fontname=\"Helvetica\", label=\(q("topology \(name)")), labelloc=t];",
                   "  node [fontname=\"Helvetica\"]; edge [fontname=\"Helvetica\", fontsize=9];"]
        for n in nodes {
            let label = n.isHost ? "host" : "\(n.name)\\n(\(namespaceName(of: n.name)!))"
            var extra = n.kindLinks.map(\.graphLabel)
            extra += n.routes.map { "\($0)" }
            extra += n.masquerade.map { "masquerade \($0)" }
            let full = ([label] + extra).joined(separator: "\\n")
            out.append("  \(q(n.name)) [shape=box, style=\"rounded,filled\", fillcolor=\(n.isHost ? "\"#f0e6c8\"" : "\"#dbe9f6\""), label=\(q(full))];")
            for b in n.bridges {
                let id = "\(n.name)/\(b.name)"
                out.append("  \(q(id)) [shape=octagon, style=filled, fillcolor=\"#e3f1dc\", label=\(q(([b.name] + b.addresses.map(\.description)).joined(separator: "\\n")))];")
                out.append("  \(q(n.name)) -- \(q(id)) [style=dotted];")
            }
        }
        for l in links {
            func vertex(_ e: Endpoint) -> String { e.master.map { "\(e.node)/\($0)" } ?? e.node }
            var attrs = "taillabel=\(q(endpointLabel(l.a))), headlabel=\(q(endpointLabel(l.b)))"
            if let mtu = l.mtu { attrs += ", label=\(q("mtu \(mtu)"))" }
            out.append("  \(q(vertex(l.a))) -- \(q(vertex(l.b))) [\(attrs)];")
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
