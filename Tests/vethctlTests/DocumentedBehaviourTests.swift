import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// What README.md promises about vethctl and no other test checked: `link add --up/--group`,
/// `link show -s`, the text (not JSON) outputs, `link stats` and `addr show` without a name,
/// `route -6`, `route show --table`, plain `monitor`, and the kernel's extended-ACK text appended
/// to a refusal. Each test works in a namespace of its own, removed when it ends.
final class DocumentedBehaviourTests: XCTestCase {
    let v = Vethctl()
    var ns = ""

    override func setUpWithError() throws {
        try requireKernel()
        ns = "d-\(uniqueSuffix())"
        try v.ok("netns", "add", ns)
        addTeardownBlock { [v, ns] in _ = try? v.run(["netns", "del", ns]) }
    }

    /// Runs `vethctl -n NS ARGS` and fails unless it exits 0; returns stdout.
    @discardableResult
    func inNS(_ args: String..., file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try v.run(["-n", ns] + args)
        XCTAssertEqual(r.status, 0, "vethctl -n \(ns) \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        return r.stdout
    }

    func ipLink(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try XCTUnwrap(ipJSON("-n", ns, "-d", "link", "show", name, file: file, line: line).first, "ip: no link \(name) in \(ns)", file: file, line: line)
    }

    /// Rows of a text table: the header and the cells of each line, split on runs of blanks.
    func rows(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }

    func testLinkAddUpAndGroup() throws {
        try inNS("link", "add", "a0", "--peer", "b0", "--up", "--group", "5")
        try inNS("link", "add", "br7", "--type", "bridge", "--up", "--group", "7")
        for name in ["a0", "b0", "br7"] {
            let flags = try ipLink(name)["flags"] as? [String] ?? []
            XCTAssertTrue(flags.contains("UP"), "\(name) is not up: \(flags)")
        }
        XCTAssertEqual(try ipLink("a0")["group"] as? String, "5")
        XCTAssertEqual(try ipLink("br7")["group"] as? String, "7")
        // Without --up nothing is brought up.
        try inNS("link", "add", "a1", "--peer", "b1")
        XCTAssertFalse((try ipLink("a1")["flags"] as? [String] ?? []).contains("UP"))
        XCTAssertFalse((try ipLink("b1")["flags"] as? [String] ?? []).contains("UP"))
        // The group is what a bulk delete uses: only a0 (and with it b0) goes.
        try inNS("link", "del", "--group", "5")
        XCTAssertTrue(try ipJSON("-n", ns, "link", "show").allSatisfy { !["a0", "b0"].contains($0["ifname"] as? String ?? "") })
        XCTAssertEqual(try ipLink("a1")["ifname"] as? String, "a1")
    }

    func testLinkShowStatisticsAndText() throws {
        try inNS("link", "add", "a0", "--peer", "b0", "--up")
        let plain = try parseJSONArray(inNS("link", "show", "--json"))
        XCTAssertEqual(Set(plain.compactMap { $0["ifname"] as? String }), ["lo", "a0", "b0"])
        XCTAssertTrue(plain.allSatisfy { $0["stats64"] == nil }, "stats64 without -s")
        for flag in ["-s", "--stats"] {
            let withStats = try parseJSONArray(inNS("link", "show", flag, "--json"))
            XCTAssertEqual(withStats.count, 3)
            for l in withStats {
                let s = try XCTUnwrap(l["stats64"] as? [String: Any], "\(flag): no stats64 in \(l)")
                for dir in ["rx", "tx"] {
                    let d = try XCTUnwrap(s[dir] as? [String: Any], "\(flag): stats64.\(dir)")
                    for key in ["bytes", "packets", "dropped", "errors"] { XCTAssertNotNil(d[key] as? Int, "\(flag): stats64.\(dir).\(key)") }
                }
            }
        }
        // The text table: a header, one row per link, veth ends as NAME@PEER as iproute2 shows them.
        let table = rows(try inNS("link", "show"))
        XCTAssertEqual(table.first, ["INDEX", "NAME", "KIND", "STATE", "MTU", "ADDRESS", "MASTER", "PEER", "NETNS"])
        XCTAssertEqual(Set(table.dropFirst().map { $0[1] }), ["lo", "a0@b0", "b0@a0"])
        let a0 = try XCTUnwrap(table.first { $0[1] == "a0@b0" })
        XCTAssertEqual(a0[0], "\(try XCTUnwrap(ipLink("a0")["ifindex"] as? Int))")
        XCTAssertEqual(a0[2], "veth")
        XCTAssertEqual(a0[4], "1500")
        let one = rows(try inNS("link", "show", "a0"))
        XCTAssertEqual(one.count, 2, "\(one)")
        XCTAssertEqual(one.last?[1], "a0@b0")
        // -s in text adds the counters as columns (it used to be ignored there), and they are the
        // kernel's: a0's TX packets are at least what ip -s -j reports for it at that moment.
        let counted = rows(try inNS("link", "show", "-s", "a0"))
        let later = try XCTUnwrap(ipJSON("-s", "-n", ns, "link", "show", "a0").first?["stats64"] as? [String: Any])
        XCTAssertEqual(counted.count, 2, "\(counted)")
        XCTAssertEqual(counted.first.map { Array($0.suffix(16)) },
                       ["RX", "PACKETS", "RX", "BYTES", "RX", "ERRORS", "RX", "DROPPED",
                        "TX", "PACKETS", "TX", "BYTES", "TX", "ERRORS", "TX", "DROPPED"], "\(counted)")
        let values = try XCTUnwrap(counted.last.map { $0.suffix(8).compactMap { UInt64($0) } })
        XCTAssertEqual(values.count, 8, "eight numeric counters: \(counted)")
        let tx = try XCTUnwrap(later["tx"] as? [String: Any]), rx = try XCTUnwrap(later["rx"] as? [String: Any])
        XCTAssertLessThanOrEqual(values[0], UInt64(try XCTUnwrap(rx["packets"] as? Int)), "rx packets \(values) vs ip \(later)")
        XCTAssertLessThanOrEqual(values[5], UInt64(try XCTUnwrap(tx["bytes"] as? Int)), "tx bytes \(values) vs ip \(later)")
        XCTAssertFalse(rows(try inNS("link", "show", "a0")).first?.contains("PACKETS") ?? true, "no counters without -s")
    }

    func testLinkStatsAndAddrShowWithoutAName() throws {
        try inNS("link", "add", "a0", "--peer", "b0", "--up")
        try inNS("link", "set", "lo", "--up")
        try inNS("addr", "add", "10.3.0.1/24", "--dev", "a0")
        try inNS("addr", "add", "10.3.0.2/24", "--dev", "b0")
        // link stats: every link of the namespace, JSON and text.
        let stats = try parseJSONArray(inNS("link", "stats", "--json"))
        XCTAssertEqual(Set(stats.compactMap { $0["ifname"] as? String }), ["lo", "a0", "b0"])
        XCTAssertTrue(stats.allSatisfy { $0["stats64"] is [String: Any] }, "\(stats)")
        let statsText = rows(try inNS("link", "stats"))
        XCTAssertEqual(statsText.first, ["NAME", "RX", "PACKETS", "RX", "BYTES", "RX", "DROPPED", "TX", "PACKETS", "TX", "BYTES", "TX", "DROPPED"])
        XCTAssertEqual(Set(statsText.dropFirst().map { $0[0] }), ["lo", "a0", "b0"])
        XCTAssertTrue(statsText.dropFirst().allSatisfy { $0.count == 7 && $0.dropFirst().allSatisfy { UInt64($0) != nil } }, "\(statsText)")
        // addr show: every address of every link.
        let addrs = try parseJSONArray(inNS("addr", "show", "--json"))
        func v4(_ link: String) -> [String] {
            ((addrs.first { $0["ifname"] as? String == link }?["addr_info"] as? [[String: Any]]) ?? [])
                .filter { $0["family"] as? String == "inet" }.map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }
        }
        XCTAssertEqual(v4("a0"), ["10.3.0.1/24"])
        XCTAssertEqual(v4("b0"), ["10.3.0.2/24"])
        XCTAssertEqual(v4("lo"), ["127.0.0.1/8"])
        let addrText = rows(try inNS("addr", "show"))
        XCTAssertEqual(addrText.first, ["DEV", "FAMILY", "ADDRESS", "SCOPE", "FLAGS", "VALID", "PREFERRED"])
        XCTAssertTrue(addrText.contains(["a0", "inet", "10.3.0.1/24", "global", "-", "forever", "forever"]), "\(addrText)")
        XCTAssertTrue(addrText.contains(["b0", "inet", "10.3.0.2/24", "global", "-", "forever", "forever"]), "\(addrText)")
        XCTAssertTrue(addrText.contains(["lo", "inet", "127.0.0.1/8", "host", "-", "forever", "forever"]), "\(addrText)")
        // addr show --dev: that link's only.
        let one = rows(try inNS("addr", "show", "--dev", "a0"))
        XCTAssertTrue(one.dropFirst().allSatisfy { $0.first == "a0" }, "\(one)")
    }

