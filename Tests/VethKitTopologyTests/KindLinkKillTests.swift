import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// `vethctl up` of a topology with many kind links — host macvlans made under temporary names and
/// renamed with the mark, vxlans in namespaces that exist — killed with SIGKILL at several moments:
/// each time `down` leaves nothing of the topology (no namespace, no link with our alias, no
/// temporary `.vk` link), while a user's macvlan in the topology's group stays.
final class KindLinkKillTests: XCTestCase {
    override func setUpWithError() throws {
        try requireKernel()
        addTeardownBlock {
            _ = try? Applier.down(name: "kq")
            for l in ["kqu0", "kqumv"] { _ = try? runProcess("/usr/sbin/ip", ["link", "del", l]) }
        }
    }

    /// `nodes` namespaces, each with a veth to the host; on each host end a macvlan (a host kind
    /// link), and a vxlan in each namespace over its veth.
    static func yaml(nodes: Int) -> String {
        var y = "name: kq\nnodes:\n  host:\n    macvlans:\n"
        for i in 0..<nodes { y += "      kqm\(i): {link: kqh\(i), addresses: [10.177.\(i).1/24]}\n" }
        for i in 0..<nodes {
            y += "  n\(i):\n    vxlans: {vx0: {id: \(i + 1), remote: 10.178.\(i).1, local: 10.178.\(i).2, dev: eth0, addresses: [10.179.\(i).2/24]}}\n"
        }
        y += "links:\n"
        for i in 0..<nodes {
            y += "  - endpoints: [{node: n\(i), name: eth0, addresses: [10.178.\(i).2/24, 10.177.\(i).2/24]}, {node: host, name: kqh\(i), addresses: [10.178.\(i).1/24]}]\n"
        }
        return y
    }

    func kill(_ bin: String, _ args: [String], after delay: Double) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        usleep(UInt32(max(0, delay) * 1_000_000))
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL
    }

    func testKillDuringUpWithKindLinksThenDownLeavesNothing() throws {
        let bin = productPath("vethctl")
        guard FileManager.default.isExecutableFile(atPath: bin) else { throw XCTSkip("\(bin) not built") }
        let file = NSTemporaryDirectory() + "kq-\(uniqueSuffix()).yaml"
        try Self.yaml(nodes: 40).write(toFile: file, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: file) }
        // The user's veth and a macvlan on it, in the topology's group (a group is no mark).
        try ip("link", "add", "kqu0", "type", "veth", "peer", "name", "kqu1")
        try ip("link", "add", "kqumv", "link", "kqu0", "group", String(Ownership.group(for: "kq")), "type", "macvlan")
        let user = try ipJSON("-d", "link", "show", "kqumv").map { "\($0["ifindex"] ?? "-") \($0["group"] ?? "-")" }
        let t0 = monotonicSeconds()
        let first = try runProcess(bin, ["up", file, "-q"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let full = monotonicSeconds() - t0
        // The whole thing works before it is broken: the overlay of the first node answers.
        let check = try runProcess(bin, ["check", file])
        XCTAssertEqual(check.status, 0, "check (pings across the 40 host macvlans):\n\(check.stdout)\(check.stderr)")
        XCTAssertEqual(try runProcess(bin, ["down", "kq"]).status, 0)
        for (round, f) in [0.1, 0.3, 0.5, 0.7, 0.9].enumerated() {
            var landed = false
            var delay = f * full
            for _ in 0..<4 where !landed {
                landed = try kill(bin, ["up", file, "-q"], after: delay)
                if !landed { _ = try runProcess(bin, ["down", "kq"]); delay /= 2 }
            }
            let what = "round \(round) at \(f) of \(full) s"
            XCTAssertTrue(landed, "\(what): up always finished before the kill")
            if round % 2 == 1 {
                XCTAssertEqual(try runProcess(bin, ["up", file, "-q"]).status, 0, what)
                XCTAssertEqual(try runProcess(bin, ["up", file]).stdout, "kq: no changes\n", what)
            }
            let d = try runProcess(bin, ["down", "kq"])
            XCTAssertTrue(d.status == 0 || d.stderr.contains("topology kq is not up"), "\(what): \(d.stderr)")
            XCTAssertEqual(try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix("kq-") || $0.hasPrefix(".vethkit-tmp.") }, [], what)
            let links = try ipJSON("-d", "link", "show")
            XCTAssertEqual(links.filter { ($0["ifalias"] as? String) == "vethkit:kq" }.count, 0, what)
            XCTAssertEqual(links.filter { ($0["ifname"] as? String)?.hasPrefix(".vk") == true }.count, 0, what)
            XCTAssertEqual(links.compactMap { $0["ifname"] as? String }.filter { $0.hasPrefix("kq") }.sorted(), ["kqu0", "kqu1", "kqumv"], what)
            XCTAssertEqual(try ipJSON("-d", "link", "show", "kqumv").map { "\($0["ifindex"] ?? "-") \($0["group"] ?? "-")" }, user, "\(what): the user's macvlan")
        }
    }
}
