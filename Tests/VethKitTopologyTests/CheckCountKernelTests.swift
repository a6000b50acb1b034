import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// `check --count N` and the claims' expectations on real namespaces: a — b on one veth (IPv4).
/// Counts are exact when every echo arrives (and agree with ping's own summary on the same path);
/// behind a tbf whose bucket runs dry the lost sequence numbers are exactly the tail and the
/// qdisc's drop counter (`tc -s -j`) agrees; `expect: unreachable`, `max_rtt` and `max_loss` fail
/// when they should. Only as root inside scripts/sandbox.
final class CheckCountKernelTests: XCTestCase {
    var topo = ""
    var path = ""

    func lab(checks: String = "", ipv6: Bool = false) -> String {
        let (a6, b6) = ipv6 ? (", \"fd77::1/64\"", ", \"fd77::2/64\"") : ("", "")
        return """
        name: \(topo)
        nodes:
          a: {}
          b: {}
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.77.0.1/24\(a6)]}, {node: b, name: eth0, addresses: [10.77.0.2/24\(b6)]}]
        \(checks)
        """
    }

    func up(_ yaml: String) throws -> Topology {
        path = NSTemporaryDirectory() + "\(topo).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let t = try Topology.load(path)
        _ = try Applier.up(t)
        // Neighbours resolved (and the path warm) before anything is measured: the default claims.
        var warm = t
        warm.checks = []
        XCTAssertTrue(try Checker.run(warm).passed)
        return t
    }

    override func setUpWithError() throws {
        try requireKernel()
        topo = "ckc" + String(uniqueSuffix().prefix(5))
        addTeardownBlock { [topo, path = { self.path }] in
            _ = try? Applier.down(name: topo)
            try? FileManager.default.removeItem(atPath: path())
        }
    }

    func outcome(_ r: Checker.Report, _ from: String, _ to: String, file: StaticString = #filePath, line: UInt = #line) throws -> Checker.Outcome {
        try XCTUnwrap(r.outcomes.first { $0.claim.from == from && $0.claim.to == IPAddress(to) }, "\(from) -> \(to)\n\(r.table)", file: file, line: line)
    }

    func testCountsAreExactWhenEveryEchoArrives() throws {
        try requirePing()
        let t = try up(lab(ipv6: true))
        let r = try Checker.run(t, options: .init(count: 20, interval: 0.001))
        XCTAssertTrue(r.passed, r.table)
        XCTAssertEqual(r.outcomes.count, 4, "both ends, IPv4 and IPv6")
        for o in r.outcomes {
            let s = o.statistics
            XCTAssertEqual([s.transmitted, s.received, s.duplicates], [20, 20, 0], r.table)
            XCTAssertEqual(s.lossPercent, 0)
            XCTAssertEqual(o.lostSequences, [])
            let (mn, av, mx, md) = (try XCTUnwrap(s.minimum), try XCTUnwrap(s.average), try XCTUnwrap(s.maximum), try XCTUnwrap(s.deviation))
            XCTAssertTrue(mn <= av && av <= mx && md <= mx - mn, "\(s)")
            XCTAssertGreaterThan(mn, 0)
            XCTAssertLessThan(mx, 100_000, "a veth answers within 100 ms")
            // The statistics are those of the measured times (ping's arithmetic, unit-tested).
            let micro = o.rtts.compactMap { $0 }.map(EchoStatistics.microseconds)
            XCTAssertEqual(micro.count, 20, "\(o.rtts)")
            XCTAssertEqual(s, EchoStatistics(transmitted: 20, received: 20, duplicates: 0, microseconds: micro))
        }
        XCTAssertTrue(r.table.contains("20 echoes each, 1ms apart"), r.table)
        // ping on the same path counts the same.
        let ping = try runProcess("/usr/sbin/ip", ["netns", "exec", "\(topo)-a", "/usr/bin/ping", "-n", "-q", "-c", "20", "-i", "0.002", "10.77.0.2"])
        XCTAssertTrue(ping.stdout.contains("20 packets transmitted, 20 received, 0% packet loss"), ping.stdout + ping.stderr)
        let ping6 = try runProcess("/usr/sbin/ip", ["netns", "exec", "\(topo)-b", "/usr/bin/ping", "-n", "-q", "-c", "20", "-i", "0.002", "fd77::1"])
        XCTAssertTrue(ping6.stdout.contains("20 packets transmitted, 20 received, 0% packet loss"), ping6.stdout + ping6.stderr)
        // The CLI prints the same in JSON, lost sequence numbers included.
        let bin = productPath("vethctl")
        let cli = try runProcess(bin, ["check", path, "--count", "5", "--interval", "1ms", "--json"])
        XCTAssertEqual(cli.status, 0, cli.stdout + cli.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["count"] as? Int, 5)
        XCTAssertEqual(json["interval_ms"] as? Double, 1)
        let probes = try XCTUnwrap(json["probes"] as? [[String: Any]])
        XCTAssertEqual(probes.count, 4)
        for p in probes {
            XCTAssertEqual(p["transmitted"] as? Int, 5)
            XCTAssertEqual(p["received"] as? Int, 5)
            XCTAssertEqual((p["lost"] as? [Int]), [])
            XCTAssertNotNil(p["rtt_mdev_ms"] as? Double, "\(p)")
        }
    }

