import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// Real-kernel tests: only as root inside scripts/sandbox (VETHKIT_SANDBOX=1); skipped elsewhere.
final class TopologyKernelTests: XCTestCase {
    func example(_ name: String) throws -> Topology { try Topology.load(repoRoot + "/examples/\(name).yaml") }

    /// Names under /run/netns that start with `<topology>-`.
    func namespaces(of name: String) throws -> [String] {
        try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix(name + "-") }
    }

    /// Host links carrying the topology's alias (as `ip -j` sees them).
    func hostLinks(of name: String) throws -> [String] {
        try ipJSON("-d", "link", "show").filter { ($0["ifalias"] as? String) == "vethkit:\(name)" }.compactMap { $0["ifname"] as? String }
    }

    func testSeedUpDown() throws {
        try requireKernel()
        let t = try example("seed")
        let r = try Applier.up(t)
        print(r.plan.text)
        print(r.summary)
        XCTAssertEqual(try namespaces(of: "seed"), ["seed-t1"])
        XCTAssertEqual(Set(try hostLinks(of: "seed")), ["br0", "veth1"])
        let ping = try runProcess("/usr/sbin/ip", ["netns", "exec", "seed-t1", "ping", "-c1", "-W1", "192.168.1.1"])
        XCTAssertEqual(ping.status, 0, ping.stdout + ping.stderr)
        let again = try Applier.up(t)
        XCTAssertEqual(again.summary, "seed: no changes", again.plan.text)
        let d = try Applier.down(name: "seed", topology: t)
        print(d.summary)
        XCTAssertEqual(try namespaces(of: "seed"), [])
        XCTAssertEqual(try hostLinks(of: "seed"), [])
    }

    func testExamplesUpCheckDown() throws {
        try requireKernel()
        // The user's own veth pair and bridge in the host must survive every down.
        try ip("link", "add", "uveth0", "type", "veth", "peer", "name", "uveth1")
        try ip("link", "add", "ubr0", "type", "bridge")
        defer { _ = try? ip("link", "del", "uveth0"); _ = try? ip("link", "del", "ubr0") }
        for name in ["seed", "routers", "star"] {
            let t = try example(name)
            let r = try Applier.up(t)
            print(r.summary)
            let report = try Checker.run(t)
            print(report.table)
            XCTAssertTrue(report.passed, "\(name):\n\(report.table)")
            XCTAssertGreaterThan(report.outcomes.count, 0)
            let d = try Applier.down(name: t.name, topology: t)
            print(d.summary)
            XCTAssertEqual(try namespaces(of: t.name), [], name)
            XCTAssertEqual(try hostLinks(of: t.name), [], name)
            let left = Set(try ipJSON("link", "show").compactMap { $0["ifname"] as? String })
            XCTAssertTrue(left.isSuperset(of: ["uveth0", "uveth1", "ubr0"]), "\(left)")
        }
    }
}
