import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// `checks:` entries (to: node or address, expect, max_rtt, max_loss), their units and errors with
/// line:column, ping's statistics, the default claims with expectations, `--all`'s claims and
/// matrix, and the neighbour-table estimate. No kernel.
final class CheckParserTests: XCTestCase {
    let base = """
    name: ck
    nodes:
      h1: {routes: [{to: default, via: 10.1.0.1}]}
      h2: {}
      r: {}
    links:
      - endpoints: [{node: h1, name: eth0, addresses: [10.1.0.2/24]}, {node: r, name: e1, addresses: [10.1.0.1/24]}]
      - endpoints: [{node: h2, name: eth0, addresses: [10.2.0.2/24, "fd02::2/64"]}, {node: r, name: e2, addresses: [10.2.0.1/24]}]

    """

    func errors(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try Topology.parse(yaml, file: "t.yaml")
            XCTFail("expected schema errors", file: file, line: line)
            return []
        } catch let e as SchemaErrors {
            return e.errors.map(\.description)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
            return []
        }
    }

    func testEveryFormParses() throws {
        let t = try Topology.parse(base + """
        checks:
          - {from: h1, to: h2, expect: reachable, max_rtt: 60ms, max_loss: 5%}
          - {from: h1, to: 10.9.9.9, expect: unreachable}
          - {from: h1, to: 10.1.0.1}
          - {from: h1, to: "fd02::2", max_loss: "0.5", max_rtt: 1.5s}
        """, file: "t.yaml")
        XCTAssertEqual(t.checks, [
            Topology.Check(from: "h1", to: .node("h2"), expect: .reachable, maxRTT: 0.06, maxLoss: 0.05),
            Topology.Check(from: "h1", to: .address(IPAddress("10.9.9.9")!), expect: .unreachable),
            Topology.Check(from: "h1", to: IPAddress("10.1.0.1")!),
            Topology.Check(from: "h1", to: .address(IPAddress("fd02::2")!), maxRTT: 1.5, maxLoss: 0.005),
        ])
        // A node target is one claim per address of that node; a checks: entry for a pair a default
        // claim already has gives it its expectation instead of a second claim.
        let claims = Checker.claims(t)
        let toH2 = claims.filter { $0.from == "h1" && $0.reason.hasPrefix("checks: to h2") }
        XCTAssertEqual(toH2.map(\.to.description), ["10.2.0.2", "fd02::2"])
        XCTAssertEqual(toH2.first?.maxRTT, 0.06)
        XCTAssertEqual(toH2.first?.maxLoss, 0.05)
        let un = try XCTUnwrap(claims.first { $0.to == IPAddress("10.9.9.9") })
        XCTAssertEqual(un.expect, .unreachable)
        let merged = claims.filter { $0.from == "h1" && $0.to == IPAddress("10.1.0.1") }
        XCTAssertEqual(merged.count, 1, "\(merged)")
        XCTAssertEqual(merged.first?.reason, "link h1/eth0 -> r/e1", "no expectation: the default claim stays as it was")
        // The later entry for fd02::2 decides its thresholds.
        let v6 = try XCTUnwrap(claims.first { $0.to == IPAddress("fd02::2") })
        XCTAssertEqual(v6.reason, "checks: to h2, checks:")
        XCTAssertEqual(v6.maxLoss, 0.005)
        XCTAssertEqual(v6.maxRTT, 1.5)
        // A default claim overridden by the file.
        let over = try Topology.parse(base + "checks: [{from: h1, to: 10.1.0.1, expect: unreachable}]\n", file: "t.yaml")
        let c = try XCTUnwrap(Checker.claims(over).first { $0.from == "h1" && $0.to == IPAddress("10.1.0.1") })
        XCTAssertEqual(c.expect, .unreachable)
        XCTAssertEqual(c.reason, "link h1/eth0 -> r/e1, checks:")
    }

    func testHostileChecksAreErrorsAtTheirValue() {
        let yaml = base + """
        checks:
          - {from: h1, to: h9, expect: sometimes}
          - {from: h1, to: h2, max_rtt: 60, max_loss: 5.5.5%}
          - {from: h1, to: h2, max_rtt: -1ms, max_loss: 101%}
          - {from: h1, to: h2, max_rtt: 10mins, max_loss: nan}
          - {from: h1, to: h2, max_rtt: 0ms, max_loss: "5%%"}
          - {from: h1, to: 10.9.9.9, expect: unreachable, max_loss: 5%}
          - {from: nobody, to: 10.1.0.1, count: 3}
          - {from: h1, to: "10.1.0.1\\u001b]0;x"}
          - {from: h1, to: r, max_rtt: 99999999999999999999999999999999s}
        """
        let e = errors(yaml)
        let expected = [
            "t.yaml:10:20: invalid check target \"h9\": neither an IPv4 or IPv6 address nor a declared node",
            "t.yaml:10:32: invalid expect \"sometimes\": expected reachable or unreachable",
            "t.yaml:11:33: invalid max_rtt \"60\": expected a time above 0 with a unit, as tc writes it (60ms, 1.5s, 250us)",
            "t.yaml:11:47: invalid max_loss \"5.5.5%\": expected a percentage 0-100%, as tc writes it (5%, 0.5%)",
            "t.yaml:12:33: invalid max_rtt \"-1ms\": expected a time above 0 with a unit, as tc writes it (60ms, 1.5s, 250us)",
            "t.yaml:12:49: invalid max_loss \"101%\": expected a percentage 0-100%, as tc writes it (5%, 0.5%)",
            "t.yaml:13:33: invalid max_rtt \"10mins\": expected a time above 0 with a unit, as tc writes it (60ms, 1.5s, 250us)",
            "t.yaml:13:51: invalid max_loss \"nan\": expected a percentage 0-100%, as tc writes it (5%, 0.5%)",
            "t.yaml:14:33: invalid max_rtt \"0ms\": expected a time above 0 with a unit, as tc writes it (60ms, 1.5s, 250us)",
            "t.yaml:14:48: invalid max_loss \"5%%\": expected a percentage 0-100%, as tc writes it (5%, 0.5%)",
            "t.yaml:15:61: check: max_rtt and max_loss apply to expect: reachable only",
            "t.yaml:16:34: unknown key \"count\" in check (expected: expect, from, max_loss, max_rtt, to)",
            "t.yaml:16:12: node \"nobody\" is not declared",
            "t.yaml:17:20: invalid check target \"10.1.0.1\\x1b]0;x\": neither an IPv4 or IPv6 address nor a declared node",
            "t.yaml:18:32: invalid max_rtt \"99999999999999999999999999999999s\": expected a time above 0 with a unit, as tc writes it (60ms, 1.5s, 250us)",
        ]
        XCTAssertEqual(Set(e), Set(expected), e.joined(separator: "\n"))
        XCTAssertEqual(e.count, expected.count)
        // A node without addresses is no target.
        XCTAssertEqual(errors("name: x\nnodes: {a: {}, b: {}}\nchecks: [{from: a, to: b}]\n"),
                       ["t.yaml:3:24: node \"b\" has no addresses to probe"])
    }

    func testUnitsAsTcWritesThem() {
        XCTAssertEqual(CheckUnits.seconds("60ms"), 0.06)
        XCTAssertEqual(CheckUnits.seconds("1.5s"), 1.5)
        XCTAssertEqual(CheckUnits.seconds("250us"), 0.00025)
        XCTAssertEqual(CheckUnits.seconds("20msec"), 0.02)
        XCTAssertEqual(CheckUnits.seconds("2secs"), 2)
        XCTAssertEqual(CheckUnits.seconds("0.001ms")!, 1e-6, accuracy: 1e-15)
        XCTAssertEqual(CheckUnits.seconds("5ns")!, 5e-9, accuracy: 1e-18)
        XCTAssertEqual(CheckUnits.seconds("1e3ms"), 1, "tc's number grammar (the traffic-control library's)")
        XCTAssertEqual(CheckUnits.seconds("60MS"), 0.06)
        for bad in ["", "ms", "60", "60 ms", "-1ms", "+1ms", "0x10ms", "infs", "nans", "1.2.3ms", "1mss", "1h", ".ms", "2days", "90000s"] {
            XCTAssertNil(CheckUnits.seconds(bad), bad)
        }
        XCTAssertEqual(CheckUnits.fraction("5%"), 0.05)
        XCTAssertEqual(CheckUnits.fraction("0.5%"), 0.005)
        XCTAssertEqual(CheckUnits.fraction("100%"), 1)
        XCTAssertEqual(CheckUnits.fraction("7"), 0.07, "a bare number is a percentage, as tc reads it")
        for bad in ["", "%", "101%", "5%%", "-1%", "5 %", "1e999%", "nan"] { XCTAssertNil(CheckUnits.fraction(bad), bad) }
        XCTAssertEqual(CheckUnits.text(seconds: 0.06), "60ms")
        XCTAssertEqual(CheckUnits.text(seconds: 1.5), "1.5s")
        XCTAssertEqual(CheckUnits.text(fraction: 0.125), "12.5%")
    }

    /// ping's own arithmetic (iputils ping_common.c), done by hand for known trip times.
    func testStatisticsAreWhatPingPrints() {
        // Trip times 100, 200, 300, 401 µs: tsum 1001, tsum2 300801; avg 1001/4 = 250;
        // variance (300801 - 1002001/4) / 4 = (300801 - 250500) / 4 = 12575; llsqrt(12575) = 112.
        let s = EchoStatistics(transmitted: 5, received: 4, duplicates: 0, microseconds: [100, 200, 300, 401])
        XCTAssertEqual(s.minimum, 100)
        XCTAssertEqual(s.maximum, 401)
        XCTAssertEqual(s.average, 250)
        XCTAssertEqual(s.deviation, 112)
        XCTAssertEqual(s.rttText, "0.100/0.250/0.401/0.112")
        XCTAssertEqual(s.summaryLine, "5 packets transmitted, 4 received, 20% packet loss")
        // A real sample: 20.5, 21.0, 19.8 ms with one duplicate of 22 ms (duplicates count in ping's sums).
        let d = EchoStatistics(transmitted: 3, received: 3, duplicates: 1, microseconds: [20500, 21000, 19800, 22000])
        // tsum 83300, tsum2 = 420250000 + 441000000 + 392040000 + 484000000 = 1737290000;
        // variance (1737290000 - 83300²/4) / 4 = (1737290000 - 1734722500) / 4 = 641875; sqrt → 801.
        XCTAssertEqual(d.average, 20825)
        XCTAssertEqual(d.deviation, 801)
        XCTAssertEqual(d.rttText, "19.800/20.825/22.000/0.801")
        XCTAssertEqual(d.summaryLine, "3 packets transmitted, 3 received, +1 duplicates, 0% packet loss")
        // Past INT_MAX microseconds summed ping switches formula: Σt²/n − avg².
        let big = EchoStatistics(transmitted: 2, received: 2, duplicates: 0, microseconds: [1_500_000_000, 1_500_000_002])
        XCTAssertEqual(big.average, 1_500_000_001)
        XCTAssertEqual(big.deviation, EchoStatistics.integerSquareRoot((1_500_000_000 * 1_500_000_000 + 1_500_000_002 * 1_500_000_002) / 2 - 1_500_000_001 * 1_500_000_001))
        // Small times: ping's order, (Σt² − (Σt)²/n) / n, rounds (9 − 25/3) / 3 to 0; the other
        // order, Σt²/n − avg², would give 3 − 1 = 2 and a deviation of 1.
        XCTAssertEqual(EchoStatistics(transmitted: 3, received: 3, duplicates: 0, microseconds: [1, 2, 2]).deviation, 0)
        // %g of a float, as ping prints the loss.
        XCTAssertEqual(EchoStatistics(transmitted: 3, received: 2, duplicates: 0, microseconds: [1, 1]).lossText, "33.3333%")
        XCTAssertEqual(EchoStatistics(transmitted: 1000, received: 899, duplicates: 0, microseconds: [1]).lossText, "10.1%")
        XCTAssertNil(EchoStatistics(rtts: [nil, nil]).rttText)
        XCTAssertEqual(EchoStatistics(rtts: [nil, nil]).lossText, "100%")
        // Seconds → whole microseconds, truncated like ping's timeval arithmetic.
        XCTAssertEqual(EchoStatistics(rtts: [0.000123999, 0.0001231]).minimum, 123)
        // ping's llsqrt returns Newton's last step, which can be one above the floor (3 → 2, 99 → 10).
        for (a, r) in [(0, 0), (1, 1), (3, 2), (4, 2), (99, 10), (100, 10), (12575, 112), (1 << 40, 1 << 20)] as [(Int64, Int64)] {
            XCTAssertEqual(EchoStatistics.integerSquareRoot(a), r, "\(a)")
        }
    }

    func testVerdicts() {
        let claim = Checker.Claim(from: "a", to: IPAddress("10.0.0.1")!, reason: "x", maxRTT: 0.001, maxLoss: 0.1)
        XCTAssertNil(Checker.Outcome.failure(claim, rtts: Array(repeating: 0.0005, count: 9) + [nil], sendError: nil, noReply: "none"))
        XCTAssertEqual(Checker.Outcome.failure(claim, rtts: Array(repeating: 0.0005, count: 8) + [nil, nil], sendError: nil, noReply: "none"),
                       "loss 20% above max_loss 10%")
        XCTAssertEqual(Checker.Outcome.failure(claim, rtts: [0.0005, 0.0012], sendError: nil, noReply: "none"), "rtt 1.200 ms above max_rtt 1ms")
        XCTAssertEqual(Checker.Outcome.failure(claim, rtts: [nil], sendError: "Network is unreachable (ENETUNREACH)", noReply: "none"),
                       "Network is unreachable (ENETUNREACH)")
        var un = claim
        un.expect = .unreachable
        XCTAssertNil(Checker.Outcome.failure(un, rtts: [nil, nil], sendError: "x", noReply: ""))
        XCTAssertEqual(Checker.Outcome.failure(un, rtts: [nil, 0.1], sendError: nil, noReply: ""), "answered 1/2 echoes, expected unreachable")
    }

    func testAllPairsClaimsAndMatrix() throws {
        let t = try Topology.parse(base, file: "t.yaml")
        let claims = CheckMatrix.claims(t)
        // h1: h2's 2 + r's 2; h2: h1's 1 + r's 2; r: h1's 1 + h2's 2.
        XCTAssertEqual(claims.count, 10)
        XCTAssertEqual(claims.filter { $0.from == "h1" }.map(\.to.description), ["10.2.0.2", "fd02::2", "10.1.0.1", "10.2.0.1"])
        let m = CheckMatrix(t)
        var outcomes = claims.map { Checker.Outcome(claim: $0, rtts: [0.001], error: nil) }
        XCTAssertEqual(m.rows(outcomes), ["-..", ".-.", "..-"])
        for k in outcomes.indices where outcomes[k].claim.from == "h1" && outcomes[k].claim.to == IPAddress("fd02::2") { outcomes[k].error = "no reply" }
        for k in outcomes.indices where outcomes[k].claim.from == "r" && outcomes[k].claim.to == IPAddress("10.1.0.2") { outcomes[k].error = "no reply" }
        XCTAssertEqual(m.rows(outcomes), ["-x.", ".-.", "X.-"])
        let text = m.text(outcomes, seconds: 0.5, topology: "ck")
        XCTAssertTrue(text.contains("  FAIL h1 -> h2 fd02::2: no reply"), text)
        XCTAssertTrue(text.contains("  FAIL r -> h1 10.1.0.2: no reply"), text)
        XCTAssertTrue(text.hasSuffix("ck: all pairs: 8/10 reachable across 3 nodes, 20% dropped, in 0.500 s"), text)
        let json = m.jsonValue(outcomes).serialized
        XCTAssertTrue(json.contains("\"matrix\":[\"-x.\",\".-.\",\"X.-\"]"), json)
        XCTAssertTrue(json.contains("\"failed\":2"), json)
    }

    /// An L2 star needs two neighbour entries per leaf for its default claims (leaf → bridge,
    /// bridge → leaf) and ~N² for all pairs; a routed star of 100 leaves needs 200 for all pairs.
    func testNeighbourEstimate() throws {
        let l2 = try Topology.parse(TopologyGenerator.star(600), file: "s.yaml")
        XCTAssertEqual(NeighbourLimit.estimate(l2, claims: Checker.claims(l2)), .init(ipv4: 1200, ipv6: 0))
        let w = try XCTUnwrap(NeighbourLimit.warning(l2, claims: Checker.claims(l2), what: "check", limits: (1024, 1024)))
        XCTAssertTrue(w.hasPrefix("warning: star600: check needs about 1200 IPv4 neighbour entries, more than net.ipv4.neigh.default.gc_thresh3 = 1024"), w)
        XCTAssertNil(NeighbourLimit.warning(l2, claims: Checker.claims(l2), what: "check", limits: (4096, 1024)))
        let small = try Topology.parse(TopologyGenerator.star(40), file: "s.yaml")
        // All pairs over one bridge: every leaf to every other leaf and to the bridge, both ways.
        XCTAssertEqual(NeighbourLimit.estimate(small, claims: CheckMatrix.claims(small)).ipv4, 41 * 40)
        var yaml = "name: rs\nnodes:\n  r: {}\n"
        for i in 1...100 { yaml += "  l\(i): {routes: [{to: default, via: 10.100.\(i).1}]}\n" }
        yaml += "links:\n"
        for i in 1...100 {
            yaml += "  - endpoints: [{node: r, name: l\(i), addresses: [10.100.\(i).1/30]}, {node: l\(i), name: eth0, addresses: [10.100.\(i).2/30]}]\n"
        }
        let routed = try Topology.parse(yaml, file: "r.yaml")
        XCTAssertEqual(CheckMatrix.claims(routed).count, 100 * 199 + 100)
        XCTAssertEqual(NeighbourLimit.estimate(routed, claims: CheckMatrix.claims(routed)), .init(ipv4: 200, ipv6: 0))
        XCTAssertNil(NeighbourLimit.warning(routed, claims: CheckMatrix.claims(routed), what: "check --all", limits: (1024, 1024)))
        // One claim across the router: l1 → r and r → l2 there, l2 → r and r → l1 on the way back.
        let one = [Checker.Claim(from: "l1", to: IPAddress("10.100.2.2")!, reason: "x")]
        XCTAssertEqual(NeighbourLimit.estimate(routed, claims: one), .init(ipv4: 4, ipv6: 0))
    }

    /// Bad `--count`, `--interval`, `--timeout`: exit 2 naming the value, refused before any
    /// syscall (unprivileged), nothing probed. Too many echoes for the topology is refused too.
    func testHostileOptionsExitTwoNamingTheValue() throws {
        let bin = productPath("vethctl")
        guard FileManager.default.isExecutableFile(atPath: bin) else { throw XCTSkip("\(bin) not built") }
        let path = NSTemporaryDirectory() + "ck-\(uniqueSuffix()).yaml"
        try TopologyGenerator.star(40, name: "ckh").write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let cases: [([String], String)] = [
            (["--count", "0"], "invalid count \"0\": expected 1-65535"),
            (["--count", "65536"], "invalid count \"65536\": expected 1-65535"),
            (["--count=-1"], "invalid count \"-1\": expected 1-65535"),
            (["--count", "99999999999999999999999"], "invalid count \"99999999999999999999999\": expected 1-65535"),
            (["--count", "1e3"], "invalid count \"1e3\": expected 1-65535"),
            (["--count", "5", "--interval", "5"], "invalid interval \"5\": expected a time of at most 60s with a unit"),
            (["--count", "5", "--interval", "1h"], "invalid interval \"1h\""),
            (["--count", "5", "--interval", "61s"], "invalid interval \"61s\""),
            (["--interval", "10ms"], "invalid interval \"10ms\": only applies with --count"),
            (["--timeout", "0ms"], "invalid timeout \"0ms\""),
            (["--timeout", "\u{1b}]0;x"], "invalid timeout \"\\x1b]0;x\""),
            (["--count", "65535"], "80 claims × 65535 echoes is more than 4000000"),
        ]
        for (args, message) in cases {
            let r = try runUnprivileged(bin, ["check", path] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stdout) \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args)")
            XCTAssertFalse(r.stderr.contains("\u{1b}"), "\(args): a raw escape")
        }
    }
}
