import Foundation
import VethKitJSON
import VethKitTestSupport
import XCTest

/// Alternative names (`link property add|del --altname`, shown as ip's `altnames`) and ip's
/// `M-DOWN` flag (a link whose same-namespace peer or parent is down), against `ip -j`.
final class LinkPropertyCommandTests: XCTestCase {
    let v = Vethctl()
    var ns = ""

    override func setUpWithError() throws {
        try requireKernel()
        ns = "lp-\(uniqueSuffix())"
        try ip("netns", "add", ns)
        try ip("-n", ns, "link", "add", "lpa", "type", "veth", "peer", "name", "lpb")
        try ip("-n", ns, "link", "add", "lpc", "type", "veth", "peer", "name", "lpd")
        try ip("-n", ns, "link", "set", "lpa", "up")            // lpb stays down: lpa is M-DOWN
        try ip("-n", ns, "link", "set", "lpc", "up")
        try ip("-n", ns, "link", "set", "lpd", "up")
        // The user's own alternative names, made with ip.
        try ip("-n", ns, "link", "property", "add", "dev", "lpc", "altname", "users-own-long-name-for-lpc", "altname", "lpc-2")
    }

    override func tearDownWithError() throws {
        guard !ns.isEmpty else { return }
        _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns])
    }

    func ipJSONOf(_ args: String...) throws -> JSON { try iproute2JSON(namespace: ns, args) }

    func testAltnamesAndMDownAreShownAsIPShowsThem() throws {
        try v.ok("-n", ns, "link", "property", "add", "lpa", "--altname", String(repeating: "a", count: 127), "--altname", "lpa.uplink")
        for (theirs, mine) in [(["link", "show"], ["link", "show"]), (["link", "show", "lpa"], ["link", "show", "lpa"]),
                               (["link", "show", "lpc"], ["link", "show", "lpc"]), (["addr", "show"], ["addr", "show"]),
                               (["-d", "link", "show"], ["link", "show", "-d"])] {
            let r = try runProcess("/usr/sbin/ip", ["-j", "-n", ns] + theirs)
            let t = try JSON.parse(r.stdout)
            let m = try JSON.parse(try v.ok(["-n", ns] + mine + ["--json"]))
            XCTAssertEqual(differencesFromIP(t, m), [], "\(theirs)")
        }
        let links = try JSON.parse(try v.ok("-n", ns, "link", "show", "--json")).arrayValue ?? []
        func link(_ n: String) -> JSON? { links.first { $0["ifname"] == .string(n) } }
        XCTAssertEqual(link("lpa")?["altnames"], .array([.string(String(repeating: "a", count: 127)), .string("lpa.uplink")]))
        XCTAssertEqual(link("lpc")?["altnames"]?.arrayValue?.count, 2)
        XCTAssertTrue(link("lpa")?["flags"]?.arrayValue?.contains(.string("M-DOWN")) ?? false, "the peer lpb is down")
        XCTAssertFalse(link("lpc")?["flags"]?.arrayValue?.contains(.string("M-DOWN")) ?? true)
        // The peer comes up: M-DOWN goes, as in ip.
        try ip("-n", ns, "link", "set", "lpb", "up")
        let after = try JSON.parse(try v.ok("-n", ns, "link", "show", "lpa", "--json"))
        XCTAssertEqual(differencesFromIP(try ipJSONOf("link", "show", "lpa"), after), [])
        XCTAssertFalse(after.arrayValue?.first?["flags"]?.arrayValue?.contains(.string("M-DOWN")) ?? true)
    }

    /// add/del change only the names named; the kernel's EEXIST (a name another link has) and a
    /// missing name are one line each; bad names are exit 2 before any syscall.
    func testAddAndDelTouchOnlyTheNamesNamed() throws {
        try v.ok("-n", ns, "link", "property", "add", "lpa", "--altname", "mine-1", "--altname", "mine-2")
        try v.ok("-n", ns, "link", "property", "del", "lpa", "--altname", "mine-1")
        XCTAssertEqual(try ipJSONOf("link", "show", "lpa").arrayValue?.first?["altnames"], .array([.string("mine-2")]))
        XCTAssertEqual(try ipJSONOf("link", "show", "lpc").arrayValue?.first?["altnames"],
                       .array([.string("users-own-long-name-for-lpc"), .string("lpc-2")]), "the user's names stay")
        let clash = try v.run(["-n", ns, "link", "property", "add", "lpa", "--altname", "lpc-2"])
        XCTAssertEqual(clash.status, 1)
        XCTAssertTrue(clash.stderr.contains("link property add lpa altname lpc-2") && clash.stderr.contains("File exists"), clash.stderr)
        let other = try v.run(["-n", ns, "link", "property", "del", "lpa", "--altname", "lpc-2"])
        XCTAssertEqual(other.status, 1, "lpc-2 is lpc's, not lpa's")
        XCTAssertTrue(other.stderr.contains("no alternative name \"lpc-2\""), other.stderr)
        XCTAssertEqual(try ipJSONOf("link", "show", "lpc").arrayValue?.first?["altnames"]?.arrayValue?.count, 2)
        for (args, message) in [(["lpa", "--altname", String(repeating: "b", count: 128)], "1-127 bytes"), (["lpa", "--altname", "a b"], "white space"),
                                (["lpa", "--altname", "x/y"], "`/`"), (["lpa", "--altname", "x\u{7}"], "control character"),
                                (["lpa", "--altname", ".."], "is not a name"), (["lpa"], "give --altname"), (["l/a", "--altname", "ok"], "l/a")] {
            let r = try v.run(["-n", ns, "link", "property", "add"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try ipJSONOf("link", "show", "lpa").arrayValue?.first?["altnames"], .array([.string("mine-2")]), "nothing more made")
    }
}
