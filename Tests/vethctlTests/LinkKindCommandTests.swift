import Foundation
import VethKitTestSupport
import XCTest

/// `vethctl link add/show -d/set/del` for the kinds with options, on the real kernel, checked
/// against `ip -j -d` and with packets (macvlan, vxlan: every kernel the suite runs on has them;
/// vlan, ipvlan and dummy: LinkKindVMCommandTests).
final class LinkKindCommandTests: LinkKindCommandTestCase {
    func testMacvlanAddShowSetDel() throws {
        try requireKernel()
        let ns = try namespace()
        try v.ok("-n", ns, "link", "add", "p0", "--peer", "p1", "--up")
        try v.ok("-n", ns, "link", "add", "mv0", "--type", "macvlan", "--link", "p0", "--mode", "bridge")
        XCTAssertEqual(try infoData(ns, "mv0")["mode"] as? String, "bridge")
        try assertAgrees(ns, "mv0", keys: ["mode"])
        let text = try v.ok("-n", ns, "link", "show", "-d")
        XCTAssertTrue(text.contains("mv0@p0") && text.contains("macvlan mode bridge"), text)
        try v.ok("-n", ns, "link", "set", "mv0", "--mode", "private")
        XCTAssertEqual(try infoData(ns, "mv0")["mode"] as? String, "private")
        // A kind option the link's kind does not take: exit 2, the link unchanged.
        let wrong = try v.run(["-n", ns, "link", "set", "mv0", "--nolearning"])
        XCTAssertEqual(wrong.status, 2, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("applies to a vxlan") && wrong.stderr.contains("macvlan"), wrong.stderr)
        let notVlan = try v.run(["-n", ns, "link", "set", "mv0", "--reorder-hdr", "off"])
        XCTAssertEqual(notVlan.status, 2, notVlan.stderr)
        XCTAssertTrue(notVlan.stderr.contains("applies to a vlan") && notVlan.stderr.contains("--reorder-hdr"), notVlan.stderr)
        XCTAssertEqual(try infoData(ns, "mv0")["mode"] as? String, "private")
        try v.ok("-n", ns, "link", "del", "mv0")
        XCTAssertTrue(try ipJSON("-n", ns, "link", "show", "type", "macvlan").isEmpty)
    }

    func testVxlanBetweenTwoNamespacesCarriesPackets() throws {
        try requireKernel()
        try requirePing()
        let a = try namespace(), b = try namespace()
        try v.ok("-n", a, "link", "add", "u0", "--peer", "u1", "--peer-netns", b, "--up")
        let ends = [(a, "u0", "192.168.91.1", "192.168.91.2", "10.85.0.1/24"), (b, "u1", "192.168.91.2", "192.168.91.1", "10.85.0.2/24")]
        for (ns, underlay, local, remote, overlay) in ends {
            try v.ok("-n", ns, "addr", "add", "\(local)/24", "--dev", underlay)
            try v.ok("-n", ns, "link", "set", underlay, "--up")
            try v.ok("-n", ns, "link", "add", "vx0", "--type", "vxlan", "--id", "42", "--remote", remote, "--local", local,
                     "--dev", underlay, "--dstport", "4789", "--nolearning", "--up")
            try v.ok("-n", ns, "addr", "add", overlay, "--dev", "vx0")
        }
        try assertAgrees(a, "vx0", keys: ["id", "remote", "local", "link", "port", "learning"])
        let text = try v.ok("-n", a, "link", "show", "-d", "vx0")
        XCTAssertTrue(text.contains("vxlan id 42 remote 192.168.91.2 local 192.168.91.1 dev u0 dstport 4789 nolearning"), text)
        var replied = false
        for _ in 0..<3 where !replied { replied = ping(from: a, "10.85.0.2", count: 2, wait: 1) == .reply }
        XCTAssertTrue(replied, "no reply across the vxlan")
        try v.ok("-n", a, "link", "set", "vx0", "--learning")
        XCTAssertEqual(try infoData(a, "vx0")["learning"] as? Bool, true)
        try v.ok("-n", a, "link", "set", "vx0", "--remote", "192.168.91.7")
        XCTAssertEqual(try infoData(a, "vx0")["remote"] as? String, "192.168.91.7")
        // What the kernel cannot change: refused before the request (another family)…
        let family = try v.run(["-n", a, "link", "set", "vx0", "--remote", "fd00::7"])
        XCTAssertEqual(family.status, 2, family.stderr)
        XCTAssertTrue(family.stderr.contains("fd00::7") && family.stderr.contains("family"), family.stderr)
        XCTAssertEqual(try infoData(a, "vx0")["remote"] as? String, "192.168.91.7")
        try v.ok("-n", a, "link", "del", "vx0")
        XCTAssertTrue(try ipJSON("-n", a, "link", "show", "type", "vxlan").isEmpty)
    }

