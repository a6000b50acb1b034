import Foundation
import VethKitJSON
import VethKitTestSupport
import XCTest

/// `link show -d`, `-s` and `-s -s` against `ip -j` with the same flags, key by key: every key
/// iproute2 prints for a veth, a bridge and a bridge port (with options set away from their
/// defaults by `ip`) is in vethctl's JSON with the same value and type.
final class LinkShowFidelityTests: XCTestCase {
    let v = Vethctl()
    /// Bridge and port timers count down on their own between the two reads.
    static let timers: Set<String> = ["gc_timer", "hello_timer", "tcn_timer", "topology_change_timer",
                                      "message_age_timer", "forward_delay_timer", "hold_timer"]

    /// Two namespaces: in A a bridge `lbr` with port `pa` (a veth whose peer `pb` is in B),
    /// addresses on lbr and pb, IPv6 off (no traffic of its own, so the counters hold still).
    func lab() throws -> (a: String, b: String, s: String) {
        try requireKernel()
        let s = uniqueSuffix()
        let (a, b) = ("lfa-\(s)", "lfb-\(s)")
        addTeardownBlock {
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", a])
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", b])
        }
        for ns in [a, b] {
            try ip("netns", "add", ns)
            try ip("netns", "exec", ns, "/usr/sbin/sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        }
        try ip("-n", a, "link", "add", "lbr", "type", "bridge", "forward_delay", "400", "ageing_time", "1000", "priority", "100",
               "group_fwd_mask", "0x4000", "mcast_snooping", "0")
        try ip("-n", a, "link", "add", "pa", "type", "veth", "peer", "name", "pb", "netns", b)
        try ip("-n", a, "link", "set", "pa", "master", "lbr")
        try ip("-n", a, "link", "set", "pa", "type", "bridge_slave", "cost", "7", "priority", "5", "hairpin", "on", "learning", "off")
        try ip("-n", b, "link", "set", "pb", "promisc", "on", "mode", "dormant")
        try ip("-n", a, "addr", "add", "10.160.0.1/24", "dev", "lbr")
        try ip("-n", b, "addr", "add", "10.160.0.2/24", "dev", "pb")
        for (ns, dev) in [(a, "lbr"), (a, "pa"), (b, "pb"), (b, "lo")] { try ip("-n", ns, "link", "set", dev, "up") }
        try waitUntil("pa forwards", timeout: 10) {
            (try? ipJSON("-n", a, "-d", "link", "show", "pa").first?["linkinfo"] as? [String: Any])
                .flatMap { $0["info_slave_data"] as? [String: Any] }?["state"] as? String == "forwarding"
        }
        // Permanent neighbours: no ARP (a probe seconds after the ping would move the counters
        // between the two reads; it did under TCG).
        let brMAC = try XCTUnwrap(try ipJSON("-n", a, "link", "show", "lbr").first?["address"] as? String)
        let pbMAC = try XCTUnwrap(try ipJSON("-n", b, "link", "show", "pb").first?["address"] as? String)
        try ip("-n", b, "neigh", "add", "10.160.0.1", "lladdr", brMAC, "dev", "pb", "nud", "permanent")
        try ip("-n", a, "neigh", "add", "10.160.0.2", "lladdr", pbMAC, "dev", "lbr", "nud", "permanent")
        // Some traffic, so the counters are not all zero.
        let ping = try runProcess("/usr/sbin/ip", ["netns", "exec", b, "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.160.0.1"])
        XCTAssertEqual(ping.status, 0, ping.stdout + ping.stderr)
        return (a, b, s)
    }

    func compare(_ ns: String, _ flags: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let theirs = try runProcess("/usr/sbin/ip", ["-j"] + flags + ["-n", ns, "link", "show"])
        XCTAssertEqual(theirs.status, 0, theirs.stderr, file: file, line: line)
        let mine = try v.run(["-n", ns, "link", "show", "--json"] + flags)
        XCTAssertEqual(mine.status, 0, mine.stderr, file: file, line: line)
        let t = try JSON.parse(theirs.stdout), o = try JSON.parse(mine.stdout)
        let diffs = differencesFromIP(t, o, typeOnly: Self.timers)
        XCTAssertEqual(diffs, [], "ip -j \(flags.joined(separator: " ")) link show in \(ns)", file: file, line: line)
        // Not vacuous: ip printed the keys this test is about.
        XCTAssertGreaterThan(t.arrayValue?.count ?? 0, 1, file: file, line: line)
    }

    func testDetailsMatchIP() throws {
        let (a, b, _) = try lab()
        try compare(a, ["-d"])
        try compare(b, ["-d"])
        let br = try JSON.parse(try v.ok("-n", a, "link", "show", "lbr", "-d", "--json")).arrayValue?.first
        XCTAssertEqual(br?["linkinfo"]?["info_data"]?["forward_delay"]?.intValue, 400)
        XCTAssertEqual(br?["linkinfo"]?["info_data"]?["group_fwd_mask"]?.stringValue, "0x4000")
        let pa = try JSON.parse(try v.ok("-n", a, "link", "show", "pa", "-d", "--json")).arrayValue?.first
        XCTAssertEqual(pa?["linkinfo"]?["info_slave_data"]?["cost"]?.intValue, 7)
        XCTAssertEqual(pa?["linkinfo"]?["info_slave_data"]?["hairpin"]?.boolValue, true)
        XCTAssertEqual(pa?["promiscuity"]?.intValue, 1)
        let pb = try JSON.parse(try v.ok("-n", b, "link", "show", "pb", "-d", "--json")).arrayValue?.first
        XCTAssertEqual(pb?["linkmode"]?.stringValue, "DORMANT")
        XCTAssertEqual(pb?["promiscuity"]?.intValue, 1)
        // Text: the DETAILS column names the port's state and the promiscuity.
        let text = try v.ok("-n", a, "link", "show", "-d")
        let row = text.split(separator: "\n").first { $0.contains("pa@") }.map(String.init) ?? ""
        XCTAssertTrue(row.contains("bridge_port state forwarding priority 5 cost 7 learning off"), text)
        XCTAssertTrue(row.contains("promiscuity 1"), text)
    }

    func testStatisticsMatchIP() throws {
        let (a, b, _) = try lab()
        for ns in [a, b] {
            try compare(ns, ["-s"])
            try compare(ns, ["-s", "-s"])
            try compare(ns, ["-d", "-s"])
        }
        // The counters are real: pb sent the three echo requests (and ARP).
        let pb = try JSON.parse(try v.ok("-n", b, "link", "show", "pb", "-s", "-s", "--json")).arrayValue?.first
        XCTAssertGreaterThanOrEqual(pb?["stats64"]?["tx"]?["packets"]?.intValue ?? 0, 3)
        XCTAssertNotNil(pb?["stats64"]?["tx"]?["carrier_changes"]?.intValue)
        // Text -s: the RX/TX columns are ip's counters.
        let theirs = try ipJSON("-s", "-n", b, "link", "show", "pb").first
        let stats = theirs?["stats64"] as? [String: [String: Any]]
        let table = try v.ok("-n", b, "link", "show", "pb", "-s").split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        XCTAssertEqual(table.count, 2)
        let cells = table.last ?? []
        XCTAssertTrue(cells.contains("\(stats?["tx"]?["packets"] ?? -1)"), "\(cells) vs \(stats ?? [:])")
        XCTAssertTrue(cells.contains("\(stats?["rx"]?["bytes"] ?? -1)"), "\(cells) vs \(stats ?? [:])")
    }
}
