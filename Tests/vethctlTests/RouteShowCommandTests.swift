import Foundation
import VethKitTestSupport
import XCTest

/// `vethctl route show` against `ip route` / `ip -j route` in a namespace of the test's own: every
/// route type, multipath, onlink, linkdown, src, IPv6 pref, tables local, 100 and all, -4 / -6.
final class RouteShowCommandTests: XCTestCase {
    let v = Vethctl()
    var ns = ""

    override func setUpWithError() throws {
        try requireKernel()
        ns = "h7-\(uniqueSuffix())"
        try ip("netns", "add", ns)
        for line in Self.setup.split(separator: "\n") {
            let r = try runProcess("/usr/sbin/ip", ["-n", ns] + line.split(separator: " ").map(String.init))
            XCTAssertEqual(r.status, 0, "ip \(line): \(r.stderr)")
        }
    }

    override func tearDownWithError() throws {
        guard !ns.isEmpty else { return }
        _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns])
    }

    /// One route of each kind, made with `ip` (h7c's peer stays down: its routes are linkdown).
    /// `nat` is left out: Linux refuses new NAT routes ("Invalid scope") since 2.6.
    static let setup = """
        link add h7a type veth peer name h7ap
        link set h7a up
        link set h7ap up
        link add h7b type veth peer name h7bp
        link set h7b up
        link set h7bp up
        link add h7c type veth peer name h7cp
        link set h7c up
        addr add 10.147.1.1/24 dev h7a
        addr add 10.147.2.1/24 dev h7b
        addr add 10.147.3.1/24 dev h7c
        -6 addr add fd47:1::1/64 dev h7a nodad
        route add blackhole 10.147.10.0/24
        route add unreachable 10.147.11.0/24
        route add prohibit 10.147.12.0/24
        route add throw 10.147.13.0/24
        route add anycast 10.147.15.0/24 dev h7a
        route add multicast 224.147.0.0/16 dev h7a
        route add broadcast 10.147.16.255 dev h7a table main
        route add local 10.147.17.0/24 dev h7a table main
        route add 10.147.20.0/24 nexthop via 10.147.1.2 dev h7a weight 1 nexthop via 10.147.2.2 dev h7b weight 3
        route add 10.147.21.0/24 via 10.147.9.9 dev h7a onlink
        route add 10.147.22.0/24 via 10.147.3.9 dev h7c
        route add 10.147.23.0/24 dev h7a src 10.147.1.1 proto static metric 5
        route add 10.147.24.0/24 dev h7a table 100 proto 86
        route add blackhole 10.147.25.0/24 table 100
        -6 route add fd47:2::/64 via fd47:1::2 dev h7a pref high
        -6 route add fd47:8::/64 via fd47:1::2 dev h7a pref low
        -6 route add blackhole fd47:3::/64
        -6 route add fd47:4::/64 nexthop via fd47:1::2 dev h7a nexthop via fd47:1::3 dev h7a weight 2
        -6 route add unreachable fd47:5::/64
        -6 route add prohibit fd47:6::/64
        -6 route add throw fd47:7::/64
        """

    /// Values vethctl names that ip prints as a number: protocol 0x56 is `vethkit` (ip has no
    /// rt_protos entry for it).
    static let renamed: [String: [String: String]] = ["protocol": ["86": "vethkit"]]

    /// The one comparison: every route `ip -j ARGS` prints is in vethctl's list (matched by type,
    /// dst, dev, gateway, metric and table) with every key ip prints present and equal (after
    /// ``renamed``), and vethctl lists no route ip does not.
    /// `omitted`: keys ip leaves out because its selector fixes them (`dev` with `ip route show dev X`).
    func assertSameRoutes(ip ipArgs: [String], vethctl vArgs: [String], omitted: Set<String> = [],
                          file: StaticString = #filePath, line: UInt = #line) throws {
        // The kernel adds link-local addresses (and their local routes) a moment after a link
        // comes up: compare a snapshot that ip printed the same before and after vethctl's.
        var r = try runProcess("/usr/sbin/ip", ["-j", "-n", ns] + ipArgs)
        var out = try v.run(["-n", ns, "route", "show", "--json"] + vArgs)
        for _ in 0..<10 {
            let again = try runProcess("/usr/sbin/ip", ["-j", "-n", ns] + ipArgs)
            if again.stdout == r.stdout { break }
            usleep(300_000)
            r = again
            out = try v.run(["-n", ns, "route", "show", "--json"] + vArgs)
        }
        XCTAssertEqual(r.status, 0, "ip \(ipArgs): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(out.status, 0, "vethctl route show \(vArgs): \(out.stderr)", file: file, line: line)
        let theirs = try parseJSONArray(r.stdout)
        let mine = try parseJSONArray(out.stdout)
        func canonical(_ value: Any) -> String {
            guard JSONSerialization.isValidJSONObject([value]),
                  let d = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) else { return "\(value)" }
            return String(decoding: d, as: UTF8.self)
        }
        func value(_ key: String, _ o: [String: Any]) -> String? {
            guard let v = o[key] else { return nil }
            if let s = v as? String, let n = Self.renamed[key]?[s] { return canonical(n) }
            return canonical(v)
        }
        let identity = ["type", "dst", "dev", "gateway", "metric"]
        XCTAssertFalse(theirs.isEmpty, "ip \(ipArgs) printed no route: the comparison would prove nothing", file: file, line: line)
        for route in theirs {
            let matches = mine.filter { m in
                identity.allSatisfy { omitted.contains($0) || value($0, route) == value($0, m) } && (route["table"] == nil || value("table", route) == value("table", m))
            }
            XCTAssertEqual(matches.count, 1, "ip \(ipArgs): \(route) is \(matches.count) times in vethctl's \(out.stdout)", file: file, line: line)
            guard let m = matches.first else { continue }
            for key in route.keys.sorted() {
                XCTAssertEqual(value(key, m), value(key, route), "\(route["dst"] ?? "?") \(key): vethctl vs ip \(ipArgs)", file: file, line: line)
            }
        }
        XCTAssertEqual(mine.count, theirs.count, "vethctl \(vArgs): \(mine.count) routes, ip \(ipArgs): \(theirs.count)\n\(out.stdout)\n\(r.stdout)",
                       file: file, line: line)
    }

    func testMainTableMatchesIP() throws {
        try assertSameRoutes(ip: ["route", "show"], vethctl: ["-4"])
        try assertSameRoutes(ip: ["-6", "route", "show"], vethctl: ["-6"])
        // What the comparison covered: every type, multipath, onlink, linkdown, src, pref.
        let mine = try v.json("-n", ns, "route", "show")
        func route(_ dst: String) -> [String: Any] { mine.first { $0["dst"] as? String == dst } ?? [:] }
        for (dst, type) in [("10.147.10.0/24", "blackhole"), ("10.147.11.0/24", "unreachable"), ("10.147.12.0/24", "prohibit"),
                            ("10.147.13.0/24", "throw"), ("224.147.0.0/16", "multicast"), ("10.147.16.255", "broadcast"),
                            ("10.147.17.0/24", "local"), ("fd47:3::/64", "blackhole"), ("fd47:7::/64", "throw")] {
            XCTAssertEqual(route(dst)["type"] as? String, type, "\(dst)")
        }
        XCTAssertNil(route("10.147.21.0/24")["type"], "unicast has no type key, as ip -j")
        XCTAssertEqual(route("10.147.21.0/24")["flags"] as? [String], ["onlink"])
        XCTAssertEqual(route("10.147.22.0/24")["flags"] as? [String], ["linkdown"])
        XCTAssertEqual(route("10.147.3.0/24")["flags"] as? [String], ["linkdown"])
        XCTAssertEqual(route("10.147.23.0/24")["prefsrc"] as? String, "10.147.1.1")
        XCTAssertEqual(route("10.147.23.0/24")["protocol"] as? String, "static")
        XCTAssertEqual(route("10.147.1.0/24")["protocol"] as? String, "kernel")
        XCTAssertEqual(route("10.147.1.0/24")["scope"] as? String, "link")
        XCTAssertEqual(route("fd47:2::/64")["pref"] as? String, "high")
        XCTAssertEqual(route("fd47:8::/64")["pref"] as? String, "low")
        let hops = try XCTUnwrap(route("10.147.20.0/24")["nexthops"] as? [[String: Any]])
        XCTAssertEqual(hops.map { "\($0["gateway"] ?? "") \($0["dev"] ?? "") \($0["weight"] ?? "")" },
                       ["10.147.1.2 h7a 1", "10.147.2.2 h7b 3"])
        XCTAssertEqual((route("fd47:4::/64")["nexthops"] as? [[String: Any]])?.count, 2)
    }

    func testTablesLocal100AndAllMatchIP() throws {
        try assertSameRoutes(ip: ["route", "show", "table", "local"], vethctl: ["-4", "--table", "local"])
        try assertSameRoutes(ip: ["route", "show", "table", "255"], vethctl: ["-4", "--table", "255"])
        try assertSameRoutes(ip: ["-6", "route", "show", "table", "local"], vethctl: ["-6", "--table", "local"])
        try assertSameRoutes(ip: ["route", "show", "table", "100"], vethctl: ["-4", "--table", "100"])
        // ip's `table all` lists both families (its IPv4 default applies to a table filter only).
        try assertSameRoutes(ip: ["route", "show", "table", "all"], vethctl: ["--table", "all"])
        try assertSameRoutes(ip: ["-4", "route", "show", "table", "all"], vethctl: ["-4", "--table", "all"])
        try assertSameRoutes(ip: ["-6", "route", "show", "table", "all"], vethctl: ["-6", "--table", "all"])
        let local = try v.json("-n", ns, "route", "show", "--table", "local")
        XCTAssertTrue(local.contains { $0["dst"] as? String == "10.147.15.0/24" && $0["type"] as? String == "anycast" }, "\(local)")
        XCTAssertTrue(local.contains { $0["dst"] as? String == "10.147.1.1" && $0["type"] as? String == "local" }, "\(local)")
        let t100 = try v.json("-n", ns, "route", "show", "--table", "100")
        XCTAssertEqual(t100.first { $0["dst"] as? String == "10.147.24.0/24" }?["protocol"] as? String, "vethkit")
        XCTAssertEqual(t100.compactMap { $0["dst"] as? String }.sorted(), ["10.147.24.0/24", "10.147.25.0/24"])
    }

    /// `route show PREFIX`, `--dev`, `--protocol`, `--type`, `--scope`: what ip's selectors list.
    func testSelectorsMatchIP() throws {
        try assertSameRoutes(ip: ["route", "show", "10.147.20.0/24"], vethctl: ["10.147.20.0/24"])
        try assertSameRoutes(ip: ["-6", "route", "show", "fd47:2::/64"], vethctl: ["fd47:2::/64"])
        try assertSameRoutes(ip: ["route", "show", "dev", "h7b"], vethctl: ["-4", "--dev", "h7b"], omitted: ["dev"])
        try assertSameRoutes(ip: ["route", "show", "proto", "static"], vethctl: ["-4", "--protocol", "static"])
        try assertSameRoutes(ip: ["route", "show", "proto", "kernel"], vethctl: ["-4", "--protocol", "kernel"])
        try assertSameRoutes(ip: ["route", "show", "type", "blackhole"], vethctl: ["-4", "--type", "blackhole"])
        try assertSameRoutes(ip: ["route", "show", "scope", "link"], vethctl: ["-4", "--scope", "link"])
        try assertSameRoutes(ip: ["route", "show", "table", "100", "proto", "86"], vethctl: ["--table", "100", "--protocol", "vethkit"])
        let none = try v.json("-n", ns, "route", "show", "10.147.99.0/24")
        XCTAssertEqual(none.count, 0)
        for bad in [["--protocol", "nope"], ["--type", "sideways"], ["--scope", "galaxy"], ["--dev", "a/b"], ["10.147.1.300/24"]] {
            let r = try v.run(["-n", ns, "route", "show"] + bad)
            XCTAssertEqual(r.status, 2, "\(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(bad.last!), r.stderr)
        }
    }

    func testFamilyFilters() throws {
        // Three reads of a table the kernel may still be changing (an IPv6 link-local address's
        // local route appears when its DAD ends: CI once counted 43 against 42): read until two
        // rounds agree.
        var (v4, v6, both) = ([[String: Any]](), [[String: Any]](), [[String: Any]]())
        for _ in 0..<20 {
            v4 = try v.json("-n", ns, "route", "show", "-4", "--table", "all")
            v6 = try v.json("-n", ns, "route", "show", "-6", "--table", "all")
            both = try v.json("-n", ns, "route", "show", "--table", "all")
            let again = try v.json("-n", ns, "route", "show", "--table", "all")
            if again.count == both.count && both.count == v4.count + v6.count { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        XCTAssertTrue(v4.allSatisfy { !($0["dst"] as? String ?? ":").contains(":") }, "-4 listed IPv6")
        XCTAssertTrue(v6.allSatisfy { ($0["dst"] as? String ?? ":").contains(":") || $0["dst"] as? String == "default" }, "-6 listed IPv4")
        XCTAssertFalse(v4.isEmpty)
        XCTAssertFalse(v6.isEmpty)
        XCTAssertEqual(both.count, v4.count + v6.count)
        let r = try v.run(["-n", ns, "route", "show", "-4", "-6"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("-4 and -6 exclude each other"), r.stderr)
    }

    /// The text table names types, sources, preferences and flags, and lists next hops as `ip route` does.
    func testTextAgreesWithIPRoute() throws {
        let text = try v.ok("-n", ns, "route", "show")
        let rows = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.first, ["DESTINATION", "GATEWAY", "DEV", "PROTO", "SCOPE", "METRIC", "TYPE", "SRC", "PREF", "FLAGS"])
        func row(_ dst: String) -> [String] { rows.first { $0.first == dst } ?? [] }
        XCTAssertEqual(row("10.147.10.0/24"), ["10.147.10.0/24", "-", "-", "boot", "global", "-", "blackhole", "-", "-", "-"])
        XCTAssertEqual(row("10.147.22.0/24"), ["10.147.22.0/24", "10.147.3.9", "h7c", "boot", "global", "-", "unicast", "-", "-", "linkdown"])
        XCTAssertEqual(row("10.147.23.0/24"), ["10.147.23.0/24", "-", "h7a", "static", "link", "5", "unicast", "10.147.1.1", "-", "-"])
        XCTAssertEqual(row("fd47:2::/64"), ["fd47:2::/64", "fd47:1::2", "h7a", "boot", "global", "1024", "unicast", "-", "high", "-"])
        // Next hops: the same words as ip's `nexthop via … dev … weight …` lines.
        let ipText = try ip("-n", ns, "route", "show")
        let ipHops = ipText.split(separator: "\n").filter { $0.contains("nexthop") }.map { $0.split(separator: " ").joined(separator: " ") }
        let myHops = text.split(separator: "\n").filter { $0.contains("nexthop") }.map { $0.split(separator: " ").joined(separator: " ") }
        XCTAssertEqual(ipHops.map { $0.trimmingCharacters(in: .whitespaces) }, ["nexthop via 10.147.1.2 dev h7a weight 1", "nexthop via 10.147.2.2 dev h7b weight 3"])
        XCTAssertEqual(Array(myHops.prefix(2)), ipHops.map { $0.trimmingCharacters(in: .whitespaces) })
        XCTAssertTrue(ipText.contains("blackhole 10.147.10.0/24") && ipText.contains("10.147.23.0/24 dev h7a proto static scope link src 10.147.1.1 metric 5"))
        // --table all adds the TABLE column.
        let all = try v.ok("-n", ns, "route", "show", "--table", "all").split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(all.first?.last, "TABLE")
        XCTAssertEqual(all.first { $0.first == "10.147.24.0/24" }?.last, "100")
        XCTAssertEqual(all.first { $0.first == "10.147.15.0/24" }?.last, "local")
    }
}
