import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// The library example (Examples/SixSteps, public API only) run as built: it makes the seed's six
/// steps, a real ping crosses what it made, and its `down` leaves nothing behind.
final class SixStepsExampleTests: XCTestCase {
    func testTheExampleBuildsASeedThatPingsAndTearsDown() throws {
        try requireKernel()
        try requirePing()
        let s = uniqueSuffix()
        let (ns, hostEnd, peerEnd, bridge) = ("t1-\(s)", "vh\(s)", "vp\(s)", "br\(s)")
        let names = [ns, hostEnd, peerEnd, bridge]
        let example = productPath("SixSteps")
        addTeardownBlock { _ = try? runProcess(example, ["down"] + names) }

        let up = try runProcess(example, ["up"] + names)
        XCTAssertEqual(up.status, 0, "SixSteps up: \(up.stdout) \(up.stderr)")
        XCTAssertTrue(up.stdout.contains("\(ns): default via 192.168.1.1"), up.stdout)
        // What it made, as iproute2 sees it.
        XCTAssertEqual(try ipJSON("link", "show", hostEnd).first?["master"] as? String, bridge)
        let inside = try ipJSON("-n", ns, "addr", "show", "dev", peerEnd)
        let v4 = (inside.first?["addr_info"] as? [[String: Any]] ?? []).filter { $0["family"] as? String == "inet" }
        XCTAssertEqual(v4.compactMap { $0["local"] as? String }, ["192.168.1.200"])
        XCTAssertEqual(v4.first?["prefixlen"] as? Int, 24)
        XCTAssertTrue(try ipJSON("-n", ns, "route", "show").contains { $0["dst"] as? String == "default" && $0["gateway"] as? String == "192.168.1.1" })
        // Packets: from inside the namespace to the gateway on the bridge.
        XCTAssertEqual(ping(from: ns, "192.168.1.1", count: 2), .reply, "no reply from 192.168.1.1 in \(ns)")

        // A second `up` refuses (EEXIST): exit 1, and says what.
        let again = try runProcess(example, ["up"] + names)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stdout.contains("File exists (EEXIST)"), again.stdout)
        // Bad input: exit 2.
        let bad = try runProcess(example, ["up", ns, "a/b", peerEnd, bridge])
        XCTAssertEqual(bad.status, 2, bad.stdout)

        let down = try runProcess(example, ["down"] + names)
        XCTAssertEqual(down.status, 0, "SixSteps down: \(down.stdout) \(down.stderr)")
        XCTAssertFalse(NetworkNamespace.exists(try NamespaceName(ns)))
        try waitUntilLinksGone([hostEnd, peerEnd, bridge])
        XCTAssertTrue(try ipJSON("link", "show").allSatisfy { ![hostEnd, bridge].contains($0["ifname"] as? String ?? "") })
        // And `down` again is a no-op.
        XCTAssertEqual(try runProcess(example, ["down"] + names).status, 0)
    }
}