    func testMissingParentIsNotFoundAndNothingIsCreated() throws {
        try requireKernel()
        let ns = try namespace()
        for args in [["link", "add", "mv9", "--type", "macvlan", "--link", "nosuch0", "--mode", "bridge"],
                     ["link", "add", "vx9", "--type", "vxlan", "--id", "9", "--remote", "10.0.0.9", "--dev", "nosuch0"]] {
            let r = try v.run(["-n", ns] + args)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(r.stderr, "vethctl: link add \(args[2]): no link \"nosuch0\" in namespace \(ns)\n")
        }
        XCTAssertEqual(try ipJSON("-n", ns, "link", "show").compactMap { $0["ifname"] as? String }, ["lo"])
    }

    func testUsersOwnLinkOfTheSameNameIsUntouched() throws {
        try requireKernel()
        let ns = try namespace()
        try ip("-n", ns, "link", "add", "ux0", "type", "vxlan", "id", "7", "remote", "10.9.9.9", "dstport", "4789")
        let r = try v.run(["-n", ns, "link", "add", "ux0", "--type", "vxlan", "--id", "8", "--remote", "10.1.1.1"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr, "vethctl: link add ux0: File exists (EEXIST): a link named \"ux0\" exists\n")
        XCTAssertEqual(try infoData(ns, "ux0")["id"] as? Int, 7)
        XCTAssertEqual(try infoData(ns, "ux0")["remote"] as? String, "10.9.9.9")
    }

    /// Eight vethctl processes race to create the same vxlan: one wins, the others are refused
    /// with EEXIST, and the winner's link is the one there.
    func testConcurrentCreatesOfOneNameGiveOneLink() throws {
        try requireKernel()
        let ns = try namespace()
        final class Statuses: @unchecked Sendable {
            let lock = NSLock()
            var all = [Int32](repeating: -1, count: 8)
            subscript(i: Int) -> Int32 {
                get { lock.withLock { all[i] } }
                set { lock.withLock { all[i] = newValue } }
            }
            func filter(_ p: (Int32) -> Bool) -> [Int32] { lock.withLock { all.filter(p) } }
        }
        let results = Statuses(), path = v.path
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let r = try? runProcess(path, ["-n", ns, "link", "add", "race0", "--type", "vxlan", "--id", String(100 + i), "--remote", "10.0.0.2"])
            results[i] = r?.status ?? -1
        }
        XCTAssertEqual(results.filter { $0 == 0 }.count, 1, "\(results.all)")
        XCTAssertEqual(results.filter { $0 == 1 }.count, 7, "\(results.all)")
        let id = try XCTUnwrap(try infoData(ns, "race0")["id"] as? Int)
        XCTAssertEqual(results[id - 100], 0, "the link there is not the winner's")
    }

    func testKindsInABatch() throws {
        try requireKernel()
        let ns = try namespace()
        let script = """
            link add p0 --peer p1 --up
            link add mv0 --type macvlan --link p0 --mode vepa
            link add vx0 --type vxlan --id 77 --group 239.1.1.7 --dev p0 --group 5
            link add vx1 --type vxlan --id 78 --group 239.1.1.8 --dev p0
            """
        let r = try v.run(["-n", ns, "--batch", "-"], input: script)
        XCTAssertEqual(r.status, 2, "the --group 5 that overrides the vxlan's group: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("-:3:"), r.stderr)
        let good = try v.run(["-n", ns, "--batch", "-"], input: script.split(separator: "\n").enumerated().filter { $0.offset != 2 }.map { String($0.element) }.joined(separator: "\n"))
        XCTAssertEqual(good.status, 0, good.stderr)
        // `-n NS --batch`: every line ran in NS, none in the namespace vethctl was started in.
        XCTAssertTrue(try ipJSON("link", "show").filter { ["p0", "p1", "mv0", "vx1"].contains($0["ifname"] as? String ?? "") }.isEmpty,
                      "a batch line ignored the -n before --batch")
        XCTAssertEqual(try infoData(ns, "mv0")["mode"] as? String, "vepa")
        XCTAssertEqual(try infoData(ns, "vx1")["group"] as? String, "239.1.1.8")
        XCTAssertEqual(try infoData(ns, "vx1")["link"] as? String, "p0")
    }
}
