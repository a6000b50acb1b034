import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// `graph`'s pictures as Graphviz lays them out: DOT that `dot -Tsvg` takes without a word, one
/// cluster per node's namespace, every address at its link's end (taillabel/headlabel), no end
/// label over a node or another label (measured in `dot -Tjson`'s layout), and PNG bytes.
final class GraphLayoutTests: XCTestCase {
    /// examples/routers.yaml, `gen star 8` and a three-namespace lab (a bridge in a namespace, a
    /// node with two links on one side, a cycle, an MTU label).
    func topologies() throws -> [Topology] {
        [try Topology.load(repoRoot + "/examples/routers.yaml"),
         try Topology.parse(TopologyGenerator.star(8), file: "star8.yaml"),
         try Topology.parse("""
         name: lab3
         nodes:
           a:
             routes: [{to: 10.159.23.0/24, via: 10.159.12.2}]
           b:
             bridges:
               br0: {addresses: [10.159.30.1/24]}
           c:
             routes: [{to: default, via: 10.159.30.1}]
         links:
           - endpoints: [{node: a, name: eth0, addresses: [10.159.12.1/24, "fd59:12::1/64"]}, {node: b, name: eth0, addresses: [10.159.12.2/24, "fd59:12::2/64"]}]
           - endpoints: [{node: b, name: p1, master: br0}, {node: c, name: eth0, addresses: [10.159.30.2/24]}]
           - endpoints: [{node: a, name: eth1, addresses: [10.159.13.1/30]}, {node: c, name: eth1, addresses: [10.159.13.2/30]}]
             mtu: 9000
         """, file: "lab3.yaml")]
    }

    func dot(_ format: String, _ text: String) throws -> ProcessResult {
        try runProcess("/usr/bin/dot", ["-T\(format)"], input: text)
    }

    func count(_ needle: String, in s: String) -> Int { s.components(separatedBy: needle).count - 1 }

