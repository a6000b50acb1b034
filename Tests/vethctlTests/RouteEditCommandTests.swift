import Foundation
import VethKitTestSupport
import XCTest

/// `vethctl route add|del` for every route type, multipath, `--src`, `--onlink`, `--scope`,
/// `--protocol` and `--table`: two namespaces with the same links, one given each route by `ip`,
/// the other by vethctl; `ip -j route show table all` must then print the same in both, key by
/// key, after the adds and again after the deletes. The user's own routes of the same prefixes
/// (another table, another type) are left as they were.
final class RouteEditCommandTests: XCTestCase {
    let v = Vethctl()
    var byIP = ""
    var byVethctl = ""

    override func setUpWithError() throws {
        try requireKernel()
        let s = uniqueSuffix()
        byIP = "re-ip-\(s)"
        byVethctl = "re-v-\(s)"
        for ns in [byIP, byVethctl] {
            try ip("netns", "add", ns)
            for line in Self.links.split(separator: "\n") { try ipIn(ns, String(line)) }
        }
    }

    override func tearDownWithError() throws {
        for ns in [byIP, byVethctl] where !ns.isEmpty { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns]) }
    }

    /// Runs `ip -n NS WORDS` and fails the test unless it succeeds.
    func ipIn(_ ns: String, _ words: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try runProcess("/usr/sbin/ip", ["-n", ns] + words.split(separator: " ").map(String.init))
        XCTAssertEqual(r.status, 0, "ip -n \(ns) \(words): \(r.stderr)", file: file, line: line)
    }

    /// The same links and addresses in both namespaces (created in the same order: the same ifindexes).
    static let links = """
        link set lo up
        link add rea type veth peer name reap
        link add reb type veth peer name rebp
        link set rea up
        link set reap up
        link set reb up
        link set rebp up
        addr add 10.155.1.1/24 dev rea
        addr add 10.155.2.1/24 dev reb
        -6 addr add fd55:1::1/64 dev rea nodad
        """

    /// Each route: how `ip` adds it, and the same route in vethctl's grammar.
    static let routes: [(ip: String, vethctl: [String])] = [
        ("route add blackhole 10.155.10.0/24", ["blackhole", "10.155.10.0/24"]),
        ("route add unreachable 10.155.11.0/24 metric 7", ["unreachable", "10.155.11.0/24", "--metric", "7"]),
        ("route add prohibit 10.155.12.0/24", ["prohibit", "10.155.12.0/24"]),
        ("route add throw 10.155.13.0/24", ["throw", "10.155.13.0/24"]),
        ("route add local 10.155.17.0/24 dev rea", ["local", "10.155.17.0/24", "--dev", "rea"]),
        ("route add broadcast 10.155.16.255 dev rea", ["broadcast", "10.155.16.255", "--dev", "rea"]),
        ("route add multicast 224.155.0.0/16 dev rea", ["multicast", "224.155.0.0/16", "--dev", "rea"]),
        ("route add 10.155.20.0/24 nexthop via 10.155.1.2 dev rea weight 1 nexthop via 10.155.2.2 dev reb weight 3",
         ["10.155.20.0/24", "--nexthop", "via 10.155.1.2 dev rea weight 1", "--nexthop", "via 10.155.2.2 dev reb weight 3"]),
        ("route add 10.155.21.0/24 via 10.155.9.9 dev rea onlink", ["10.155.21.0/24", "--via", "10.155.9.9", "--dev", "rea", "--onlink"]),
        ("route add 10.155.22.0/24 nexthop via 10.155.8.8 dev rea onlink nexthop via 10.155.2.3 dev reb",
         ["10.155.22.0/24", "--nexthop", "via 10.155.8.8 dev rea onlink", "--nexthop", "via 10.155.2.3 dev reb"]),
        ("route add 10.155.23.0/24 dev rea src 10.155.1.1 proto static scope link metric 5",
         ["10.155.23.0/24", "--dev", "rea", "--src", "10.155.1.1", "--protocol", "static", "--scope", "link", "--metric", "5"]),
        ("route add 10.155.24.0/24 dev rea table 100 proto 86", ["10.155.24.0/24", "--dev", "rea", "--table", "100", "--protocol", "vethkit"]),
        ("route add 10.155.25.0/24 dev reb scope host table 100", ["10.155.25.0/24", "--dev", "reb", "--scope", "host", "--table", "100"]),
        ("route add default via 10.155.1.254 table 101", ["default", "--via", "10.155.1.254", "--table", "101"]),
        ("-6 route add blackhole fd55:3::/64", ["blackhole", "fd55:3::/64"]),
        ("-6 route add unreachable fd55:5::/64 metric 9", ["unreachable", "fd55:5::/64", "--metric", "9"]),
        ("-6 route add fd55:4::/64 nexthop via fd55:1::2 dev rea nexthop via fd55:1::3 dev rea weight 2",
         ["fd55:4::/64", "--nexthop", "via fd55:1::2 dev rea", "--nexthop", "via fd55:1::3 dev rea weight 2"]),
        ("-6 route add fd55:6::/64 dev rea src fd55:1::1 proto static", ["fd55:6::/64", "--dev", "rea", "--src", "fd55:1::1", "--protocol", "static"]),
    ]

    /// How each route is deleted by each: by type and prefix, by prefix only, multipath by its
    /// next hops, from its own table.
    static let deletes: [(ip: String, vethctl: [String])] = [
        ("route del blackhole 10.155.10.0/24", ["blackhole", "10.155.10.0/24"]),
        ("route del 10.155.11.0/24", ["10.155.11.0/24"]),
        ("route del prohibit 10.155.12.0/24", ["prohibit", "10.155.12.0/24"]),
        ("route del throw 10.155.13.0/24", ["throw", "10.155.13.0/24"]),
        ("route del local 10.155.17.0/24 dev rea table local", ["local", "10.155.17.0/24", "--dev", "rea"]),
        ("route del broadcast 10.155.16.255 dev rea table local", ["broadcast", "10.155.16.255", "--dev", "rea"]),
        ("route del multicast 224.155.0.0/16 dev rea", ["multicast", "224.155.0.0/16", "--dev", "rea"]),
        ("route del 10.155.20.0/24 nexthop via 10.155.1.2 dev rea weight 1 nexthop via 10.155.2.2 dev reb weight 3",
         ["10.155.20.0/24", "--nexthop", "via 10.155.1.2 dev rea weight 1", "--nexthop", "via 10.155.2.2 dev reb weight 3"]),
        ("route del 10.155.21.0/24 via 10.155.9.9 dev rea", ["10.155.21.0/24", "--via", "10.155.9.9", "--dev", "rea"]),
        ("route del 10.155.22.0/24", ["10.155.22.0/24"]),
        ("route del 10.155.23.0/24 dev rea proto static", ["10.155.23.0/24", "--dev", "rea", "--protocol", "static"]),
        ("route del 10.155.24.0/24 table 100", ["10.155.24.0/24", "--table", "100"]),
        ("route del 10.155.25.0/24 table 100", ["10.155.25.0/24", "--table", "100"]),
        ("route del default table 101", ["default", "--table", "101"]),
        ("-6 route del blackhole fd55:3::/64", ["blackhole", "fd55:3::/64"]),
        ("-6 route del fd55:5::/64", ["-6", "fd55:5::/64"]),
        ("-6 route del fd55:4::/64", ["fd55:4::/64"]),
        ("-6 route del fd55:6::/64 dev rea", ["fd55:6::/64", "--dev", "rea"]),
    ]

    /// The test's routes of one namespace as `ip -j route show table all` prints them (IPv4 and
    /// IPv6), canonical JSON, sorted: the kernel's own routes of the test's prefixes included.
    func routes(_ ns: String) throws -> [String] {
        var all: [String] = []
        for family in ["-4", "-6"] {
            let r = try runProcess("/usr/sbin/ip", ["-j", family, "-n", ns, "route", "show", "table", "all"])
            XCTAssertEqual(r.status, 0, r.stderr)
            for o in try parseJSONArray(r.stdout) {
                guard let dst = o["dst"] as? String, dst.contains("155") || dst == "default" else { continue }
                let d = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
                all.append(String(decoding: d, as: UTF8.self))
            }
        }
        return all.sorted()
    }

    func testEveryRouteVethctlAddsAndDeletesIsWhatIPMakes() throws {
        for r in Self.routes {
            try ipIn(byIP, r.ip)
            let out = try v.run(["-n", byVethctl, "route", "add"] + r.vethctl)
            XCTAssertEqual(out.status, 0, "vethctl route add \(r.vethctl): \(out.stderr)")
        }
        let added = try routes(byIP)
        XCTAssertGreaterThan(added.count, Self.routes.count, "ip's namespace has the test's routes (and the kernel's)")
        XCTAssertEqual(try routes(byVethctl), added, "ip -j route show table all: vethctl's routes vs ip's")

        // vethctl's own show agrees on the multipath route's next hops.
        let shown = try v.json("-n", byVethctl, "route", "show", "--json")
        let mp = shown.first { $0["dst"] as? String == "10.155.20.0/24" }
        let hops = (mp?["nexthops"] as? [[String: Any]]) ?? []
        XCTAssertEqual(hops.map { $0["gateway"] as? String }, ["10.155.1.2", "10.155.2.2"])
        XCTAssertEqual(hops.map { $0["weight"] as? Int }, [1, 3])

        for d in Self.deletes {
            try ipIn(byIP, d.ip)
            let out = try v.run(["-n", byVethctl, "route", "del"] + d.vethctl)
            XCTAssertEqual(out.status, 0, "vethctl route del \(d.vethctl): \(out.stderr)")
        }
        let left = try routes(byIP)
        XCTAssertFalse(left.contains { $0.contains("10.155.10.") || $0.contains("fd55:4::") }, "ip's deletes took the routes: \(left)")
        XCTAssertEqual(try routes(byVethctl), left, "after the deletes")
    }

    /// A delete takes only the route it names: the user's routes of the same prefix in another
    /// table or of another type stay, and naming the wrong type is "not found" (exit 1), not a
    /// delete of whatever has that prefix.
    func testDeleteTakesOnlyTheNamedRoute() throws {
        let ns = byVethctl
        try ipIn(ns, "route add blackhole 10.155.30.0/24 table 100")
        try ipIn(ns, "route add prohibit 10.155.31.0/24")
        try ipIn(ns, "route add 10.155.32.0/24 via 10.155.1.2 proto static")
        let before = try routes(ns)

        XCTAssertEqual(try v.ok("-n", ns, "route", "add", "blackhole", "10.155.30.0/24"), "")
        XCTAssertEqual(try v.ok("-n", ns, "route", "del", "blackhole", "10.155.30.0/24"), "")
        XCTAssertEqual(try routes(ns), before, "the table-100 blackhole of the same prefix is the user's: kept")

        let wrongType = try v.run(["-n", ns, "route", "del", "unreachable", "10.155.31.0/24"])
        XCTAssertEqual(wrongType.status, 1, wrongType.stderr)
        XCTAssertTrue(wrongType.stderr.contains("10.155.31.0/24"), wrongType.stderr)
        let wrongProtocol = try v.run(["-n", ns, "route", "del", "10.155.32.0/24", "--protocol", "boot"])
        XCTAssertEqual(wrongProtocol.status, 1, wrongProtocol.stderr)
        XCTAssertEqual(try routes(ns), before, "nothing of the user's was deleted")
    }

    /// An existing route: the error names it; an onlink gateway off every subnet is accepted only
    /// with --onlink (the kernel's check, reported as ip would).
    func testAddErrorsNameTheRoute() throws {
        let ns = byVethctl
        XCTAssertEqual(try v.ok("-n", ns, "route", "add", "blackhole", "10.155.40.0/24"), "")
        let again = try v.run(["-n", ns, "route", "add", "blackhole", "10.155.40.0/24"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("blackhole 10.155.40.0/24"), again.stderr)
        let offLink = try v.run(["-n", ns, "route", "add", "10.155.41.0/24", "--via", "10.155.99.1", "--dev", "rea"])
        XCTAssertNotEqual(offLink.status, 0, "no address covers 10.155.99.1")
        XCTAssertFalse(try routes(ns).contains { $0.contains("10.155.41.0") })
        XCTAssertEqual(try v.ok("-n", ns, "route", "add", "10.155.41.0/24", "--via", "10.155.99.1", "--dev", "rea", "--onlink"), "")
        let r = try parseJSONArray(try ip("-j", "-n", ns, "route", "show", "10.155.41.0/24"))
        XCTAssertEqual(r.first?["flags"] as? [String], ["onlink"])
    }
}

