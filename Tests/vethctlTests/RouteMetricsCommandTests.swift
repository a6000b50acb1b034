import Foundation
import VethKitJSON
import VethKitTestSupport
import XCTest

/// Route metrics (`mtu lock 1400`, `advmss`, `initcwnd`, `congctl`…), nexthop objects (`nhid`) and
/// IPv6 expiry: shown as `ip -j route` shows them, added as `ip route add` adds them, and a metric
/// that really reaches packets (the hop limit of the replies).
final class RouteMetricsCommandTests: XCTestCase {
    let v = Vethctl()
    var ns = ""

    /// Every metric ip route add takes, once with ip.
    static let allMetrics = "mtu lock 1400 advmss 1300 initcwnd 10 window 5000 rtt 20ms rttvar 5ms ssthresh 7 reordering 3 hoplimit 5 features ecn rto_min 50ms initrwnd 9 quickack 1 congctl cubic fastopen_no_cookie 1 cwnd 11"
    /// The same with vethctl's options.
    static let allMetricOptions = ["--mtu", "1400", "--lock", "mtu", "--advmss", "1300", "--initcwnd", "10", "--window", "5000", "--rtt", "20ms",
                                   "--rttvar", "5ms", "--ssthresh", "7", "--reordering", "3", "--hoplimit", "5", "--ecn", "--rto-min", "50ms",
                                   "--initrwnd", "9", "--quickack", "1", "--congctl", "cubic", "--fastopen-no-cookie", "1", "--cwnd", "11"]