    func testDotParsesWithOneClusterPerNamespace() throws {
        try requireComponent("/usr/bin/dot", package: "graphviz")
        for t in try topologies() {
            let text = t.dot()
            let svg = try dot("svg", text)
            XCTAssertEqual(svg.status, 0, "\(t.name): \(svg.stderr)")
            XCTAssertEqual(svg.stderr, "", "\(t.name): dot warned")
            XCTAssertTrue(svg.stdout.contains("<svg"), t.name)
            XCTAssertEqual(count("subgraph \"cluster_", in: text), t.nodes.count, "\(t.name): \(text)")
            XCTAssertEqual(count("<g id=\"clust", in: svg.stdout), t.nodes.count, "\(t.name): clusters Graphviz drew")
            for n in t.nodes {
                XCTAssertTrue(svg.stdout.contains("<title>cluster_\(n.name)</title>"), "\(t.name): no cluster for \(n.name)")
                // (SVG writes '-' as &#45;.)
                if let ns = t.namespaceName(of: n.name) {
                    XCTAssertTrue(svg.stdout.contains(">namespace \(ns.replacingOccurrences(of: "-", with: "&#45;"))</text>"), "\(t.name): \(ns)")
                }
            }
        }
    }

    /// Each end's addresses are its label (tail for the first endpoint, head for the second); a
    /// bridge port's name is its cell of the bridge's record.
    func testAddressesAreOnTheEdgeEnds() throws {
        for t in try topologies() {
            let lines = t.dot().split(separator: "\n").map(String.init)
            for l in t.links {
                func vertex(_ e: Topology.Endpoint) -> String { e.master.map { "\(e.node)/\($0)" } ?? e.node }
                let line = try XCTUnwrap(lines.first { $0.hasPrefix("  \"\(vertex(l.a))\" -- \"\(vertex(l.b))\" [") }, "\(t.name): \(l.a.node) -- \(l.b.node)")
                for (e, key) in [(l.a, "taillabel"), (l.b, "headlabel")] {
                    let label = ((e.master == nil ? [e.name] : []) + e.addresses.map(\.description)).joined(separator: "\\n")
                    if label.isEmpty {
                        XCTAssertFalse(line.contains(key), line)
                        XCTAssertTrue(lines.contains { $0.contains("> \(e.name)") && $0.contains("[shape=record") }, "\(t.name): port \(e.name)")
                    } else {
                        XCTAssertTrue(line.contains("\(key)=\"\(label)\""), "\(t.name): \(key) of \(e.node)/\(e.name): \(line)")
                    }
                }
            }
        }
    }

    /// A text line of a label in the layout: its box in points.
    struct Box { var x0, y0, x1, y1: Double; var what: String
        func meets(_ o: Box) -> Bool { x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1 }
    }

    /// Every edge label line (tail, head, middle) and cluster title in `dot -Tjson`'s layout.
    func labelBoxes(_ json: [String: Any]) -> [[Box]] {
        func texts(_ ops: Any?, _ what: String) -> [Box] {
            var size = 14.0, out: [Box] = []
            for op in ops as? [[String: Any]] ?? [] {
                if op["op"] as? String == "F" { size = (op["size"] as? NSNumber)?.doubleValue ?? size }
                guard op["op"] as? String == "T", let pt = op["pt"] as? [NSNumber], let w = (op["width"] as? NSNumber)?.doubleValue else { continue }
                let (x, y) = (pt[0].doubleValue, pt[1].doubleValue)
                out.append(Box(x0: x - w / 2, y0: y - size * 0.25, x1: x + w / 2, y1: y + size * 0.75, what: "\(what) \"\(op["text"] ?? "")\""))
            }
            return out
        }
        let objects = json["objects"] as? [[String: Any]] ?? []
        var out: [[Box]] = []
        for e in json["edges"] as? [[String: Any]] ?? [] {
            let name = "\(objects[(e["tail"] as? Int) ?? 0]["name"] ?? "?")--\(objects[(e["head"] as? Int) ?? 0]["name"] ?? "?")"
            for (key, what) in [("_tldraw_", "tail"), ("_hldraw_", "head"), ("_ldraw_", "label")] {
                let b = texts(e[key], "\(what) of \(name)")
                if !b.isEmpty { out.append(b) }
            }
        }
        for o in objects where o["nodes"] != nil {
            let b = texts(o["_ldraw_"], "title of \(o["name"] ?? "?")")
            if !b.isEmpty { out.append(b) }
        }
        return out
    }

    /// Every node's outline (its text is inside it).
    func nodeBoxes(_ json: [String: Any]) -> [Box] {
        (json["objects"] as? [[String: Any]] ?? []).compactMap { o in
            guard o["nodes"] == nil, let pos = (o["pos"] as? String)?.split(separator: ",").compactMap({ Double($0) }), pos.count == 2,
                  let w = (o["width"] as? String).flatMap(Double.init), let h = (o["height"] as? String).flatMap(Double.init) else { return nil }
            return Box(x0: pos[0] - w * 36, y0: pos[1] - h * 36, x1: pos[0] + w * 36, y1: pos[1] + h * 36, what: "node \(o["name"] ?? "?")")
        }
    }

    func testLabelsNeverOverlapNodesOrEachOther() throws {
        try requireComponent("/usr/bin/dot", package: "graphviz")
        for t in try topologies() {
            let r = try dot("json", t.dot())
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let labels = labelBoxes(json), nodes = nodeBoxes(json)
            XCTAssertEqual(nodes.count, t.nodes.count + t.nodes.reduce(0) { $0 + $1.bridges.count }, t.name)
            XCTAssertGreaterThanOrEqual(labels.filter { $0.first?.what.hasPrefix("tail") == true || $0.first?.what.hasPrefix("head") == true }.count,
                                        t.links.count, "\(t.name): end labels")
            var overlaps: [String] = []
            for (i, label) in labels.enumerated() {
                for line in label {
                    for n in nodes where line.meets(n) { overlaps.append("\(line.what) over \(n.what)") }
                    for other in labels[(i + 1)...] { for o in other where line.meets(o) { overlaps.append("\(line.what) over \(o.what)") } }
                }
            }
            XCTAssertEqual(overlaps, [], t.name)
        }
    }

    func testPNGIsGraphvizsPNG() throws {
        try requireComponent("/usr/bin/dot", package: "graphviz")
        for t in try topologies() {
            let png = try t.graphBytes(format: .png)
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], t.name)
            XCTAssertGreaterThan(png.count, 1000, t.name)
        }
        XCTAssertThrowsError(try topologies()[0].graph(format: .png), "PNG is not text")
    }

    /// Without Graphviz, PNG is one clear message naming the package.
    func testPNGWithoutGraphvizNamesThePackage() throws {
        let saved = ProcessInfo.processInfo.environment["PATH"]
        setenv("PATH", "/nonexistent", 1)
        defer { if let saved { setenv("PATH", saved, 1) } }
        XCTAssertThrowsError(try topologies()[0].graphBytes(format: .png)) { e in
            XCTAssertEqual("\(e)", "graph --format png needs Graphviz's `dot` program, which is not on PATH (Debian/Ubuntu: apt-get install graphviz); --format dot and --format mermaid need nothing")
        }
    }
}
