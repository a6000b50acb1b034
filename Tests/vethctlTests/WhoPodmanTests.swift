import Foundation
import VethKitTestSupport
import XCTest

/// A real runtime (issue 10): podman 4.3 (CNI backend, Debian's bridge + host-local) runs two
/// containers on one network (scripts/who-podman.sh); `vethctl who` on each host veth names the
/// container `podman inspect` reports, and the container's eth0 as the far end.
final class WhoPodmanTests: XCTestCase {
    func testWhoNamesEachPodmanContainer() throws {
        try requireKernel()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/who-podman.sh").path
        let r = try runProcess(script, [productPath("vethctl")], timeout: 300)
        if r.status == 77 { throw XCTSkip("podman test skipped: \(r.stderr)") }
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let containers = lines.filter { $0.hasPrefix("CONTAINER ") }.map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(containers.count, 2, r.stdout + r.stderr)
        for c in containers where c.count == 5 {
            let (name, id, veth, ifindex) = (c[1], c[2], c[3], Int(c[4]))
            XCTAssertEqual(id.utf8.count, 64, "podman inspect's id")
            let json = try XCTUnwrap(lines.first { $0.hasPrefix("WHO \(name) ") }.map { String($0.dropFirst("WHO \(name) ".count)) })
            let o = try parseJSONObject(json)
            let end = o["end"] as? [String: Any], peer = o["peer"] as? [String: Any], ns = o["namespace"] as? [String: Any]
            XCTAssertEqual(end?["ifname"] as? String, veth)
            XCTAssertEqual(int(end?["ifindex"]), ifindex)
            XCTAssertEqual(peer?["ifname"] as? String, "eth0")
            let owners = ns?["owners"] as? [[String: Any]] ?? []
            let ids = owners.compactMap { $0["containerID"] as? String }
            XCTAssertTrue(ids.contains(id), "\(name): who names no container \(id): owners \(owners)")
            XCTAssertTrue((peer?["netns"] as? String)?.contains(String(id.prefix(12))) == true,
                          "\(name): the label names the container: \(String(describing: peer?["netns"]))")
            let text = lines.filter { $0.hasPrefix("TEXT \(name) ") }.joined(separator: "\n")
            XCTAssertTrue(text.contains(id), "\(name): the text answer has the whole id:\n\(text)")
        }
    }
}