    override func setUpWithError() throws {
        try requireKernel()
        ns = "rm-\(uniqueSuffix())"
        try ip("netns", "add", ns)
        try ip("netns", "exec", ns, "/usr/sbin/sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
        let setup = """
            link add rma type veth peer name rmap
            link add rmb type veth peer name rmbp
            link set rma up
            link set rmap up
            link set rmb up
            link set rmbp up
            addr add 10.164.1.1/24 dev rma
            addr add 10.164.2.1/24 dev rmb
            -6 addr add fd64:1::1/64 dev rma nodad
            route add 10.164.10.0/24 via 10.164.1.2 dev rma \(Self.allMetrics)
            route add 10.164.11.0/24 via 10.164.1.2 congctl lock reno
            route add 10.164.12.0/24 dev rmb mtu 1280
            -6 route add fd64:9::/64 via fd64:1::2 dev rma mtu 1380 hoplimit 9 advmss 1320
            nexthop add id 164 via 10.164.1.2 dev rma
            nexthop add id 165 via 10.164.2.2 dev rmb
            nexthop add id 166 group 164/165
            route add 10.164.20.0/24 nhid 166
            route add 10.164.21.0/24 nhid 164
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

    func ipJSONOf(_ args: String...) throws -> JSON { try iproute2JSON(namespace: ns, args) }

    func routeJSON(_ dst: String, _ j: JSON) -> JSON? {
        j.arrayValue?.first { $0["dst"]?.stringValue == dst }
    }

    /// Every route ip made, with its metrics and nexthop object, key by key as `ip -j route`.
    func testMetricsAndNexthopObjectsAreShownAsIPShowsThem() throws {
        for family in ["-4", "-6"] {
            let theirs = try ipJSONOf(family, "route", "show")
            let mine = try JSON.parse(try v.ok("-n", ns, "route", "show", family, "--json"))
            XCTAssertEqual(differencesFromIP(theirs, mine), [], "route show \(family)")
        }
        let mine = try JSON.parse(try v.ok("-n", ns, "route", "show", "--json"))
        // What the comparison covered (so that it cannot pass on empty metrics):
        let m = try XCTUnwrap(routeJSON("10.164.10.0/24", mine)?["metrics"]?.arrayValue?.first)
        XCTAssertEqual(m["mtu"], .int(1400))
        XCTAssertEqual(m["rtt"], .int(20))
        XCTAssertEqual(m["rttvar"], .int(5))
        XCTAssertEqual(m["congestion"], .string("cubic"))
        XCTAssertEqual(m["ecn"], .null)
        XCTAssertEqual(m["cwnd"], .int(11))
        XCTAssertEqual(routeJSON("10.164.11.0/24", mine)?["metrics"]?.arrayValue?.first?["congestion"], .string("reno"))
        XCTAssertEqual(routeJSON("fd64:9::/64", mine)?["metrics"]?.arrayValue?.first?["hoplimit"], .int(9))
        XCTAssertEqual(routeJSON("10.164.20.0/24", mine)?["nhid"], .int(166))
        XCTAssertEqual(routeJSON("10.164.20.0/24", mine)?["nexthops"]?.arrayValue?.count, 2)
        XCTAssertEqual(routeJSON("10.164.21.0/24", mine)?["gateway"], .string("10.164.1.2"))
        // The text: the metrics line has ip's words, lock included.
        let text = try v.ok("-n", ns, "route", "show", "-4")
        let ipLine = try ip("-n", ns, "route", "show", "10.164.10.0/24").split(whereSeparator: \.isWhitespace).map(String.init)
        let metricWords = Array(ipLine.drop { $0 != "mtu" })
        XCTAssertTrue(text.contains("    " + metricWords.joined(separator: " ")), "\(metricWords) in\n\(text)")
        XCTAssertTrue(text.contains("    congctl lock reno"), text)
        XCTAssertTrue(text.contains("    nhid 166"), text)
        XCTAssertTrue(text.contains("    nhid 164"), text)
    }

    /// vethctl's options make the very route `ip route add` makes with the same words (compared in
    /// tables of their own); replace changes the metrics; `--nhid` uses a nexthop object.
    func testAddAndReplaceWithMetricsMakeWhatIPMakes() throws {
        try ip(["-n", ns, "route", "add", "10.164.30.0/24", "via", "10.164.1.2", "table", "101"] + Self.allMetrics.split(separator: " ").map(String.init))
        try v.ok(["-n", ns, "route", "add", "10.164.30.0/24", "--via", "10.164.1.2", "--table", "100"] + Self.allMetricOptions)
        let theirs = try ipJSONOf("route", "show", "table", "101")
        let mine = try ipJSONOf("route", "show", "table", "100")
        XCTAssertEqual(differencesFromIP(theirs, mine, ignoring: ["table"]), [])
        XCTAssertEqual(differencesFromIP(mine, theirs, ignoring: ["table"]), [], "and nothing more")
        XCTAssertEqual(routeJSON("10.164.30.0/24", mine)?["metrics"]?.arrayValue?.first?["initcwnd"], .int(10))
        // The text shows the locks JSON leaves out (mtu, and rto_min, which ip locks itself).
        XCTAssertEqual(try ip("-n", ns, "route", "show", "table", "100"), try ip("-n", ns, "route", "show", "table", "101"))
        XCTAssertTrue(try ip("-n", ns, "route", "show", "table", "100").contains("mtu lock 1400"))
        // Replace: the new metrics only.
        try v.ok("-n", ns, "route", "replace", "10.164.30.0/24", "--via", "10.164.1.2", "--table", "100", "--mtu", "1300", "--hoplimit", "3")
        let replaced = try ipJSONOf("route", "show", "table", "100")
        XCTAssertEqual(routeJSON("10.164.30.0/24", replaced)?["metrics"], .array([.object(["mtu": .int(1300), "hoplimit": .int(3)])]), replaced.text())
        // A nexthop object, and an IPv6 route with metrics.
        try v.ok("-n", ns, "route", "add", "10.164.31.0/24", "--nhid", "165")
        XCTAssertEqual(routeJSON("10.164.31.0/24", try ipJSONOf("route", "show"))?["nhid"], .int(165))
        try v.ok("-n", ns, "route", "add", "fd64:31::/64", "--via", "fd64:1::2", "--mtu", "1400", "--lock", "mtu", "--advmss", "1340")
        try ip("-n", ns, "-6", "route", "add", "fd64:31::/64", "via", "fd64:1::2", "table", "101", "mtu", "lock", "1400", "advmss", "1340")
        XCTAssertEqual(differencesFromIP(try ipJSONOf("-6", "route", "show", "table", "101"), try ipJSONOf("-6", "route", "show", "fd64:31::/64"),
                                         ignoring: ["table"]), [])
        XCTAssertEqual(try ip("-n", ns, "-6", "route", "show", "fd64:31::/64").contains("mtu lock 1400"), true)
    }

    /// Bad metrics are refused before any syscall (exit 2, one line naming the value), and the
    /// kernel's refusal of an unknown algorithm is one clear line; nothing is made either way.
    func testBadMetricsAreRefusedAndNothingIsMade() throws {
        let base = ["-n", ns, "route", "add", "10.164.40.0/24", "--via", "10.164.1.2"]
        let cases: [([String], String)] = [
            (["--rtt", "20"], "is not a time with a unit"), (["--rtt=-5ms"], "is not a time with a unit"),
            (["--rto-min", "1e30s"], "is not a time with a unit"), (["--lock", "speed"], "is not a metric"),
            (["--hoplimit", "256"], "is over 255"), (["--quickack", "2"], "is not 0 or 1"),
            (["--congctl", "cu\u{1}bic"], "is not a congestion control name"),
            (["--congctl", String(repeating: "c", count: 16)], "is not a congestion control name"),
            (["--mtu", "4294967296"], "4294967296"), (["--nhid", "0"], "is not a nexthop object id"),
            (["--nhid", "164"], "give none here"),
        ]
        for (extra, message) in cases {
            let r = try v.run(base + extra)
            XCTAssertEqual(r.status, 2, "\(extra): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(extra): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        let unknown = try v.run(base + ["--congctl", "nosuchcc"])
        XCTAssertEqual(unknown.status, 1, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("Unknown tcp congestion algorithm"), unknown.stderr)
        XCTAssertEqual(try ip("-n", ns, "route", "show", "10.164.40.0/24"), "")
    }

    /// The hop limit metric reaches packets: replies from the far namespace leave with the TTL
    /// its route to us gives, and with the default once the route is replaced without it.
    func testHoplimitMetricSetsTheTTLOfRealPackets() throws {
        let far = "rmf-\(uniqueSuffix())"
        try ip("netns", "add", far)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", far]) }
        try ip("-n", ns, "link", "set", "rmap", "netns", far)
        try ip("-n", far, "link", "set", "rmap", "up")
        try ip("-n", far, "addr", "add", "10.164.1.2/24", "dev", "rmap")
        func replyTTL() throws -> String {
            let r = try runProcess("/usr/sbin/ip", ["netns", "exec", ns, "ping", "-c", "1", "-W", "2", "10.164.1.2"])
            XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
            return r.stdout.split(separator: " ").first { $0.hasPrefix("ttl=") }.map(String.init) ?? r.stdout
        }
        XCTAssertEqual(try replyTTL(), "ttl=64")
        try v.ok("-n", far, "route", "add", "10.164.1.1/32", "--dev", "rmap", "--hoplimit", "7")
        XCTAssertEqual(try replyTTL(), "ttl=7")
        try v.ok("-n", far, "route", "replace", "10.164.1.1/32", "--dev", "rmap", "--hoplimit", "33")
        XCTAssertEqual(try replyTTL(), "ttl=33")
        try v.ok("-n", far, "route", "del", "10.164.1.1/32", "--dev", "rmap")
        XCTAssertEqual(try replyTTL(), "ttl=64")
    }

    /// An IPv6 route that expires shows the seconds left, as ip does (read within 2 s of ip's).
    func testExpiresCountsDownAsIPShowsIt() throws {
        try ip("-n", ns, "-6", "route", "add", "fd64:50::/64", "via", "fd64:1::2", "expires", "300")
        let theirs = try ipJSONOf("-6", "route", "show", "fd64:50::/64")
        let mine = try JSON.parse(try v.ok("-n", ns, "route", "show", "fd64:50::/64", "--json"))
        XCTAssertEqual(differencesFromIP(theirs, mine, typeOnly: ["expires"]), [])
        let t = try XCTUnwrap(theirs.arrayValue?.first?["expires"]?.intValue)
        let m = try XCTUnwrap(mine.arrayValue?.first?["expires"]?.intValue)
        XCTAssertTrue((t - 2)...t ~= m && t > 290, "expires: vethctl \(m), ip \(t)")
        let text = try v.ok("-n", ns, "route", "show", "fd64:50::/64")
        XCTAssertTrue(text.contains("    expires \(m)sec") || text.contains("    expires \(m - 1)sec"), text)
    }
}
