import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// `vethctl cut` / `restore` on a real kernel: with a link cut, `check` fails exactly the claims
/// whose path crosses it and passes the others; after `restore` every claim passes within 1 s,
/// with addresses, routes, bridge ports and the impairment as they were; a user's qdisc refuses
/// the cut untouched; `show`, `up` and `down` of a cut topology.
final class CutRestoreKernelTests: XCTestCase {
    /// r1 holds a bridge with h1 and h2 on it (h1's link impaired) and routes to h3.
    static let yaml = """
        name: cutlab
        nodes:
          r1:
            bridges: {br0: {addresses: [10.85.1.1/24]}}
            sysctls: {net.ipv4.ip_forward: "1"}
          h1:
            routes: [{to: default, via: 10.85.1.1}]
          h2:
            routes: [{to: default, via: 10.85.1.1}]
          h3:
            routes: [{to: default, via: 10.85.3.1}]
        links:
          - endpoints: [{node: h1, name: eth0, addresses: [10.85.1.11/24]}, {node: r1, name: eth1, master: br0}]
            impair: {rate: 100mbit}
          - endpoints: [{node: h2, name: eth0, addresses: [10.85.1.12/24]}, {node: r1, name: eth2, master: br0}]
          - endpoints: [{node: h3, name: eth0, addresses: [10.85.3.2/24]}, {node: r1, name: eth3, addresses: [10.85.3.1/24]}]
        checks:
          - {from: h1, to: 10.85.3.2}
          - {from: h3, to: 10.85.1.11}
          - {from: h2, to: 10.85.3.2}
          - {from: h3, to: 10.85.1.12}
        """

    override func setUpWithError() throws {
        try requireKernel()
        addTeardownBlock { _ = try? Applier.down(name: "cutlab") }
    }

    /// Everything of a node that a cut must not lose: addresses, routes, links (bridge ports included), as ip prints them.
    func nodeState(_ ns: String) throws -> String {
        let addrs = try runProcess("/usr/sbin/ip", ["-n", ns, "-4", "-o", "addr", "show"]).stdout
        let routes = try runProcess("/usr/sbin/ip", ["-n", ns, "-4", "route", "show", "table", "all"]).stdout
        let links = try ipJSON("-n", ns, "-d", "link", "show").map { l -> String in
            let slave = ((l["linkinfo"] as? [String: Any])?["info_slave_data"] as? [String: Any])?["state"] as? String
            return "\(l["ifname"] ?? "?") \(l["ifindex"] ?? "?") \(l["operstate"] ?? "?") \(l["master"] ?? "-") \(slave ?? "-")"
        }
        return addrs + routes + links.joined(separator: "\n")
    }

    /// Claims whose path crosses the link h1/eth0 <-> r1/eth1: from h1, or to h1's address.
    func crossesH1(_ c: Checker.Claim) -> Bool { c.from == "h1" || c.to.description == "10.85.1.11" }

