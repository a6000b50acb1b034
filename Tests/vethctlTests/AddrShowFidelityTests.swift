import Foundation
import VethKitJSON
import VethKitTestSupport
import XCTest

/// `addr show` against `ip -j addr show`, key by key: every link (those without an address too),
/// the link-level keys, and per address family, local, peer, prefix, broadcast, scope, label,
/// the flags by name (`secondary`, `dynamic`, `nodad`, `noprefixroute`, `tentative`…) and the
/// lifetimes.
final class AddrShowFidelityTests: XCTestCase {
    let v = Vethctl()

    func testEveryAddressAndLinkMatchesIP() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let ns = "afa-\(s)"
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns]) }
        try ip("netns", "add", ns)
        // No duplicate address detection: a `tentative` flag that clears between ip's read and
        // vethctl's (it did in the VM) would make the comparison a race.
        try ip("netns", "exec", ns, "/usr/sbin/sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
        try ip("-n", ns, "link", "add", "aa", "type", "veth", "peer", "name", "ab")
        try ip("-n", ns, "link", "add", "abr", "type", "bridge")  // no address at all
        for dev in ["aa", "ab", "lo"] { try ip("-n", ns, "link", "set", dev, "up") }
        try ip("-n", ns, "addr", "add", "10.161.0.1/24", "dev", "aa", "broadcast", "+")
        try ip("-n", ns, "addr", "add", "10.161.0.2/24", "dev", "aa")  // secondary
        try ip("-n", ns, "addr", "add", "10.161.0.3/24", "dev", "aa", "valid_lft", "100", "preferred_lft", "50")  // dynamic
        try ip("-n", ns, "addr", "add", "10.161.1.1", "peer", "10.161.1.2/32", "dev", "aa", "label", "aa:p")
        try ip("-n", ns, "addr", "add", "fd00:161::1/64", "dev", "aa", "nodad")
        try ip("-n", ns, "addr", "add", "fd00:161:1::1/64", "dev", "aa", "noprefixroute", "nodad")
        try ip("-n", ns, "addr", "add", "fd00:161:2::1/64", "dev", "ab", "valid_lft", "300", "preferred_lft", "0")  // deprecated
        // The remaining lifetimes count down between the two reads: compared apart, within 2 s.
        let lifetimes: Set<String> = ["valid_life_time", "preferred_life_time"]
        for args in [[String](), ["dev", "aa"]] {
            let theirs = try JSON.parse(try runProcess("/usr/sbin/ip", ["-j", "-n", ns, "addr", "show"] + args).stdout)
            let mine = try JSON.parse(try v.ok(["-n", ns, "addr", "show", "--json"] + (args.isEmpty ? [] : ["--dev", args[1]])))
            XCTAssertEqual(differencesFromIP(theirs, mine, typeOnly: lifetimes), [], "addr show \(args)")
            let t = theirs.arrayValue ?? [], m = mine.arrayValue ?? []
            XCTAssertEqual(t.count, args.isEmpty ? 4 : 1, "\(theirs.text())")
            for (tl, ml) in zip(t, m) {
                for (ta, ma) in zip(tl["addr_info"]?.arrayValue ?? [], ml["addr_info"]?.arrayValue ?? []) {
                    for key in lifetimes {
                        let x = ta[key]?.intValue ?? -1, y = ma[key]?.intValue ?? -100
                        XCTAssertLessThanOrEqual(abs(x - y), 2, "\(key) of \(ta["local"]?.text() ?? "")")
                    }
                }
            }
        }
        let aa = try JSON.parse(try v.ok("-n", ns, "addr", "show", "--dev", "aa", "--json")).arrayValue?.first
        let info = aa?["addr_info"]?.arrayValue ?? []
        func flags(_ local: String) -> JSON? { info.first { $0["local"]?.stringValue == local } }
        XCTAssertEqual(flags("10.161.0.2")?["secondary"]?.boolValue, true)
        XCTAssertEqual(flags("10.161.0.3")?["dynamic"]?.boolValue, true)
        XCTAssertEqual(flags("10.161.0.3")?["valid_life_time"]?.intValue ?? 0, 100, accuracy: 3)
        XCTAssertEqual(flags("fd00:161:1::1")?["noprefixroute"]?.boolValue, true)
        XCTAssertEqual(flags("10.161.1.1")?["address"]?.stringValue, "10.161.1.2")
        // Text: the bridge without an address has its row; flags and lifetimes are shown.
        let rows = try v.ok("-n", ns, "addr", "show").split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertTrue(rows.contains(["abr", "-", "-", "-", "-", "-", "-"]), "\(rows)")
        XCTAssertTrue(rows.contains(["aa", "inet", "10.161.0.2/24", "global", "secondary", "forever", "forever"]), "\(rows)")
        XCTAssertTrue(rows.contains { $0.prefix(5) == ["aa", "inet", "10.161.0.3/24", "global", "secondary,dynamic"] }, "\(rows)")
        XCTAssertTrue(rows.contains(["aa", "inet", "10.161.1.1", "peer", "10.161.1.2/32", "global", "-", "forever", "forever"]), "\(rows)")
    }
}