    /// Two `vethctl check --count` at once from the same namespaces: each raw socket sees the
    /// other run's replies too; identifiers (random per run) and the run token keep them apart — both exact.
    func testTwoRunsAtOnceDoNotCountEachOthersReplies() throws {
        _ = try up(lab())
        let (bin, file) = (productPath("vethctl"), path)
        final class Box: @unchecked Sendable { var result: ProcessResult? }
        let boxes = [Box(), Box()]
        let group = DispatchGroup()
        for box in boxes {
            DispatchQueue.global().async(group: group) {
                box.result = try? runProcess(bin, ["check", file, "--count", "200", "--interval", "1ms", "--json"])
            }
        }
        group.wait()
        for r in boxes.map(\.result) {
            let r = try XCTUnwrap(r)
            XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            for p in try XCTUnwrap(json["probes"] as? [[String: Any]]) {
                XCTAssertEqual(p["transmitted"] as? Int, 200)
                XCTAssertEqual(p["received"] as? Int, 200, "\(p)")
                XCTAssertEqual(p["duplicates"] as? Int, 0, "another run's replies counted as duplicates: \(p)")
            }
        }
    }

    /// A tbf whose bucket holds ~24 small packets and refills at 1000 bytes/s: 100 echoes each way
    /// sent back to back, so the first ones pass and every later one is dropped.
    func testTbfDropsAreTheLostSequenceNumbers() throws {
        let t = try up(lab(checks: "checks: [{from: a, to: b, max_loss: 5%}]"))
        try runProcess("/usr/sbin/tc", ["-n", "\(topo)-a", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", "8kbit", "burst", "1600", "latency", "1ms"])
        let r = try Checker.run(t, options: .init(count: 100, interval: 0, timeout: 0.5))
        let ab = try outcome(r, "a", "10.77.0.2"), ba = try outcome(r, "b", "10.77.0.1")
        let (rab, rba) = (ab.statistics.received, ba.statistics.received)
        XCTAssertEqual(ab.statistics.transmitted, 100)
        XCTAssertEqual(ba.statistics.transmitted, 100)
        XCTAssertTrue((10...40).contains(rab + rba), "\(rab) + \(rba) passed\n\(r.table)")
        XCTAssertEqual(ab.lostSequences, Array((rab + 1)...100), "the tail is lost")
        XCTAssertEqual(ba.lostSequences, Array((rba + 1)...100), "the tail is lost")
        XCTAssertEqual(ab.statistics.lossText, EchoStatistics.g(Double(Float(Double(100 - rab)))) + "%")
        // a's requests to b and a's replies to b went through the tbf: what it dropped, plus what
        // still waits in its queue (released at 1000 B/s, after the echoes' time) and at most a
        // neighbour probe or two of its own, is what was lost.
        let q = try runProcess("/usr/sbin/tc", ["-n", "\(topo)-a", "-s", "-j", "qdisc", "show", "dev", "eth0"])
        let qd = try XCTUnwrap(try parseJSONArray(q.stdout).first { $0["kind"] as? String == "tbf" }, q.stdout)
        let (drops, queued, passed) = (try XCTUnwrap(qd["drops"] as? Int), try XCTUnwrap(qd["qlen"] as? Int), try XCTUnwrap(qd["packets"] as? Int))
        XCTAssertGreaterThan(drops, 100, q.stdout)
        XCTAssertTrue((drops...(drops + queued + 2)).contains(200 - rab - rba), "lost \(200 - rab - rba): \(q.stdout)")
        XCTAssertTrue((rab + rba...(rab + rba + 2)).contains(passed), "answered \(rab + rba): \(q.stdout)")
        // max_loss 5% fails a -> b; b -> a has no threshold: reachable with some replies.
        XCTAssertEqual(ab.error, "loss \(CheckUnits.text(fraction: Double(100 - rab) / 100)) above max_loss 5%", r.table)
        XCTAssertNil(ba.error, r.table)
        XCTAssertFalse(r.passed)
        // The table's WHY column says so (the failures are no longer listed again below it).
        XCTAssertTrue(r.table.split(separator: "\n").contains { $0.hasPrefix("a ") && $0.contains(" 10.77.0.2 ") && $0.contains(" FAIL ")
            && $0.contains("  \(ab.error ?? "?")  ") }, r.table)
    }

    func testExpectationsPassAndFail() throws {
        let t = try up(lab(checks: """
        checks:
          - {from: a, to: 10.9.9.9, expect: unreachable}
          - {from: a, to: b, expect: unreachable}
          - {from: b, to: a, max_rtt: 0.001ms}
          - {from: b, to: 10.77.0.1, max_rtt: 1s, max_loss: 0%}
        """))
        for options in [Checker.Options(), Checker.Options(count: 5, interval: 0.002, timeout: 0.3)] {
            let r = try Checker.run(t, options: options)
            XCTAssertNil(try outcome(r, "a", "10.9.9.9").error, "no route: unreachable, as expected\n\(r.table)")
            XCTAssertEqual(try outcome(r, "a", "10.77.0.2").error, "answered \(options.count ?? 1)/\(options.count ?? 1) echoes, expected unreachable", r.table)
            // The later entry for the same pair decides: max_rtt 1s, max_loss 0%.
            XCTAssertNil(try outcome(r, "b", "10.77.0.1").error, r.table)
            XCTAssertEqual(r.outcomes.count, 3, r.table)
            XCTAssertFalse(r.passed)
            XCTAssertTrue(r.table.contains("2/3 passed"), r.table)
        }
        // max_rtt alone, 1 µs: no veth answers that fast.
        var u = t
        u.checks = [Topology.Check(from: "b", to: .node("a"), maxRTT: 0.000001)]
        let r = try Checker.run(u, options: .init(count: 3, interval: 0.001))
        let ba = try outcome(r, "b", "10.77.0.1")
        XCTAssertTrue(ba.error?.hasSuffix("ms above max_rtt 1us") == true, r.table)
        // Through the CLI: exit 1, the failing rows marked.
        let cli = try runProcess(productPath("vethctl"), ["check", path])
        XCTAssertEqual(cli.status, 1, cli.stdout + cli.stderr)
        XCTAssertTrue(cli.stdout.contains("unreachable (expected)"), cli.stdout)
        XCTAssertTrue(cli.stdout.contains("answered 1/1 echoes, expected unreachable"), cli.stdout)
    }
}
