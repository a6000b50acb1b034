import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// Kind links this machine's kernel lacks (vlan, ipvlan, dummy) in topology files: skipped here
/// with the reason, run under Debian's 6.1 by scripts/vmtest (a class of its own, so the VM runs
/// only these and not the vxlan/macvlan tests of KindLinkKernelTests again).
final class KindLinkVMTests: XCTestCase {
    func example(_ name: String) throws -> Topology { try Topology.load(repoRoot + "/examples/\(name).yaml") }

    override func setUpWithError() throws {
        try requireKernel()
        addTeardownBlock {
            for name in ["vlans", "kk"] { _ = try? Applier.down(name: name) }
            for l in ["kku0"] { _ = try? runProcess("/usr/sbin/ip", ["link", "del", l]) }
        }
    }

    /// VLANs (802.1Q and 802.1ad), an ipvlan on a VLAN and dummies: where the kernel has them.
    func testVLANIPVLANDummyExample() throws {
        try requireLinkKind("vlan")
        try requireLinkKind("ipvlan")
        try requireLinkKind("dummy")
        try requirePing()
        let t = try example("vlan-ipvlan")
        _ = try Applier.up(t)
        let report = try Checker.run(t)
        print(report.table)
        XCTAssertTrue(report.passed, report.table)
        // Across VLAN 10 both ways, VLAN 20 (802.1ad) both ways, and to the ipvlan on VLAN 10 (a
        // claim of the same pair made for a route's via is the same probe).
        for (from, to) in [("b", "10.10.0.1"), ("a", "10.10.0.2"), ("b", "10.20.0.1"), ("a", "10.20.0.2"), ("a", "10.10.0.3")] {
            XCTAssertTrue(report.outcomes.contains { $0.claim.from == from && $0.claim.to == IPAddress(to) && $0.error == nil && $0.rtt != nil },
                          "\(from) -> \(to):\n\(report.table)")
        }
        XCTAssertEqual(ping(from: "vlans-a", "10.99.0.2"), .reply, "to b's dummy over the VLAN")
        XCTAssertEqual(ipKind(try XCTUnwrap(try ipLinks("vlans-a")["eth0.20"])), "vlan on eth0 protocol 802.1ad id 20")
        XCTAssertEqual(ipKind(try XCTUnwrap(try ipLinks("vlans-b")["iv0"])), "ipvlan on eth0.10 mode l2")
        try assertKindLinksMatchIP(t)
        XCTAssertEqual(try Applier.up(t).summary, "vlans: no changes")
        _ = try Applier.down(name: "vlans", topology: t)
        XCTAssertEqual(try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix("vlans-") }, [])
    }

    /// A dummy in the host carries our mark and goes with down; a user's dummy stays.
    func testHostDummyIsMarkedAndRemoved() throws {
        try requireLinkKind("dummy")
        try ip("link", "add", "kku0", "type", "dummy")
        let t = try Topology.parse("name: kk\nnodes:\n  host: {dummies: {kkmv0: {addresses: [10.74.0.1/32]}}}\n")
        _ = try Applier.up(t)
        let d = try XCTUnwrap(try ipLinks(nil)["kkmv0"])
        XCTAssertEqual(d["ifalias"] as? String, "vethkit:kk")
        XCTAssertEqual(ipKind(d), "dummy")
        XCTAssertEqual(try Applier.up(t).summary, "kk: no changes")
        _ = try Applier.down(name: "kk", topology: t)
        XCTAssertNil(try ipLinks(nil)["kkmv0"])
        XCTAssertNotNil(try ipLinks(nil)["kku0"])
    }
}
