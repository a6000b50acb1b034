import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

final class GraphTests: XCTestCase {
    /// With Graphviz: real SVG (skipped, with the reason, when `dot` is not installed).
    func testSVGThroughGraphviz() throws {
        try requireComponent("/usr/bin/dot", package: "graphviz")
        let t = try Topology.load(repoRoot + "/examples/routers.yaml")
        let svg = try t.graph(format: .svg)
        XCTAssertTrue(svg.contains("<svg"), String(svg.prefix(200)))
        XCTAssertTrue(svg.contains("r1"), "the SVG names node r1")
    }

    func testDotAndMermaid() throws {
        let t = try Topology.load(repoRoot + "/examples/seed.yaml")
        let dot = try t.graph(format: .dot)
        XCTAssertTrue(dot.hasPrefix("graph \"seed\" {"), dot)
        // The bridge's end is its port's cell (named there: no head label without addresses).
        XCTAssertTrue(dot.contains("\"t1\" -- \"host/br0\" [taillabel=\"veth2\\n192.168.1.200/24\", tailport=e, headport=\"p0b:w\", label=\"mtu 1500\"];"), dot)
        XCTAssertTrue(dot.contains("\"host/br0\" [shape=record, style=\"filled,bold\", fillcolor=\"#e3f1dc\", height=1.4, label=\"{{<p0b> veth1}|br0\\n192.168.1.1/24}\"];"), dot)
        XCTAssertTrue(dot.contains("default via 192.168.1.1"), dot)
        let m = try t.graph(format: .mermaid)
        XCTAssertTrue(m.hasPrefix("graph LR\n"), m)
        XCTAssertTrue(m.contains("n_t1 ---|\"veth2 192.168.1.200/24 — veth1\"| n_host_br0"), m)
    }

    /// Without Graphviz: a clear message (runs everywhere, `dot` hidden through PATH).
    func testSVGWithoutGraphvizIsAClearMessage() throws {
        let t = try Topology.load(repoRoot + "/examples/routers.yaml")
        let saved = ProcessInfo.processInfo.environment["PATH"]
        setenv("PATH", "/nonexistent", 1)
        defer { if let saved { setenv("PATH", saved, 1) } }
        XCTAssertThrowsError(try t.graph(format: .svg)) { e in
            XCTAssertTrue("\(e)".contains("needs Graphviz's `dot`"), "\(e)")
        }
    }

    /// A directory holding a fake `dot` (a shell script), put first on PATH for the test.
    func fakeDot(_ script: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vethkit-fakedot-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try ("#!/bin/sh\n" + script + "\n").write(toFile: dir + "/dot", atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(dir + "/dot", 0o755), 0)
        let saved = ProcessInfo.processInfo.environment["PATH"]
        setenv("PATH", dir + ":" + (saved ?? "/usr/bin:/bin"), 1)
        addTeardownBlock {
            if let saved { setenv("PATH", saved, 1) }
            try? FileManager.default.removeItem(atPath: dir)
        }
        return dir
    }

    /// No zombie is left: every child of this process is reaped (waitpid finds none).
    func assertNoChildLeft(file: StaticString = #filePath, line: UInt = #line) {
        var status: Int32 = 0
        XCTAssertEqual(waitpid(-1, &status, WNOHANG), -1, "a child was left unreaped", file: file, line: line)
        XCTAssertEqual(errno, ECHILD, file: file, line: line)
    }

    /// dot's standard input is the DOT text, its standard output the result.
    func testSVGIsDotsOutputForTheDotText() throws {
        _ = try fakeDot("cat; echo '<!-- the end -->'")
        let t = try Topology.load(repoRoot + "/examples/seed.yaml")
        XCTAssertEqual(try t.graph(format: .svg), t.dot() + "<!-- the end -->\n")
        assertNoChildLeft()
    }

    /// A failing dot: its exit status and its standard error, in one error.
    func testDotFailureReportsItsStandardError() throws {
        _ = try fakeDot("cat >/dev/null; echo 'Error: <stdin>: syntax error in line 3' >&2; exit 3")
        let t = try Topology.load(repoRoot + "/examples/seed.yaml")
        XCTAssertThrowsError(try t.graph(format: .svg)) { e in
            XCTAssertEqual("\(e)", "dot -Tsvg failed (exit 3): Error: <stdin>: syntax error in line 3\n")
        }
        assertNoChildLeft()
    }

    func testDotKilledByASignalIsReported() throws {
        _ = try fakeDot("kill -SEGV $$")
        XCTAssertThrowsError(try Topology.renderSVG("graph x {}")) { e in
            XCTAssertEqual("\(e)", "dot -Tsvg failed (exit -1): killed by signal 11")
        }
        assertNoChildLeft()
    }

    /// A dot that never ends is killed at the deadline and reaped.
    func testHungDotIsKilledAtTheDeadline() throws {
        _ = try fakeDot("exec sleep 30")
        let t0 = monotonicSeconds()
        XCTAssertThrowsError(try Topology.renderSVG("graph x {}", deadline: 0.5)) { e in
            XCTAssertEqual("\(e)", "dot -Tsvg failed (exit -1): did not finish within 0.5 s (killed)")
        }
        XCTAssertLessThan(monotonicSeconds() - t0, 5)
        assertNoChildLeft()
    }

    func testDefaultCheckClaimsAreLinear() throws {
        let star = try Topology.parse(TopologyGenerator.star(200))
        // Per leaf: host -> leaf (link), leaf -> bridge (port), leaf's route via = the bridge (same claim).
        XCTAssertEqual(Checker.claims(star).count, 400)
        let seed = try Topology.load(repoRoot + "/examples/seed.yaml")
        XCTAssertEqual(Checker.claims(seed).map { "\($0.from)>\($0.to)" }, ["host>192.168.1.200", "t1>192.168.1.1"])
        // A bridge without an address: each port checks one neighbour.
        let sw = try Topology.parse("""
        name: sw
        nodes:
          s: {bridges: {br0: {}}}
          a: {}
          b: {}
          c: {}
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.0.0.1/24]}, {node: s, name: pa, master: br0}]
          - endpoints: [{node: b, name: eth0, addresses: [10.0.0.2/24]}, {node: s, name: pb, master: br0}]
          - endpoints: [{node: c, name: eth0, addresses: [10.0.0.3/24]}, {node: s, name: pc, master: br0}]
        """)
        XCTAssertEqual(Checker.claims(sw).map { "\($0.from)>\($0.to)" }, ["a>10.0.0.2", "b>10.0.0.3", "c>10.0.0.1"])
    }
}
