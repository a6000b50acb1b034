import Foundation
import VethKitTestSupport
import XCTest

/// The rest of the grammar, each change read back through `vethctl --json` and `ip -j`.
final class LinkAddrRouteCommandTests: XCTestCase {
    let v = Vethctl()
    var ns = ""

    override func setUpWithError() throws {
        try requireKernel()
        ns = "c-\(uniqueSuffix())"
        try v.ok("netns", "add", ns)
    }

    override func tearDownWithError() throws {
        guard !ns.isEmpty else { return }  // skipped before anything was made
        _ = try? v.run(["netns", "del", ns])
    }

    func assertFields(_ mine: [String: Any], _ theirs: [String: Any], _ keys: [String], file: StaticString = #filePath, line: UInt = #line) {
        for key in keys {
            XCTAssertEqual("\(mine[key] ?? "nil")", "\(theirs[key] ?? "nil")", "\(key): vethctl vs ip", file: file, line: line)
        }
    }

    func testLinkSetEveryOption() throws {
        try v.ok("-n", ns, "link", "add", "a0", "--peer", "b0", "--mtu", "1400", "--address", "02:00:00:00:00:a0")
        try v.ok("-n", ns, "link", "add", "br0", "--type", "bridge")
        try v.ok("-n", ns, "link", "set", "a0", "--master", "br0", "--mtu", "1300", "--alias", "left end",
                 "--group", "9", "--address", "02:00:00:00:00:a1")
        // Renamed while down: before Linux 6.2 the kernel refuses to rename an up link (EBUSY).
        try v.ok("-n", ns, "link", "set", "a0", "--name", "a1")
        try v.ok("-n", ns, "link", "set", "a1", "--up")
        let mine = try XCTUnwrap(v.json("-n", ns, "link", "show", "a1").first)
        let theirs = try XCTUnwrap(ipJSON("-n", ns, "link", "show", "a1").first)
        assertFields(mine, theirs, ["mtu", "master", "ifalias", "group", "address", "link"])
        XCTAssertEqual(theirs["mtu"] as? Int, 1300)
        XCTAssertEqual(theirs["ifalias"] as? String, "left end")
        XCTAssertEqual(theirs["master"] as? String, "br0")
        XCTAssertEqual(theirs["link"] as? String, "b0")
        XCTAssertEqual(try ipJSON("-n", ns, "link", "show", "b0").first?["mtu"] as? Int, 1400)
        try v.ok("-n", ns, "link", "set", "a1", "--nomaster", "--down")
        let after = try XCTUnwrap(ipJSON("-n", ns, "link", "show", "a1").first)
        XCTAssertNil(after["master"], "still enslaved after --nomaster: \(after)")
        XCTAssertFalse((after["flags"] as? [String] ?? []).contains("UP"), "still up after --down: \(after)")
        // Group delete: the whole group in one request.
        try v.ok("-n", ns, "link", "del", "--group", "9")
        XCTAssertEqual(try ipJSON("-n", ns, "link", "show", "type", "veth").compactMap { $0["ifname"] as? String }, [], "group 9 left veths")
    }

    func testAddressAndRouteAddDelete() throws {
        try v.ok("-n", ns, "link", "add", "br0", "--type", "bridge")
        try v.ok("-n", ns, "link", "set", "br0", "--up")
        try v.ok("-n", ns, "addr", "add", "10.5.0.1/24", "--dev", "br0")
        try v.ok("-n", ns, "addr", "add", "fd00:5::1/64", "--dev", "br0", "--nodad")
        try v.ok("-n", ns, "route", "add", "10.6.0.0/16", "--via", "10.5.0.2", "--metric", "20")
        try v.ok("-n", ns, "route", "add", "10.7.0.0/16", "--dev", "br0", "--table", "200")
        try v.ok("-n", ns, "route", "add", "default", "--via", "fd00:5::2")
        let routes = try ipJSON("-n", ns, "route", "show")
        XCTAssertTrue(routes.contains { $0["dst"] as? String == "10.6.0.0/16" && $0["gateway"] as? String == "10.5.0.2" && $0["metric"] as? Int == 20 }, "ip: \(routes)")
        XCTAssertEqual(try ipJSON("-n", ns, "route", "show", "table", "200").first?["dst"] as? String, "10.7.0.0/16")
        XCTAssertTrue(try ipJSON("-n", ns, "-6", "route", "show").contains { $0["dst"] as? String == "default" && $0["gateway"] as? String == "fd00:5::2" })
        let mine = try v.json("-n", ns, "route", "show")
        XCTAssertTrue(mine.contains { $0["dst"] as? String == "10.6.0.0/16" && $0["metric"] as? Int == 20 }, "vethctl: \(mine)")
        try v.ok("-n", ns, "route", "del", "10.6.0.0/16", "--via", "10.5.0.2", "--metric", "20")
        XCTAssertFalse(try ipJSON("-n", ns, "route", "show").contains { $0["dst"] as? String == "10.6.0.0/16" })
        let missing = try v.run(["-n", ns, "route", "del", "10.6.0.0/16", "--via", "10.5.0.2"])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        try v.ok("-n", ns, "addr", "del", "10.5.0.1/24", "--dev", "br0")
        let addrs = (try ipJSON("-n", ns, "addr", "show", "dev", "br0").first?["addr_info"] as? [[String: Any]]) ?? []
        XCTAssertFalse(addrs.contains { $0["local"] as? String == "10.5.0.1" }, "10.5.0.1 still there: \(addrs)")
        XCTAssertTrue(addrs.contains { $0["local"] as? String == "fd00:5::1" }, "fd00:5::1 went too: \(addrs)")
    }

    func testMonitorPrintsEventsAsTheyHappen() throws {
        let mon = try BackgroundProcess(v.path, ["-n", ns, "monitor", "--json"])
        defer { mon.stop() }
        func events() throws -> [[String: Any]] {
            try mon.lines.map { line in
                try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
            }
        }
        // JSON mode prints no banner: a probe link's event proves the monitor has subscribed.
        try waitUntil("the monitor to report a probe link", interval: 0.1) {
            try v.ok("-n", ns, "link", "add", "probe0", "--type", "bridge")
            try v.ok("-n", ns, "link", "del", "probe0")
            return try events().contains { $0["ifname"] as? String == "probe0" }
        }
        try v.ok("-n", ns, "link", "add", "mon0", "--type", "bridge")
        try v.ok("-n", ns, "addr", "add", "10.9.9.1/24", "--dev", "mon0")
        try v.ok("-n", ns, "link", "del", "mon0")
        func seen(_ e: [[String: Any]]) -> (new: Bool, addr: Bool, del: Bool) {
            (e.contains { $0["event"] as? String == "link" && $0["action"] as? String == "new" && $0["ifname"] as? String == "mon0" },
             e.contains { $0["event"] as? String == "addr" && $0["action"] as? String == "new" && $0["local"] as? String == "10.9.9.1" && $0["prefixlen"] as? Int == 24 },
             e.contains { $0["event"] as? String == "link" && $0["action"] as? String == "del" && $0["ifname"] as? String == "mon0" })
        }
        try waitUntil("link new, addr new and link del events for mon0, got:\n\(mon.output)") {
            let s = seen(try events())
            return s.new && s.addr && s.del
        }
    }
}