    func testCheckFailsExactlyThePathsThroughACutAndRestoreBringsEverythingBackWithin1s() throws {
        let t = try Topology.parse(Self.yaml)
        _ = try Applier.up(t)
        let ok = try Checker.run(t)
        XCTAssertTrue(ok.passed, ok.table)
        XCTAssertGreaterThan(ok.outcomes.filter { crossesH1($0.claim) }.count, 1)
        XCTAssertGreaterThan(ok.outcomes.filter { !crossesH1($0.claim) }.count, 3)
        let nodes = ["cutlab-h1", "cutlab-h2", "cutlab-h3", "cutlab-r1"]
        let before = try nodes.map(nodeState)
        let impairedBefore = try XCTUnwrap(try tcRoot("cutlab-h1", "eth0"))

        XCTAssertEqual(try Applier.list().first { $0.name == "cutlab" }.map { "\($0.impaired) \($0.cut)" }, "2 0")
        let r = try TopologyCut.cut(topology: "cutlab", node: "r1", interface: "eth1")
        XCTAssertEqual(try Applier.list().first { $0.name == "cutlab" }.map { "\($0.impaired) \($0.cut)" }, "0 2", "list counts cut ends")
        XCTAssertEqual(r.links, ["r1/eth1 <-> h1/eth0"])
        XCTAssertEqual(r.changed, 2)
        for (ns, dev) in [("cutlab-h1", "eth0"), ("cutlab-r1", "eth1")] {
            let q = try XCTUnwrap(try tcRoot(ns, dev))
            // The blackhole: a tbf whose queue holds 0 bytes, under VethKit's handle.
            XCTAssertEqual(q["kind"] as? String, "tbf", "\(q)")
            XCTAssertEqual(q["handle"] as? String, "564b:", "\(q)")
            XCTAssertEqual((q["options"] as? [String: Any])?["limit"] as? Int, 0, "\(q)")
        }
        let live = try LiveReader.read(t)
        XCTAssertEqual(live.nodes["h1"]?.interface("eth0")?.egress, .cut)
        XCTAssertEqual(live.nodes["r1"]?.interface("eth1")?.egress, .cut)
        XCTAssertNil(live.nodes["r1"]?.interface("eth2")?.egress)
        let cutReport = try Checker.run(t)
        print(cutReport.table)
        for o in cutReport.outcomes {
            XCTAssertEqual(o.ok, !crossesH1(o.claim), "\(o.claim.from) -> \(o.claim.to) (\(o.claim.reason)):\n\(cutReport.table)")
        }
        // Nothing else of the nodes changed: addresses, routes, links and bridge ports.
        let during = try nodes.map(nodeState)
        for (k, n) in nodes.enumerated() { XCTAssertEqual(during[k], before[k], "\(n) while cut") }

        let t0 = Date()
        let back = try TopologyCut.restore(topology: "cutlab", node: "h1")
        let again = try Checker.run(t)
        let took = Date().timeIntervalSince(t0)
        print("restore + passing check: \(took) s")
        XCTAssertTrue(again.passed, again.table)
        XCTAssertLessThan(took, 1.0, "every claim passes within 1 s of restore")
        XCTAssertEqual(back.changed, 2)
        let after = try nodes.map(nodeState)
        for (k, n) in nodes.enumerated() { XCTAssertEqual(after[k], before[k], "\(n) after restore") }
        // The impairment is back as it was; the other end's default too.
        let impairedAfter = try XCTUnwrap(try tcRoot("cutlab-h1", "eth0"))
        XCTAssertEqual(impairedAfter["kind"] as? String, "tbf")
        XCTAssertEqual(impairedAfter["handle"] as? String, "564b:")
        XCTAssertEqual(NSDictionary(dictionary: impairedAfter["options"] as? [String: Any] ?? [:]),
                       NSDictionary(dictionary: impairedBefore["options"] as? [String: Any] ?? [:]))
        XCTAssertEqual(tcRate(try tcRoot("cutlab-r1", "eth1")), 12_500_000)
        XCTAssertEqual(try Applier.up(t).summary, "cutlab: no changes")
        // Restoring what is not cut changes nothing.
        XCTAssertEqual(try TopologyCut.restore(topology: "cutlab", node: "h1").changed, 0)
    }

