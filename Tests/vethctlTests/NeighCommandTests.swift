import Foundation
import VethKitJSON
import VethKitTestSupport
import XCTest

/// `vethctl neigh` against `ip neigh` / `ip -j neigh`: every state, router and proxy entries,
/// protocol, -s times, the selectors; add/replace/del make what ip makes and leave the user's
/// other entries alone; a permanent entry really steers frames (a wrong MAC loses the pings).
final class NeighCommandTests: XCTestCase {
    let v = Vethctl()
    var ns = ""

    override func setUpWithError() throws {
        try requireKernel()
        ns = "ng-\(uniqueSuffix())"
        try ip("netns", "add", ns)
        try ip("netns", "exec", ns, "/usr/sbin/sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
        let setup = """
            link add nga type veth peer name ngap
            link add ngb type veth peer name ngbp
            link set nga up
            link set ngap up
            link set ngb up
            addr add 10.168.1.1/24 dev nga
            -6 addr add fd68:1::1/64 dev nga nodad
            neigh add 10.168.1.5 lladdr 02:00:00:00:01:05 dev nga
            neigh add 10.168.1.6 lladdr 02:00:00:00:01:06 dev nga nud noarp
            neigh add 10.168.1.7 dev nga nud none
            neigh add 10.168.1.8 lladdr 02:00:00:00:01:08 dev nga nud stale
            neigh add 10.168.1.9 lladdr 02:00:00:00:01:09 dev nga nud reachable
            neigh add 10.168.1.10 dev nga nud failed
            neigh add 10.168.1.5 lladdr 02:00:00:00:02:05 dev ngb
            neigh add fd68:1::7 lladdr 02:00:00:00:01:17 dev nga router nud reachable protocol static
            neigh add proxy 10.168.1.20 dev nga
            neigh add proxy fd68:1::20 dev nga
            """
        for line in setup.split(separator: "\n") {
            let r = try runProcess("/usr/sbin/ip", ["-n", ns] + line.split(separator: " ").map(String.init))
            XCTAssertEqual(r.status, 0, "ip \(line): \(r.stderr)")
        }
    }

    override func tearDownWithError() throws {
        guard !ns.isEmpty else { return }
        _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns])
    }

    func ipJSONOf(_ ns: String, _ args: [String]) throws -> JSON { try iproute2JSON(namespace: ns, args) }

    /// Each selector, asked of ip and of vethctl: the same entries in the same order, every key
    /// ip prints present with its value (times under -s by type: they tick between the reads).
    func testShowMatchesIPForEverySelector() throws {
        let cases: [([String], [String])] = [
            (["neigh", "show"], []), (["neigh", "show", "nud", "all"], ["--nud", "all"]), (["-s", "neigh", "show", "nud", "all"], ["--nud", "all", "-s"]),
            (["-4", "neigh", "show"], ["-4"]), (["-6", "neigh", "show"], ["-6"]), (["neigh", "show", "nud", "noarp"], ["--nud", "noarp"]),
            (["neigh", "show", "nud", "none"], ["--nud", "none"]), (["neigh", "show", "nud", "failed"], ["--nud", "failed"]),
            (["neigh", "show", "proxy"], ["--proxy"]), (["neigh", "show", "10.168.1.5"], ["10.168.1.5"]),
            (["neigh", "show", "to", "10.168.1.8/30"], ["10.168.1.8/30"]),
        ]
        var keys = Set<String>()
        for (ipArgs, mine) in cases {
            let theirs = try ipJSONOf(ns, ipArgs)
            let ours = try JSON.parse(try v.ok(["-n", ns, "neigh", "show", "--json"] + mine))
            XCTAssertEqual(differencesFromIP(theirs, ours, typeOnly: ["used", "confirmed", "updated"]), [], "ip \(ipArgs) vs vethctl \(mine)")
            // The times, read after ip's: the same seconds, or up to 2 more.
            for (t, o) in zip(theirs.arrayValue ?? [], ours.arrayValue ?? []) {
                for key in ["used", "confirmed", "updated"] {
                    guard let a = t[key]?.intValue, let b = o[key]?.intValue else { continue }
                    XCTAssertTrue((a...(a + 2)).contains(b), "\(key): vethctl \(b), ip \(a)")
                }
            }
            for o in theirs.arrayValue ?? [] { keys.formUnion(o.objectValue?.map(\.key) ?? []) }
            XCTAssertFalse(theirs.arrayValue?.isEmpty ?? true, "ip \(ipArgs) listed nothing: the comparison would prove nothing")
        }
        XCTAssertTrue(keys.isSuperset(of: ["dst", "dev", "lladdr", "router", "proxy", "state", "protocol", "used", "confirmed", "updated", "probes"]), "\(keys.sorted())")
        // --dev: ip leaves the dev key out (its selector fixes it); vethctl keeps it.
        let theirs = try ipJSONOf(ns, ["neigh", "show", "dev", "ngb"])
        let ours = try JSON.parse(try v.ok("-n", ns, "neigh", "show", "--dev", "ngb", "--json"))
        XCTAssertEqual(differencesFromIP(theirs, ours), [])
        XCTAssertEqual(ours.arrayValue?.compactMap { $0["lladdr"]?.stringValue }, ["02:00:00:00:02:05"])
        // The text table.
        let text = try v.ok("-n", ns, "neigh", "show")
        XCTAssertTrue(text.hasPrefix("ADDRESS"), text)
        XCTAssertTrue(text.split(separator: "\n").contains { $0.split(separator: " ") == ["fd68:1::7", "nga", "02:00:00:00:01:17", "REACHABLE", "router"] }, text)
        XCTAssertFalse(text.contains("10.168.1.6"), "noarp is left out by default, as ip does:\n\(text)")
    }

    /// vethctl's add/replace make what ip's make (compared in a second namespace given the same
    /// entries by ip); del deletes only the entry named: the same address on another link, and
    /// a proxy entry of that address, stay.
    func testAddReplaceDelAreWhatIPDoesAndTouchNothingElse() throws {
        let twin = "ngt-\(uniqueSuffix())"
        try ip("netns", "add", twin)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", twin]) }
        for n in [ns, twin] { try ip("-n", n, "link", "add", "ngc", "type", "veth", "peer", "name", "ngcp") }
        let pairs: [([String], [String])] = [
            (["10.168.3.1", "--lladdr", "02:00:00:00:03:01"], ["10.168.3.1", "lladdr", "02:00:00:00:03:01"]),
            (["10.168.3.2", "--lladdr", "02:00:00:00:03:02", "--nud", "reachable"], ["10.168.3.2", "lladdr", "02:00:00:00:03:02", "nud", "reachable"]),
            (["10.168.3.3", "--nud", "none"], ["10.168.3.3", "nud", "none"]),
            (["10.168.3.4", "--proxy"], ["proxy", "10.168.3.4"]),
            (["fd68:3::1", "--lladdr", "02:00:00:00:03:11", "--router", "--nud", "stale"], ["fd68:3::1", "lladdr", "02:00:00:00:03:11", "router", "nud", "stale"]),
            (["10.168.3.5", "--lladdr", "33:33:00:00:00:01", "--nud", "noarp"], ["10.168.3.5", "lladdr", "33:33:00:00:00:01", "nud", "noarp"]),
        ]
        for (mine, theirs) in pairs {
            try v.ok(["-n", ns, "neigh", "add"] + mine + ["--dev", "ngc"])
            try ip(["-n", twin, "neigh", "add"] + theirs + ["dev", "ngc"])
        }
        func same(_ what: String) throws {
            for args in [["neigh", "show", "nud", "all", "dev", "ngc"], ["neigh", "show", "proxy", "dev", "ngc"]] {
                // (The kernel lists a hash table: the order may differ between namespaces.)
                func sorted(_ j: JSON) -> JSON { .array((j.arrayValue ?? []).sorted { ($0["dst"]?.stringValue ?? "") < ($1["dst"]?.stringValue ?? "") }) }
                let a = sorted(try ipJSONOf(ns, args)), b = sorted(try ipJSONOf(twin, args))
                XCTAssertEqual(differencesFromIP(b, a), [], "\(what): \(args)")
                XCTAssertEqual(differencesFromIP(a, b), [], "\(what): \(args), and nothing more")
            }
        }
        try same("after add")
        try v.ok("-n", ns, "neigh", "replace", "10.168.3.1", "--dev", "ngc", "--lladdr", "02:00:00:00:03:99", "--nud", "stale")
        try ip("-n", twin, "neigh", "replace", "10.168.3.1", "lladdr", "02:00:00:00:03:99", "nud", "stale", "dev", "ngc")
        try same("after replace")
        XCTAssertTrue(try ip("-n", ns, "neigh", "show", "10.168.3.1", "dev", "ngc").contains("02:00:00:00:03:99 STALE"))
        // EEXIST names the entry; del of the entry on nga keeps ngb's entry of that address and the proxy one.
        let again = try v.run(["-n", ns, "neigh", "add", "10.168.3.1", "--dev", "ngc", "--lladdr", "02:00:00:00:03:01"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("neigh add 10.168.3.1 dev ngc") && again.stderr.contains("File exists"), again.stderr)
        try ip("-n", ns, "neigh", "add", "proxy", "10.168.1.5", "dev", "nga")
        let before = try ipJSONOf(ns, ["neigh", "show", "nud", "all"])
        try v.ok("-n", ns, "neigh", "del", "10.168.1.5", "--dev", "nga")
        let after = try ipJSONOf(ns, ["neigh", "show", "nud", "all"])
        XCTAssertEqual(after.arrayValue?.count, (before.arrayValue?.count ?? 0) - 1)
        XCTAssertTrue(after.arrayValue?.contains { $0["dst"] == .string("10.168.1.5") && $0["dev"] == .string("ngb") } ?? false, after.text())
        XCTAssertFalse(after.arrayValue?.contains { $0["dst"] == .string("10.168.1.5") && $0["dev"] == .string("nga") } ?? true, after.text())
        XCTAssertEqual(try ipJSONOf(ns, ["neigh", "show", "proxy", "10.168.1.5"]).arrayValue?.count, 1, "the proxy entry of the address stays")
        try v.ok("-n", ns, "neigh", "del", "10.168.1.5", "--dev", "nga", "--proxy")
        XCTAssertEqual(try ipJSONOf(ns, ["neigh", "show", "proxy", "10.168.1.5"]).arrayValue?.count, 0)
        let missing = try v.run(["-n", ns, "neigh", "del", "10.168.1.99", "--dev", "nga"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no neighbour \"10.168.1.99\""), missing.stderr)
    }

    /// A permanent entry steers real frames: with the peer's MAC wrong, pings are lost; replaced
    /// by the right one they come back; deleted, ARP finds the peer again.
    func testPermanentEntrySteersRealFrames() throws {
        let far = "ngf-\(uniqueSuffix())"
        try ip("netns", "add", far)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", far]) }
        try ip("-n", ns, "link", "set", "ngap", "netns", far)
        try ip("-n", far, "link", "set", "ngap", "up")
        try ip("-n", far, "addr", "add", "10.168.1.2/24", "dev", "ngap")
        let mac = try XCTUnwrap(try ipJSONOf(far, ["link", "show", "ngap"]).arrayValue?.first?["address"]?.stringValue)
        func ping() throws -> Bool {
            try runProcess("/usr/sbin/ip", ["netns", "exec", ns, "ping", "-c", "1", "-W", "1", "10.168.1.2"]).status == 0
        }
        try v.ok("-n", ns, "neigh", "add", "10.168.1.2", "--dev", "nga", "--lladdr", "02:00:00:00:00:ee")
        XCTAssertFalse(try ping(), "frames to the wrong MAC are not the peer's")
        try v.ok("-n", ns, "neigh", "replace", "10.168.1.2", "--dev", "nga", "--lladdr", mac)
        XCTAssertTrue(try ping())
        XCTAssertEqual(try ipJSONOf(ns, ["neigh", "show", "10.168.1.2"]).arrayValue?.first?["state"], .array([.string("PERMANENT")]))
        try v.ok("-n", ns, "neigh", "del", "10.168.1.2", "--dev", "nga")
        XCTAssertTrue(try ping(), "ARP resolves the peer once the entry is gone")
        XCTAssertEqual(try ipJSONOf(ns, ["neigh", "show", "10.168.1.2"]).arrayValue?.first?["lladdr"], .string(mac))
    }

    /// Bad input: exit 2, one line naming the value, before any syscall; nothing is made.
    func testBadInputIsRefusedAndNothingIsMade() throws {
        let before = try ipJSONOf(ns, ["neigh", "show", "nud", "all"])
        let cases: [([String], String)] = [
            (["add", "10.168.1.300", "--dev", "nga", "--lladdr", "02:00:00:00:00:01"], "10.168.1.300"),
            (["add", "10.168.1.40", "--dev", "nga", "--lladdr", "02:00:00:00:00"], "02:00:00:00:00"),
            (["add", "10.168.1.40", "--dev", "nga", "--lladdr", "02:00:00:00:00:zz"], "02:00:00:00:00:zz"),
            (["add", "10.168.1.40", "--dev", "nga", "--lladdr", "02:00:00:00:00:01", "--nud", "sleepy"], "sleepy"),
            (["add", "10.168.1.40", "--dev", "nga"], "needs a link-layer address"),
            (["add", "10.168.1.40", "--dev", "nga", "--proxy", "--lladdr", "02:00:00:00:00:01"], "takes no link-layer address"),
            (["add", "10.168.1.40", "--dev", "a/b", "--lladdr", "02:00:00:00:00:01"], "a/b"),
            (["add", "10.168.1.40\u{1b}[2J", "--dev", "nga", "--lladdr", "02:00:00:00:00:01"], "10.168.1.40"),
            (["show", "-4", "-6"], "-4 and -6 exclude each other"), (["show", "--nud", "sleepy"], "sleepy"),
            (["show", "10.168.1.0/33"], "10.168.1.0/33"),
        ]
        for (args, message) in cases {
            let r = try v.run(["-n", ns, "neigh"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertFalse(r.stderr.contains("\u{1b}"), "no terminal escape reaches stderr raw")
        }
        XCTAssertEqual(try ipJSONOf(ns, ["neigh", "show", "nud", "all"]), before)
    }
}
