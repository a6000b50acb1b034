import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// `check --count` measuring netem (needs sch_netem: skipped here, runs under scripts/vmtest):
/// delay 20 ms on one end is 20 ± 2 ms of extra RTT over 50 echoes; loss 10 % over 1000 echoes
/// is 6–14 %, and tc's drop counter agrees; with the same seed, the same echoes on an IPv4-only
/// link lose the same sequence numbers twice (needs TCA_NETEM_PRNG_SEED, Linux 6.6: skipped on
/// Debian's 6.1 with the library's reason; `VMTEST_KERNEL_PACKAGE=linux-image-6.12…` runs it).
/// The impairments are made with VethKit's `NetHandle.impair` on a's end, read back with `tc -s -j`.
final class CheckNetemVMTests: XCTestCase {
    var topo = ""
    var t: Topology!
    var handle: NetHandle!
    let eth0 = LinkReference.name(try! InterfaceName("eth0"))

    override func setUpWithError() throws {
        try requireQdisc("netem")
        topo = "ckn" + String(uniqueSuffix().prefix(5))
        // IPv4 only: no IPv6 link-local traffic (router solicitations, MLD reports) to draw from netem's PRNG.
        let v4only = "{net.ipv6.conf.all.disable_ipv6: \"1\", net.ipv6.conf.default.disable_ipv6: \"1\"}"
        let yaml = """
        name: \(topo)
        nodes: {a: {sysctls: \(v4only)}, b: {sysctls: \(v4only)}}
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.79.0.1/24]}, {node: b, name: eth0, addresses: [10.79.0.2/24]}]
        """
        t = try Topology.parse(yaml, file: "netem.yaml")
        addTeardownBlock { [topo] in _ = try? Applier.down(name: topo) }
        _ = try Applier.up(t)
        handle = try NetHandle(named: NamespaceName("\(topo)-a"))
        // Neighbours resolved before any qdisc exists, and pinned (permanent entries on both
        // ends), so no ARP crosses netem later.
        XCTAssertTrue(try Checker.run(t).passed)
        func mac(_ node: String) throws -> String {
            let l = try ipJSON("-n", "\(topo)-\(node)", "link", "show", "dev", "eth0")
            return try XCTUnwrap(l.first?["address"] as? String)
        }
        try ip("-n", "\(topo)-a", "neigh", "replace", "10.79.0.2", "lladdr", try mac("b"), "dev", "eth0", "nud", "permanent")
        try ip("-n", "\(topo)-b", "neigh", "replace", "10.79.0.1", "lladdr", try mac("a"), "dev", "eth0", "nud", "permanent")
    }

    func impair(_ change: (inout LinkImpairment) throws -> Void) throws {
        var i = LinkImpairment()
        try change(&i)
        try handle.impair(eth0, i)
    }

    /// tc's view of a's root qdisc.
    func netemStatistics() throws -> [String: Any] {
        let r = try runProcess("/usr/sbin/tc", ["-n", "\(topo)-a", "-s", "-j", "qdisc", "show", "dev", "eth0"])
        return try XCTUnwrap(try parseJSONArray(r.stdout).first { $0["kind"] as? String == "netem" }, r.stdout)
    }

    /// a → b only (one claim), so every echo crosses a's netem once.
    func measure(count: Int, interval: Double) throws -> Checker.Outcome {
        let claims = [Checker.Claim(from: "a", to: IPAddress("10.79.0.2")!, reason: "netem")]
        let r = try Checker.run(t, claims: claims, options: .init(count: count, interval: interval, timeout: 1))
        return try XCTUnwrap(r.outcomes.first)
    }

    func testDelayIsMeasured() throws {
        let base = try measure(count: 50, interval: 0.01)
        XCTAssertEqual(base.statistics.received, 50)
        try impair { $0.delay = try TCTime(parsing: "20ms") }
        // tc 6.1 prints it as "options": {"delay": {"delay": 0.02, "jitter": 0, …}} (seconds).
        let options = try XCTUnwrap(try netemStatistics()["options"] as? [String: Any])
        let delay = (options["delay"] as? [String: Any])?["delay"] ?? options["delay"]
        XCTAssertEqual(delay as? Double, 0.02, "tc reads the delay back: \(options)")
        let slow = try measure(count: 50, interval: 0.01)
        XCTAssertEqual(slow.statistics.received, 50, slow.statistics.summaryLine)
        let extra = Double(try XCTUnwrap(slow.statistics.average) - XCTUnwrap(base.statistics.average)) / 1000
        let extraMin = Double(try XCTUnwrap(slow.statistics.minimum) - XCTUnwrap(base.statistics.minimum)) / 1000
        print("netem delay 20ms: \(base.statistics.rttText ?? "-") -> \(slow.statistics.rttText ?? "-") ms, extra avg \(extra) ms, min \(extraMin) ms")
        // The fastest echo carries the delay and nothing else: 20 ± 2 ms. The average also carries
        // netem's late hrtimer under TCG (22.1 and 22.9 ms measured before round trips ended at the
        // kernel's receive time; 10 ms read 10.6 ms in docs/design.md): 20 ± 3 ms.
        XCTAssertEqual(extraMin, 20, accuracy: 2, "extra RTT (min) \(extraMin) ms")
        XCTAssertEqual(extra, 20, accuracy: 3, "extra RTT (avg) \(extra) ms")
    }

    func testLossIsMeasured() throws {
        try impair { $0.loss = .random(try Percentage(parsing: "10%")) }
        let o = try measure(count: 1000, interval: 0.001)
        let loss = o.statistics.lossPercent
        print("netem loss 10%: \(o.statistics.summaryLine)")
        XCTAssertEqual(o.statistics.transmitted, 1000)
        XCTAssertTrue((6...14).contains(loss), o.statistics.summaryLine)
        // tc's own counter: every lost echo request was dropped by a's netem (the replies leave
        // from b, which has no qdisc), and nothing else crossed it (neighbours pinned, no IPv6).
        XCTAssertEqual(try netemStatistics()["drops"] as? Int, 1000 - o.statistics.received)
    }

    func testSameSeedLosesTheSameSequenceNumbers() throws {
        var runs: [[Int]] = []
        for _ in 0..<2 {
            // The qdisc is re-created per run, so its PRNG starts again from the seed.
            try handle.clearImpairment(eth0)
            do {
                try impair { $0.loss = .random(try Percentage(parsing: "10%")); $0.seed = 7 }
            } catch let e as TrafficControlUnsupported {
                throw XCTSkip("\(e)")
            }
            let before = try XCTUnwrap(try netemStatistics()["packets"] as? Int)
            XCTAssertEqual(before, 0)
            runs.append(try measure(count: 300, interval: 0.001).lostSequences)
            XCTAssertEqual(try netemStatistics()["packets"] as? Int, 300 - runs.last!.count, "only the echoes crossed netem")
        }
        print("netem loss 10% seed 7: lost \(runs[0].count)/300, \(runs[0].prefix(10))…")
        XCTAssertFalse(runs[0].isEmpty)
        XCTAssertEqual(runs[0], runs[1], "the same seed, the same probes: the same losses")
    }
}