    func testCutEveryLinkOfANodeShowUpRestoresAndDown() throws {
        let t = try Topology.parse(Self.yaml)
        _ = try Applier.up(t)
        let r = try TopologyCut.cut(topology: "cutlab", node: "r1")
        XCTAssertEqual(r.links.count, 3, "\(r.links)")
        XCTAssertEqual(r.changed, 6)
        XCTAssertEqual(try TopologyCut.cut(topology: "cutlab", node: "h2").changed, 0, "already cut")
        // show marks each end; JSON says cut.
        let s = try Shower.show(name: "cutlab")
        XCTAssertEqual(s.text.components(separatedBy: "CUT").count - 1, 6, s.text)
        XCTAssertEqual(s.json.components(separatedBy: "\"cut\":true").count - 1, 6, s.json)
        let withFile = try Shower.show(t)
        XCTAssertFalse(withFile.inSync, "a cut differs from the file")
        let report = try Checker.run(t)
        XCTAssertTrue(report.outcomes.allSatisfy { !$0.ok }, report.table)
        // up converges to the file, which has no cuts: every link is restored (docs: "Cut and restore").
        let plan = Planner.plan(t, live: try LiveReader.read(t))
        XCTAssertTrue(plan.text.contains("~ impair h1/eth0 \(try impairment(("rate", "100mbit"))) (was cut)"), plan.text)
        XCTAssertTrue(plan.text.contains("- impair r1/eth2 (was cut)"), plan.text)
        _ = try Applier.up(t)
        let after = try Checker.run(t)
        XCTAssertTrue(after.passed, after.table)
        XCTAssertEqual(try TopologyCut.restore(topology: "cutlab", node: "r1").changed, 0)
        // Cut again, then down: nothing is left, records included.
        _ = try TopologyCut.cut(topology: "cutlab", node: "h3")
        _ = try Applier.down(name: "cutlab")
        XCTAssertEqual(try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix("cutlab-") }, [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/run/vethkit/cutlab"), "records removed by down")
    }

    func testAUsersQdiscRefusesTheCutUntouchedAndBadInputIsRefused() throws {
        let t = try Topology.parse(Self.yaml)
        _ = try Applier.up(t)
        try XCTAssertEqual(runProcess("/usr/sbin/tc", ["-n", "cutlab-h3", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "tbf",
                                                      "rate", "1mbit", "burst", "10kb", "latency", "50ms"]).status, 0)
        XCTAssertThrowsError(try TopologyCut.cut(topology: "cutlab", node: "r1", interface: "eth3")) { e in
            XCTAssertTrue(e is NotOurQdisc, "\(e)")
            XCTAssertTrue("\(e)".contains("h3/eth0 (tbf 1:) is not vethkit's"), "\(e)")
        }
        XCTAssertEqual(try tcRoot("cutlab-h3", "eth0")?["handle"] as? String, "1:")
        XCTAssertNil(try tcRoot("cutlab-r1", "eth3"), "nothing was changed, the other end neither")
        // Not up, not a node, not a link of it.
        XCTAssertThrowsError(try TopologyCut.cut(topology: "nosuch", node: "h1")) { XCTAssertTrue($0 is NotUp, "\($0)") }
        XCTAssertThrowsError(try TopologyCut.cut(topology: "cutlab", node: "h9")) { e in
            XCTAssertEqual(ErrorCategory.of(e), .invalidInput)
            XCTAssertTrue("\(e)".contains("h9"), "\(e)")
        }
        XCTAssertThrowsError(try TopologyCut.cut(topology: "cutlab", node: "r1", interface: "br0")) { e in
            XCTAssertTrue("\(e)".contains("r1:br0") && "\(e)".contains("eth1"), "\(e)")
        }
        // vethctl: exit statuses and messages.
        let vethctl = productPath("vethctl")
        var p = try runProcess(vethctl, ["cut", "cutlab", "h1:eth0"])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertTrue(p.stdout.hasPrefix("cutlab: cut h1/eth0 <-> r1/eth1 in "), p.stdout)
        p = try runProcess(vethctl, ["restore", "cutlab", "h1:eth0"])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertTrue(p.stdout.hasPrefix("cutlab: restored h1/eth0 <-> r1/eth1 in "), p.stdout)
        p = try runProcess(vethctl, ["cut", "nosuch", "h1"])
        XCTAssertEqual(p.status, 1, p.stderr)
        XCTAssertTrue(p.stderr.contains("topology nosuch is not up"), p.stderr)
        p = try runProcess(vethctl, ["cut", "cutlab", "h3"])
        XCTAssertEqual(p.status, 1, p.stderr)
        XCTAssertTrue(p.stderr.contains("not vethkit's"), p.stderr)
        for bad in ["h1:a/b", "h1:", ":eth0", "h1:\u{1b}[31m", "h1:" + String(repeating: "x", count: 16), String(repeating: "n", count: 65), "Bad Name"] {
            let q = try runUnprivileged(vethctl, ["cut", "cutlab", bad])
            XCTAssertEqual(q.status, 2, "\(bad): \(q.stderr)")
            XCTAssertFalse(q.stderr.utf8.contains(0x1b), q.stderr)
        }
        let badName = try runUnprivileged(vethctl, ["cut", "Bad!", "h1"])
        XCTAssertEqual(badName.status, 2, badName.stderr)
        p = try runProcess(vethctl, ["cut", "cutlab", "h9"])
        XCTAssertEqual(p.status, 2, p.stderr)
    }

    func testACutKilledAnywhereIsRestoredWhole() throws {
        // 30 leaves on a host bridge, each leaf's end impaired: `vethctl cut kc host` (60 ends)
        // killed with SIGKILL at several moments; `restore` then brings every end back as it was.
        var y = "name: kc\nnodes:\n  host:\n    bridges: {br-kc: {addresses: [10.86.0.1/24]}}\n"
        for i in 0..<30 { y += "  l\(i): {}\n" }
        y += "links:\n"
        for i in 0..<30 {
            y += "  - endpoints: [{node: l\(i), name: eth0, addresses: [10.86.0.\(10 + i)/24], impair: {rate: \(10 + i)mbit}}, {node: host, name: kch\(i), master: br-kc}]\n"
        }
        let t = try Topology.parse(y)
        addTeardownBlock { _ = try? Applier.down(name: "kc") }
        _ = try Applier.up(t)
        func roots() throws -> [String] {
            try (0..<30).map { i in
                let leaf = try tcRoot("kc-l\(i)", "eth0"), host = try tcRoot(nil, "kch\(i)")
                return "\(leaf?["kind"] ?? "-") \(tcRate(leaf) ?? 0) \((leaf?["options"] as? [String: Any])?["limit"] ?? "-") | \(host?["kind"] ?? "-")"
            }
        }
        let before = try roots()
        // How long a whole cut takes here (a process: read the live state, then one batch per node).
        let t0 = Date()
        XCTAssertEqual(try runProcess(productPath("vethctl"), ["cut", "kc", "host"]).status, 0)
        let whole = Date().timeIntervalSince(t0)
        _ = try TopologyCut.restore(topology: "kc", node: "host")
        XCTAssertEqual(try roots(), before)
        var landed = 0
        // Kills half-way on purpose: with VETHKIT_CUT_STEP_PAUSE the cut pauses 20 ms after each
        // node's batch (31 nodes: ~0.6 s of batches after the ~0.1 s start), so kills at these
        // moments land before, during and after the batches, whatever the machine's load.
        let tries = 6
        for delayMS in [30, 150, 250, 350, 450, 2000] {
            let delay = UInt32(delayMS * 1000)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: productPath("vethctl"))
            p.arguments = ["cut", "kc", "host"]
            p.environment = ProcessInfo.processInfo.environment.merging(["VETHKIT_CUT_STEP_PAUSE": "20000"]) { $1 }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let cut = try LiveReader.read(t).nodes.values.flatMap(\.interfaces).filter { $0.egress == .cut }.count
            if p.terminationReason == .uncaughtSignal && cut > 0 && cut < 60 { landed += 1 }
            print("killed after \(delay / 1000) ms: \(cut) of 60 ends cut")
            _ = try TopologyCut.restore(topology: "kc", node: "host")
            XCTAssertEqual(try roots(), before, "after a kill at \(delay / 1000) ms and restore")
            XCTAssertEqual(try Applier.up(t).summary, "kc: no changes")
        }
        print("a whole cut: \(whole) s; kills that landed half-way through a cut: \(landed) of \(tries)")
        XCTAssertGreaterThan(landed, 0, "no kill landed half-way through a cut: the test proved nothing")
        let c = try Checker.run(t)
        XCTAssertTrue(c.passed, c.table)
    }
}
