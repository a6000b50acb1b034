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

    func testLinkSetEveryOption() throws {
        try v.ok("-n", ns, "link", "add", "a0", "--peer", "b0", "--mtu", "1400", "--address", "02:00:00:00:00:a0")
        try v.ok("-n", ns, "link", "add", "br0", "--type", "bridge")
        try v.ok("-n", ns, "link", "set", "a0", "--up", "--master", "br0", "--mtu", "1300", "--alias", "left end",
                 "--group", "9", "--address", "02:00:00:00:00:a1")
        try v.ok("-n", ns, "link", "set", "a0", "--name", "a1")
        let mine = try XCTUnwrap(v.json("-n", ns, "link", "show", "a1").first)
        let theirs = try XCTUnwrap(ipJSON("-n", ns, "link", "show", "a1").first)
        for key in ["mtu", "master", "ifalias", "group", "address", "link"] {
            XCTAssertEqual("\(mine[key] ?? "nil")", "\(theirs[key] ?? "nil")", key)
        }
        XCTAssertEqual(theirs["mtu"] as? Int, 1300)
        XCTAssertEqual(theirs["ifalias"] as? String, "left end")
        XCTAssertEqual(theirs["master"] as? String, "br0")
        XCTAssertEqual(theirs["link"] as? String, "b0")
        XCTAssertEqual(try ipJSON("-n", ns, "link", "show", "b0").first?["mtu"] as? Int, 1400)
        try v.ok("-n", ns, "link", "set", "a1", "--nomaster", "--down")
        let after = try XCTUnwrap(ipJSON("-n", ns, "link", "show", "a1").first)
        XCTAssertNil(after["master"])
        XCTAssertFalse((after["flags"] as? [String] ?? []).contains("UP"))
        // Group delete: the whole group in one request.
        try v.ok("-n", ns, "link", "del", "--group", "9")
        XCTAssertTrue(try ipJSON("-n", ns, "link", "show", "type", "veth").isEmpty)
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
        XCTAssertTrue(routes.contains { $0["dst"] as? String == "10.6.0.0/16" && $0["gateway"] as? String == "10.5.0.2" && $0["metric"] as? Int == 20 })
        XCTAssertEqual(try ipJSON("-n", ns, "route", "show", "table", "200").first?["dst"] as? String, "10.7.0.0/16")
        XCTAssertTrue(try ipJSON("-n", ns, "-6", "route", "show").contains { $0["dst"] as? String == "default" && $0["gateway"] as? String == "fd00:5::2" })
        let mine = try v.json("-n", ns, "route", "show")
        XCTAssertTrue(mine.contains { $0["dst"] as? String == "10.6.0.0/16" && $0["metric"] as? Int == 20 })
        try v.ok("-n", ns, "route", "del", "10.6.0.0/16", "--via", "10.5.0.2", "--metric", "20")
        XCTAssertFalse(try ipJSON("-n", ns, "route", "show").contains { $0["dst"] as? String == "10.6.0.0/16" })
        let missing = try v.run(["-n", ns, "route", "del", "10.6.0.0/16", "--via", "10.5.0.2"])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        try v.ok("-n", ns, "addr", "del", "10.5.0.1/24", "--dev", "br0")
        let addrs = (try ipJSON("-n", ns, "addr", "show", "dev", "br0").first?["addr_info"] as? [[String: Any]]) ?? []
        XCTAssertFalse(addrs.contains { $0["local"] as? String == "10.5.0.1" })
        XCTAssertTrue(addrs.contains { $0["local"] as? String == "fd00:5::1" })
    }

    func testMonitorPrintsEventsAsTheyHappen() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: v.path)
        p.arguments = ["-n", ns, "monitor", "--json"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        defer { if p.isRunning { p.terminate() }; p.waitUntilExit() }
        usleep(300_000)  // let it subscribe
        try v.ok("-n", ns, "link", "add", "mon0", "--type", "bridge")
        try v.ok("-n", ns, "addr", "add", "10.9.9.1/24", "--dev", "mon0")
        try v.ok("-n", ns, "link", "del", "mon0")
        usleep(300_000)
        p.terminate()
        p.waitUntilExit()
        let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        let events = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertTrue(events.contains { $0["event"] as? String == "link" && $0["action"] as? String == "new" && $0["ifname"] as? String == "mon0" })
        XCTAssertTrue(events.contains { $0["event"] as? String == "addr" && $0["local"] as? String == "10.9.9.1" })
        XCTAssertTrue(events.contains { $0["event"] as? String == "link" && $0["action"] as? String == "del" && $0["ifname"] as? String == "mon0" })
    }
}
