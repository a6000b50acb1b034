import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// `check --all` on a small routed lab: a router r with a /30 to each of h1, h2, h3 (default
/// routes via r). Every cell answers; with h3's default route deleted (by `ip`, behind the
/// topology's back), exactly the cells that need it fail: h3 to everything but r's address on
/// its own /30 (a partial cell), and h1, h2 to h3 (h3 cannot answer). Only as root in scripts/sandbox.
final class CheckAllKernelTests: XCTestCase {
    var topo = ""

    override func setUpWithError() throws {
        try requireKernel()
        topo = "cka" + String(uniqueSuffix().prefix(5))
        addTeardownBlock { [topo] in _ = try? Applier.down(name: topo) }
    }

    func testMatrixAndAMissingRoute() throws {
        var yaml = "name: \(topo)\nnodes:\n  r: {sysctls: {net.ipv4.ip_forward: \"1\"}}\n"
        for i in 1...3 { yaml += "  h\(i): {routes: [{to: default, via: 10.78.\(i).1}]}\n" }
        yaml += "links:\n"
        for i in 1...3 {
            yaml += "  - endpoints: [{node: r, name: h\(i), addresses: [10.78.\(i).1/30]}, {node: h\(i), name: eth0, addresses: [10.78.\(i).2/30]}]\n"
        }
        let path = NSTemporaryDirectory() + "\(topo).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let t = try Topology.load(path)
        _ = try Applier.up(t)

        let r = try Checker.runAll(t)
        XCTAssertEqual(r.outcomes.count, 3 + 3 * (2 + 3), "r to 3 leaves; each leaf to 2 leaves and r's 3 addresses")
        XCTAssertEqual(r.matrix?.rows(r.outcomes), ["-...", ".-..", "..-.", "...-"], r.table)
        XCTAssertTrue(r.passed, r.table)
        XCTAssertTrue(r.table.hasSuffix("all pairs: 18/18 reachable across 4 nodes, 0% dropped, in \(FixedPoint.text(r.seconds, places: 3)) s"), r.table)
        XCTAssertEqual(r.warnings, [])
        // With --count every cell gets that many echoes.
        let counted = try Checker.runAll(t, options: .init(count: 3, interval: 0.001))
        XCTAssertEqual(counted.matrix?.rows(counted.outcomes), ["-...", ".-..", "..-.", "...-"], counted.table)
        XCTAssertTrue(counted.outcomes.allSatisfy { $0.statistics.transmitted == 3 && $0.statistics.received == 3 }, counted.table)

        try ip("-n", "\(topo)-h3", "route", "del", "default")
        let broken = try Checker.runAll(t, options: .init(timeout: 0.3))
        XCTAssertEqual(broken.matrix?.rows(broken.outcomes), ["-...", ".-.X", "..-X", "xXX-"], broken.table)
        let failed = Set(broken.outcomes.filter { !$0.ok }.map { "\($0.claim.from)>\($0.claim.to)" })
        XCTAssertEqual(failed, ["h1>10.78.3.2", "h2>10.78.3.2", "h3>10.78.1.2", "h3>10.78.2.2", "h3>10.78.1.1", "h3>10.78.2.1"], broken.table)
        XCTAssertFalse(broken.passed)

        // The CLI: exit 1, the matrix and the failures; JSON with the same rows.
        let bin = productPath("vethctl")
        let cli = try runProcess(bin, ["check", path, "--all", "--timeout", "300ms"])
        XCTAssertEqual(cli.status, 1, cli.stdout + cli.stderr)
        XCTAssertTrue(cli.stdout.contains("4 h3 xXX-"), cli.stdout)
        XCTAssertTrue(cli.stdout.contains("  FAIL h1 -> h3 10.78.3.2: "), cli.stdout)
        let json = try runProcess(bin, ["check", path, "--all", "--json", "--timeout", "300ms"])
        let top = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let all = try XCTUnwrap(top["all"] as? [String: Any])
        XCTAssertEqual(all["matrix"] as? [String], ["-...", ".-.X", "..-X", "xXX-"])
        XCTAssertEqual(all["nodes"] as? [String], ["r", "h1", "h2", "h3"])
        XCTAssertEqual(all["failed"] as? Int, 6)
        XCTAssertEqual((all["failures"] as? [[String: Any]])?.count, 6)
    }

    /// `check --all` of an L2 star whose all-pairs probes need more neighbour entries than
    /// gc_thresh3 (read from the kernel): a warning with the numbers (the estimate is unit-tested;
    /// here the kernel's limit and the wording reach the user). The star is not up — its probes
    /// would fill the machine's one neighbour table —, so every claim fails as "not up".
    func testNeighbourLimitWarning() throws {
        let limit = NeighbourLimit.limit(ipv6: false) ?? NeighbourLimit.defaultLimit
        let leaves = Int((Double(limit).squareRoot()).rounded(.up)) + 2   // all pairs: (n+1)·n > limit
        let path = NSTemporaryDirectory() + "\(topo).yaml"
        try TopologyGenerator.star(leaves, name: topo).write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let t = try Topology.load(path)
        let r = try Checker.runAll(t, options: .init(timeout: 0.3))
        XCTAssertTrue(r.outcomes.allSatisfy { $0.error?.contains("is not up") == true || $0.claim.from == "host" }, r.table)
        let w = try XCTUnwrap(r.warnings.first, r.table)
        XCTAssertTrue(w.hasPrefix("warning: \(topo): check --all needs about \((leaves + 1) * leaves) IPv4 neighbour entries, more than net.ipv4.neigh.default.gc_thresh3 = \(limit)"), w)
        let cli = try runProcess(productPath("vethctl"), ["check", path, "--all", "--timeout", "300ms"])
        XCTAssertTrue(cli.stderr.contains("check --all needs about \((leaves + 1) * leaves) IPv4 neighbour entries"), cli.stderr)
    }

    /// `vethctl up` of an L2 star whose default `check` needs more neighbour entries than
    /// gc_thresh3 (2 per leaf): the warning on standard error, with the numbers. Nothing is probed.
    func testUpWarnsWhenCheckWouldPassTheLimit() throws {
        let limit = NeighbourLimit.limit(ipv6: false) ?? NeighbourLimit.defaultLimit
        let leaves = limit / 2 + 1
        let path = NSTemporaryDirectory() + "\(topo).yaml"
        try TopologyGenerator.star(leaves, name: topo).write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let bin = productPath("vethctl")
        let up = try runProcess(bin, ["up", path, "-q"])
        XCTAssertEqual(up.status, 0, up.stderr)
        XCTAssertTrue(up.stderr.contains("warning: \(topo): check needs about \(2 * leaves) IPv4 neighbour entries, more than net.ipv4.neigh.default.gc_thresh3 = \(limit)"), up.stderr)
        let down = try runProcess(bin, ["down", topo])
        XCTAssertEqual(down.status, 0, down.stderr)
        // A star that fits says nothing.
        try TopologyGenerator.star(3, name: topo).write(toFile: path, atomically: true, encoding: .utf8)
        let small = try runProcess(bin, ["up", path, "-q"])
        XCTAssertEqual(small.status, 0, small.stderr)
        XCTAssertFalse(small.stderr.contains("warning"), small.stderr)
    }
}