extension RouteEditCommandTests {
    /// `route replace` changes the route of the same key (as `ip route replace`) or adds one, in
    /// both namespaces alike; a user's route of the same prefix in another table is not it.
    func testReplaceIsWhatIPReplaceMakes() throws {
        for ns in [byIP, byVethctl] { try ipIn(ns, "route add 10.155.50.0/24 via 10.155.1.2 table 100") }
        let pairs: [(ip: String, vethctl: [String])] = [
            ("route replace 10.155.50.0/24 via 10.155.1.3", ["10.155.50.0/24", "--via", "10.155.1.3"]),
            ("route replace 10.155.50.0/24 via 10.155.2.3", ["10.155.50.0/24", "--via", "10.155.2.3"]),
            ("route replace blackhole 10.155.51.0/24", ["blackhole", "10.155.51.0/24"]),
            ("route replace unreachable 10.155.51.0/24", ["unreachable", "10.155.51.0/24"]),
            ("route replace 10.155.52.0/24 nexthop via 10.155.1.2 nexthop via 10.155.2.2 weight 2",
             ["10.155.52.0/24", "--nexthop", "via 10.155.1.2", "--nexthop", "via 10.155.2.2 weight 2"]),
        ]
        for p in pairs {
            try ipIn(byIP, p.ip)
            let out = try v.run(["-n", byVethctl, "route", "replace"] + p.vethctl)
            XCTAssertEqual(out.status, 0, "vethctl route replace \(p.vethctl): \(out.stderr)")
        }
        let theirs = try routes(byIP)
        XCTAssertTrue(theirs.contains { $0.contains("10.155.2.3") && $0.contains("10.155.50.0") }, "\(theirs)")
        XCTAssertTrue(theirs.contains { $0.contains("10.155.1.2") && $0.contains("\"table\":\"100\"") }, "the table-100 route stays: \(theirs)")
        XCTAssertEqual(try routes(byVethctl), theirs)
    }
}
