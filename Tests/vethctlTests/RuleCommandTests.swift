import Foundation
import VethKitJSON
import VethKitTestSupport
import XCTest

/// `vethctl rule`: shown as `ip -j rule show`, added as `ip rule add` adds, deleted only when it is
/// the rule named, refused before any syscall on bad input, and steering real packets.
final class RuleCommandTests: XCTestCase {
    let v = Vethctl()
    var namespaces: [String] = []

    override func setUpWithError() throws { try requireKernel() }

    override func tearDownWithError() throws {
        for ns in namespaces { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns]) }
    }

    /// A new namespace with loopback up, deleted in tearDown.
    func namespace() throws -> String {
        let ns = "ru-\(uniqueSuffix())"
        try ip("netns", "add", ns)
        namespaces.append(ns)
        try ip("-n", ns, "link", "set", "lo", "up")
        return ns
    }

    func run(_ ns: String, _ lines: String) throws {
        for line in lines.split(separator: "\n") where !line.isEmpty {
            let r = try runProcess("/usr/sbin/ip", ["-n", ns] + line.split(separator: " ").map(String.init))
            XCTAssertEqual(r.status, 0, "ip \(line): \(r.stderr)")
        }
    }

    func ipJSON(_ ns: String, _ args: String...) throws -> JSON {
        let r = try runProcess("/usr/sbin/ip", ["-j", "-n", ns] + args)
        XCTAssertEqual(r.status, 0, "ip \(args): \(r.stderr)")
        return try JSON.parse(r.stdout.isEmpty ? "[]" : r.stdout)
    }

    func rule(_ j: JSON, priority: Int) -> JSON? { j.arrayValue?.first { $0["priority"] == .int(Int64(priority)) } }

    /// Every selector and action ip rule takes, key by key as `ip -j rule show` (IPv4 and IPv6).
    func testShowIsAsIPShows() throws {
        let ns = try namespace()
        try run(ns, """
            link add ru0 type veth peer name ru1
            rule add from 10.166.0.0/16 table 7 prio 100
            rule add fwmark 0x5/0xff lookup 8 prio 99
            rule add to 10.167.0.0/16 iif ru0 prohibit prio 98
            rule add not from 10.166.3.0/24 oif ru1 ipproto tcp dport 80-90 sport 5 uidrange 10-20 table 9 suppress_prefixlength 0 protocol static prio 97
            rule add priority 5 goto 100
            rule add from all lookup main tos 0x10 priority 200
            rule add sport 10-20 dport 30 ipproto udp prio 11 nop
            rule add l3mdev prio 12
            rule add prio 13 blackhole
            rule add prio 14 unreachable
            rule add prio 15 goto 999
            rule add prio 16 suppress_ifgroup 5 table main
            rule add prio 17 iif runosuch table 300
            rule add prio 18 from 10.166.9.1 to 10.167.9.9/32 fwmark 7 table 1000
            -6 rule add from fd66::/16 to fd67::1 table 8 prio 50
            -6 rule add fwmark 0x10 ipproto ipv6-icmp blackhole prio 51
            """)
        for family in ["-4", "-6"] {
            let theirs = try ipJSON(ns, family, "rule", "show")
            let mine = try JSON.parse(try v.ok("-n", ns, "rule", "show", family, "--json"))
            XCTAssertEqual(differencesFromIP(theirs, mine), [], "rule show \(family)")
            XCTAssertEqual(theirs.arrayValue?.count, mine.arrayValue?.count)
        }
        // Without -4/-6: IPv4 only, as ip rule.
        XCTAssertEqual(try JSON.parse(try v.ok("-n", ns, "rule", "--json")), try ipJSON(ns, "rule"))
        // What the comparison covered, so that it cannot pass on empty output:
        let mine = try JSON.parse(try v.ok("-n", ns, "rule", "show", "--json"))
        XCTAssertEqual(rule(mine, priority: 97)?["uid_end"], .int(20))
        XCTAssertEqual(rule(mine, priority: 97)?["not"], .null)
        XCTAssertEqual(rule(mine, priority: 97)?["dport_start"], .int(80))
        XCTAssertEqual(rule(mine, priority: 99)?["fwmask"], .string("0xff"))
        XCTAssertEqual(rule(mine, priority: 98)?["action"], .string("prohibit"))
        XCTAssertEqual(rule(mine, priority: 5)?["goto"], .int(100))
        XCTAssertEqual(rule(mine, priority: 18)?["table"], .string("1000"))
        XCTAssertEqual(rule(mine, priority: 0)?["table"], .string("local"))
        let text = try v.ok("-n", ns, "rule")
        XCTAssertTrue(text.hasPrefix("PRIORITY"), text)
        XCTAssertTrue(text.contains("fwmark 0x5/0xff"), text)
    }

    /// The same words through ip (one namespace) and vethctl (another) make the same rules.
    func testAddMakesWhatIPMakes() throws {
        let cases: [(ip: String, vethctl: [String])] = [
            ("from 10.166.0.0/16 table 7 prio 100", ["--from", "10.166.0.0/16", "--table", "7", "--priority", "100"]),
            ("fwmark 0x5/0xff lookup 8 prio 101", ["--fwmark", "0x5/0xff", "--table", "8", "--priority", "101"]),
            ("fwmark 9 lookup 8 prio 102", ["--fwmark", "9", "--table", "8", "--priority", "102"]),
            ("to 10.167.0.0/16 iif ru0 prohibit prio 103", ["--to", "10.167.0.0/16", "--iif", "ru0", "--action", "prohibit", "--priority", "103"]),
            ("not from 10.166.3.0/24 oif ru1 ipproto tcp dport 80-90 sport 5 uidrange 10-20 table 9 suppress_prefixlength 0 protocol static prio 104",
             ["--not", "--from", "10.166.3.0/24", "--oif", "ru1", "--ipproto", "tcp", "--dport", "80-90", "--sport", "5", "--uidrange", "10-20",
              "--table", "9", "--suppress-prefixlength", "0", "--protocol", "static", "--priority", "104"]),
            ("priority 5 goto 100", ["--priority", "5", "--goto", "100"]),
            ("from all lookup main tos 0x10 priority 200", ["--from", "all", "--tos", "0x10", "--priority", "200"]),
            ("prio 201 nop", ["--priority", "201", "--action", "nop"]),
            ("prio 202 blackhole", ["--priority", "202", "--action", "blackhole"]),
            ("prio 203 unreachable from 10.166.5.5", ["--priority", "203", "--action", "unreachable", "--from", "10.166.5.5"]),
            ("prio 204 table 70000 suppress_ifgroup 3", ["--priority", "204", "--table", "70000", "--suppress-ifgroup", "3"]),
            ("prio 205 l3mdev", ["--priority", "205", "--l3mdev"]),
            ("to 10.167.1.0/24", ["--to", "10.167.1.0/24"]),   // no priority: the kernel picks one, for both alike
        ]
        let six: [(ip: String, vethctl: [String])] = [
            ("from fd66::/16 to fd67::1 table 8 prio 50", ["-6", "--from", "fd66::/16", "--to", "fd67::1", "--table", "8", "--priority", "50"]),
            ("fwmark 0x10 ipproto ipv6-icmp blackhole prio 51", ["-6", "--fwmark", "0x10", "--ipproto", "icmpv6", "--action", "blackhole", "--priority", "51"]),
            ("table 9 prio 52", ["-6", "--table", "9", "--priority", "52"]),
        ]
        let (a, b) = (try namespace(), try namespace())
        for ns in [a, b] { try run(ns, "link add ru0 type veth peer name ru1") }
        for c in cases { try run(a, "rule add " + c.ip) }
        for c in six { try run(a, "-6 rule add " + c.ip) }
        for c in cases + six { _ = try v.ok(["-n", b, "rule", "add"] + c.vethctl) }
        for family in ["-4", "-6"] {
            let theirs = try ipJSON(a, "-d", family, "rule", "show"), mine = try ipJSON(b, "-d", family, "rule", "show")
            XCTAssertEqual(theirs, mine, "rules made by ip and vethctl (\(family))")
            XCTAssertEqual(theirs.arrayValue?.count, family == "-4" ? cases.count + 3 : six.count + 2)
        }
        // And deleting them by the same words leaves the defaults only.
        for c in cases + six { _ = try v.ok(["-n", b, "rule", "del"] + c.vethctl) }
        XCTAssertEqual(try ipJSON(b, "rule").arrayValue?.count, 3)
        XCTAssertEqual(try ipJSON(b, "-6", "rule").arrayValue?.count, 2)
    }

    /// The user's own rules (made with ip first, same priority and table) survive vethctl's add and
    /// del of other rules; a del the kernel would apply to the user's rule is refused.
    func testDelTouchesOnlyTheRuleNamed() throws {
        let ns = try namespace()
        try run(ns, """
            rule add prio 100 fwmark 5 table 8
            rule add prio 110 from 10.166.1.0/24 table 8
            """)
        let users = try ipJSON(ns, "rule").arrayValue!.filter { $0["priority"] == .int(100) || $0["priority"] == .int(110) }
        XCTAssertEqual(users.count, 2)
        _ = try v.ok("-n", ns, "rule", "add", "--priority", "100", "--table", "8")
        _ = try v.ok("-n", ns, "rule", "add", "--priority", "111", "--from", "10.166.1.0/24", "--table", "8")
        // The kernel would delete the user's prio 100 fwmark rule first (it matches "prio 100 table 8").
        let r = try v.run(["-n", ns, "rule", "del", "--priority", "100", "--table", "8"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("nothing deleted"), r.stderr)
        XCTAssertEqual(try ipJSON(ns, "rule").arrayValue!.filter { $0["priority"] == .int(100) }.count, 2)
        // Two rules alike but for the priority: without one, refused.
        let r2 = try v.run(["-n", ns, "rule", "del", "--from", "10.166.1.0/24", "--table", "8"])
        XCTAssertEqual(r2.status, 1, r2.stderr)
        // Named exactly: only ours goes.
        _ = try v.ok("-n", ns, "rule", "del", "--priority", "111", "--from", "10.166.1.0/24", "--table", "8")
        // No such rule: not found, nothing deleted.
        let r3 = try v.run(["-n", ns, "rule", "del", "--priority", "110", "--from", "10.166.2.0/24"])
        XCTAssertEqual(r3.status, 1, r3.stderr)
        let after = try ipJSON(ns, "rule").arrayValue!.filter { $0["priority"] == .int(100) || $0["priority"] == .int(110) }
        XCTAssertEqual(after.filter { $0["fwmark"] != nil || $0["src"] != .string("all") }, users)
        XCTAssertNil(try ipJSON(ns, "rule").arrayValue!.first { $0["priority"] == .int(111) })
    }

    /// A `--from` rule sends the packets of one source to another table, whose route leads to a
    /// second namespace: the ping answered only there, and `rule del` puts the path back.
    func testRuleSteersRealPackets() throws {
        let (a, b, c) = (try namespace(), try namespace(), try namespace())
        try run(a, """
            link add rub type veth peer name rubp netns \(b)
            link add ruc type veth peer name rucp netns \(c)
            link set rub up
            link set ruc up
            addr add 10.166.1.1/24 dev rub
            addr add 10.166.2.1/24 dev ruc
            addr add 10.166.9.1/32 dev lo
            route add 10.167.0.0/24 via 10.166.1.2
            route add 10.167.0.0/24 via 10.166.2.2 table 100
            """)
        try run(b, "link set rubp up\naddr add 10.166.1.2/24 dev rubp\nroute add 10.166.0.0/16 via 10.166.1.1")
        try run(c, "link set rucp up\naddr add 10.166.2.2/24 dev rucp\naddr add 10.167.0.1/32 dev lo\nroute add 10.166.0.0/16 via 10.166.2.1")
        func ping(_ source: String) throws -> Int32 {
            try runProcess("/usr/sbin/ip", ["netns", "exec", a, "ping", "-c1", "-W2", "-I", source, "10.167.0.1"]).status
        }
        XCTAssertNotEqual(try ping("10.166.9.1"), 0, "the main table leads to \(b), which does not have 10.167.0.1")
        _ = try v.ok("-n", a, "rule", "add", "--from", "10.166.9.1", "--table", "100", "--priority", "100")
        XCTAssertEqual(try ping("10.166.9.1"), 0, "the rule sends 10.166.9.1's packets by table 100 to \(c)")
        XCTAssertNotEqual(try ping("10.166.1.1"), 0, "another source is not selected")
        _ = try v.ok("-n", a, "rule", "del", "--from", "10.166.9.1", "--table", "100", "--priority", "100")
        XCTAssertNotEqual(try ping("10.166.9.1"), 0, "rule del restores the path")
    }

    /// The fwmark selector on real packets: ping -m MARK takes table 100 only with the mark.
    func testFwmarkRuleSteersMarkedPackets() throws {
        let (a, c) = (try namespace(), try namespace())
        try run(a, """
            link add ruc type veth peer name rucp netns \(c)
            link set ruc up
            addr add 10.166.2.1/24 dev ruc
            route add 10.167.0.0/24 via 10.166.2.2 table 100
            """)
        try run(c, "link set rucp up\naddr add 10.166.2.2/24 dev rucp\naddr add 10.167.0.1/32 dev lo")
        func ping(_ mark: String) throws -> Int32 {
            try runProcess("/usr/sbin/ip", ["netns", "exec", a, "ping", "-c1", "-W2", "-m", mark, "10.167.0.1"]).status
        }
        XCTAssertNotEqual(try ping("7"), 0)
        _ = try v.ok("-n", a, "rule", "add", "--fwmark", "0x7/0xff", "--table", "100", "--priority", "90")
        XCTAssertEqual(try ping("7"), 0, "marked packets take table 100")
        XCTAssertNotEqual(try ping("8"), 0, "other marks do not")
        _ = try v.ok("-n", a, "rule", "del", "--fwmark", "0x7/0xff", "--table", "100", "--priority", "90")
        XCTAssertNotEqual(try ping("7"), 0)
    }

    /// Bad input: exit 2, one line naming the value, no rule made.
    func testBadInputIsRefusedBeforeAnySyscall() throws {
        let ns = try namespace()
        let before = try ipJSON(ns, "rule")
        let refusals: [([String], String)] = [
            (["add", "--from", "10.166.0.0/33"], "10.166.0.0/33"),
            (["add", "--from", "10.166.0.1/16"], "host bits"),
            (["add", "--from", "notacidr"], "notacidr"),
            (["add", "--from", "fd66::/64", "--to", "10.166.0.0/16"], "10.166.0.0/16"),
            (["add", "-6", "--from", "10.166.0.0/16"], "10.166.0.0/16"),
            (["add", "--sport", "90-80"], "90-80"),
            (["add", "--dport", "0"], "0"),
            (["add", "--dport", "65536"], "65536"),
            (["add", "--uidrange", "20-10"], "20-10"),
            (["add", "--uidrange", "10"], "\"10\""),
            (["add", "--action", "frob"], "frob"),
            (["add", "--table", "nosuchtable"], "nosuchtable"),
            (["add", "--table", "8", "--goto", "100"], "--goto"),
            (["add", "--priority", "100", "--goto", "50"], "50"),
            (["add", "--priority", "99999999999"], "99999999999"),
            (["add", "--fwmark", "0x100000000"], "0x100000000"),
            (["add", "--fwmark", "0x5/0x1"], "0x5/0x1"),
            (["add", "--tos", "3"], "3"),
            (["add", "--ipproto", "frob"], "frob"),
            (["add", "--iif", "ru\u{1}x"], "\\u{1}"),
            (["add", "--iif", "ruaveryveryverylongname"], "ruaveryveryverylongname"),
            (["add", "--protocol", "300"], "300"),
            (["add", "--l3mdev", "--table", "8"], "l3mdev"),
            (["add", "--suppress-prefixlength", "33"], "33"),
            (["del"], "name the rule"),
        ]
        for (args, mentions) in refusals {
            let r = try v.run(["-n", ns, "rule"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(mentions), "\(args): \(r.stderr) should name \(mentions)")
        }
        XCTAssertEqual(try ipJSON(ns, "rule"), before, "nothing made")
    }
}