    func testRouteInet6AndTables() throws {
        try inNS("link", "add", "br0", "--type", "bridge", "--up")
        try inNS("addr", "add", "10.5.0.1/24", "--dev", "br0")
        try inNS("addr", "add", "fd00:5::1/64", "--dev", "br0", "--nodad")
        // -6 with `default`: the IPv6 default route; without: the IPv4 one.
        try inNS("route", "add", "default", "--dev", "br0", "-6")
        XCTAssertTrue(try ipJSON("-n", ns, "-6", "route", "show").contains { $0["dst"] as? String == "default" && $0["dev"] as? String == "br0" },
                      "no IPv6 default route after route add default -6")
        XCTAssertFalse(try ipJSON("-n", ns, "route", "show").contains { $0["dst"] as? String == "default" }, "-6 added an IPv4 default")
        try inNS("route", "add", "default", "--dev", "br0")
        XCTAssertTrue(try ipJSON("-n", ns, "route", "show").contains { $0["dst"] as? String == "default" && $0["dev"] as? String == "br0" })
        // route show --table N shows that table only, JSON and text.
        try inNS("route", "add", "10.7.0.0/16", "--dev", "br0", "--table", "200")
        try inNS("route", "add", "10.8.0.0/16", "--via", "10.5.0.9", "--table", "70000")
        let t200 = try parseJSONArray(inNS("route", "show", "--table", "200", "--json"))
        XCTAssertEqual(t200.compactMap { $0["dst"] as? String }, ["10.7.0.0/16"])
        XCTAssertEqual(t200.first?["table"] as? String, "200")
        XCTAssertEqual(try parseJSONArray(inNS("route", "show", "--table", "70000", "--json")).compactMap { $0["dst"] as? String }, ["10.8.0.0/16"])
        XCTAssertEqual(try ipJSON("-n", ns, "route", "show", "table", "70000").first?["gateway"] as? String, "10.5.0.9")
        let text200 = rows(try inNS("route", "show", "--table", "200"))
        XCTAssertEqual(text200.first, ["DESTINATION", "GATEWAY", "DEV", "PROTO", "SCOPE", "METRIC", "TYPE", "SRC", "PREF", "FLAGS"])
        XCTAssertEqual(text200.dropFirst().map { $0[0] }, ["10.7.0.0/16"])
        let main = rows(try inNS("route", "show"))
        XCTAssertFalse(main.contains { $0.first == "10.7.0.0/16" }, "table 200's route in the main table's listing")
        XCTAssertTrue(main.contains { $0.first == "default" && $0.contains("br0") }, "\(main)")
        XCTAssertTrue(main.contains { $0.prefix(2) == ["default", "(v6)"] }, "no IPv6 default in the text listing: \(main)")
        XCTAssertTrue(main.contains { $0.first == "10.5.0.0/24" && $0.contains("kernel") }, "\(main)")
    }

