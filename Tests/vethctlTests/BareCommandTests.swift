import Foundation
import VethKitTestSupport
import XCTest

/// `vethctl link`, `addr`, `route` alone are their `show` (and `netns` its `list`), as `ip link`
/// is `ip link show`; a word that is no verb is still refused (exit 2), not taken for a name.
final class BareCommandTests: XCTestCase {
    let v = Vethctl()

    func testBareGroupIsShow() throws {
        try requireKernel()
        let ns = "bare-\(uniqueSuffix())"
        try ip("netns", "add", ns)
        defer { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns]) }
        try ip("-n", ns, "link", "add", "bra", "type", "veth", "peer", "name", "brb")
        try ip("-n", ns, "link", "set", "bra", "up")
        try ip("-n", ns, "addr", "add", "10.156.1.1/24", "dev", "bra")
        for (bare, full) in [(["link"], ["link", "show"]), (["addr"], ["addr", "show"]), (["route"], ["route", "show"])] {
            for extra in [[], ["--json"]] {
                let a = try v.run(["-n", ns] + bare + extra), b = try v.run(["-n", ns] + full + extra)
                XCTAssertEqual(a.status, 0, a.stderr)
                XCTAssertEqual(a.stdout, b.stdout, "\(bare) \(extra)")
                XCTAssertTrue(a.stdout.contains(bare == ["route"] ? "10.156.1.0/24" : "bra"), a.stdout)
            }
        }
        let a = try v.run(["netns"]), b = try v.run(["netns", "list"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertTrue(a.stdout.contains(ns), a.stdout)
    }

    func testUnknownVerbIsRefused() throws {
        for group in ["link", "addr", "route", "netns"] {
            let r = try v.run([group, "frobnicate"])
            XCTAssertEqual(r.status, 2, "\(group): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("frobnicate") && r.stderr.contains("show") || r.stderr.contains("list"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        let r = try v.run(["link", "fro\u{1b}[2Jb"])
        XCTAssertFalse(r.stderr.contains("\u{1b}"), "control characters escaped: \(r.stderr)")
    }
}