    func testPlainMonitorPrintsLines() throws {
        let mon = try BackgroundProcess(v.path, ["-n", ns, "monitor"])
        defer { mon.stop() }
        waitUntil("the monitor's banner") { mon.lines.first == "monitoring \(ns); Ctrl-C to stop" }
        try inNS("link", "add", "mon0", "--type", "bridge")
        let index = try XCTUnwrap(ipLink("mon0")["ifindex"] as? Int)
        try inNS("addr", "add", "10.9.9.1/24", "--dev", "mon0")
        try inNS("link", "del", "mon0")
        waitUntil("link new, addr new and link del lines for mon0, got:\n\(mon.output)") {
            let l = mon.lines
            return l.contains { $0.hasPrefix("link new mon0 index \(index) bridge") }
                && l.contains("addr new 10.9.9.1/24 index \(index) dev mon0 scope global")
                && l.contains("link del mon0 index \(index)")
        }
        XCTAssertTrue(mon.lines.dropFirst().allSatisfy { ["link ", "addr ", "route ", "neigh ", "nsid "].contains(where: $0.hasPrefix) }, mon.output)
    }

    func testKernelRefusalCarriesTheExtendedAckText() throws {
        // A route via a gateway no link reaches: the kernel refuses with ENETUNREACH and explains
        // itself in NLMSGERR_ATTR_MSG; vethctl appends that text after the errno.
        let library: KernelError
        do {
            try NetHandle(named: NamespaceName(ns)).addRoute(Route(destination: try IPNetwork("10.77.0.0/16"), gateway: IPAddress("203.0.113.9")))
            return XCTFail("the kernel accepted a route via an unreachable gateway")
        } catch let e as KernelError { library = e }
        let text = try XCTUnwrap(library.message, "no extended-ACK text from the kernel")
        XCTAssertFalse(text.isEmpty)
        let r = try v.run(["-n", ns, "route", "add", "10.77.0.0/16", "--via", "203.0.113.9"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr, "vethctl: route add 10.77.0.0/16: Network is unreachable (ENETUNREACH): \(text)\n")
    }

    func testNetnsListAndPeersText() throws {
        try v.ok("link", "add", "vh\(ns.suffix(5))", "--peer", "vp0", "--peer-netns", ns)
        addTeardownBlock { [v, ns] in _ = try? v.run(["link", "del", "vh\(ns.suffix(5))"]) }
        let list = try v.ok("netns", "list").split(separator: "\n").map(String.init)
        XCTAssertTrue(list.contains { $0 == ns || $0.hasPrefix(ns + " (id: ") }, "\(list)")
        let peers = rows(try v.ok("peers"))
        XCTAssertEqual(peers.first, ["NETNS", "NAME", "INDEX", "PEER", "NETNS", "PEER", "NAME", "PEER", "INDEX"])
        let row = try XCTUnwrap(peers.first { $0.contains("vh\(ns.suffix(5))") }, "\(peers)")
        XCTAssertTrue(row.contains("<->") && row.contains(ns) && row.contains("vp0"), "\(row)")
    }
}
