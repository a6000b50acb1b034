import Foundation
import VethKitJSON
import VethKitTestSupport
import XCTest

/// `monitor --json` against `ip -j`: objects made with `ip` while the monitor runs; each event
/// holds every key `ip -j link|addr|route|neigh show` / `ip -j netns list-id` prints for that
/// object (after the changes settle, the last event of each object is its state); a link moved
/// to another namespace is a move (new_netns, new_ifindex), as `ip monitor`'s `new-netns`.
final class MonitorFidelityTests: XCTestCase {
    let v = Vethctl()

    func testEventsCarryIPsKeysAndMovesAreMoves() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let (ns, target) = ("mfa-\(s)", "mfb-\(s)")
        addTeardownBlock {
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns])
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", target])
        }
        try ip("netns", "add", ns)
        try ip("netns", "add", target)
        let mon = try BackgroundProcess(v.path, ["-n", ns, "monitor", "--json", "--timestamp"])
        defer { mon.stop() }
        let text = try BackgroundProcess(v.path, ["-n", ns, "monitor"])
        defer { text.stop() }
        func events() throws -> [JSON] { try mon.lines.map { try JSON.parse($0) } }
        try waitUntil("both monitors to report a probe link", interval: 0.1) {
            try ip("-n", ns, "link", "add", "mprobe", "type", "bridge")
            try ip("-n", ns, "link", "del", "mprobe")
            return try events().contains { $0["ifname"]?.stringValue == "mprobe" } && text.lines.contains { $0.contains("mprobe") }
        }
        try ip("-n", ns, "link", "add", "xma", "type", "veth", "peer", "name", "xmb")
        try ip("-n", ns, "link", "set", "xmb", "netns", target)
        try ip("-n", target, "link", "set", "xmb", "up")
        try ip("-n", ns, "link", "set", "xma", "up")
        try ip("-n", ns, "addr", "add", "10.162.0.1/24", "dev", "xma")
        try waitUntil("xma's carrier") { (try? ipJSON("-n", ns, "link", "show", "xma").first?["operstate"] as? String) == "UP" }
        try ip("-n", ns, "route", "add", "10.162.99.0/24", "via", "10.162.0.9", "proto", "static")
        try ip("-n", ns, "route", "add", "blackhole", "10.162.98.0/24", "table", "100")
        try ip("-n", ns, "rule", "add", "from", "10.162.5.0/24", "fwmark", "0x7/0xff", "table", "100", "priority", "162")
        try ip("-n", ns, "nexthop", "add", "id", "162", "via", "10.162.0.9", "dev", "xma")
        try ip("-n", ns, "nexthop", "add", "id", "163", "group", "162")
        try ip("-n", ns, "neigh", "add", "10.162.0.7", "lladdr", "02:00:00:00:01:62", "dev", "xma")
        func last(_ event: String, _ match: (JSON) -> Bool) throws -> JSON? {
            try events().last { $0["event"]?.stringValue == event && $0["action"]?.stringValue == "new" && match($0) }
        }
        try waitUntil("the neighbour event, got:\n\(mon.output)") {
            try last("neigh") { $0["dst"]?.stringValue == "10.162.0.7" } != nil
        }
        Thread.sleep(forTimeInterval: 0.3)  // the link's last change (carrier) comes in too
        // Link: the last event of ma is what ip -j link show prints now.
        let link = try XCTUnwrap(try last("link") { $0["ifname"]?.stringValue == "xma" }, mon.output)
        let ipLink = try XCTUnwrap(try JSON.parse(try runProcess("/usr/sbin/ip", ["-j", "-n", ns, "link", "show", "xma"]).stdout).arrayValue?.first)
        XCTAssertEqual(differencesFromIP(ipLink, link), [], "link event")
        XCTAssertNotNil(link["mtu"]?.intValue)
        // The move: a del with the target's name and the link's index there.
        let move = try XCTUnwrap(try events().first { $0["ifname"]?.stringValue == "xmb" && $0["action"]?.stringValue == "del" }, mon.output)
        let there = try ipJSON("-n", target, "link", "show", "xmb").first?["ifindex"] as? Int
        XCTAssertEqual(move["new_netns"]?.stringValue, target)
        XCTAssertEqual(move["new_ifindex"]?.intValue, there.map(Int64.init))
        XCTAssertNotNil(move["new_netnsid"]?.intValue)
        // The namespace id the move made, with its name (ip -j netns list-id's keys).
        let ids = try JSON.parse(try runProcess("/usr/sbin/ip", ["-j", "-n", ns, "netns", "list-id"]).stdout).arrayValue ?? []
        let idOfTarget = try XCTUnwrap(ids.first { $0["name"]?.stringValue == target })
        let nsid = try XCTUnwrap(try last("nsid") { $0["name"]?.stringValue == target }, mon.output)
        XCTAssertEqual(differencesFromIP(idOfTarget, nsid), [], "nsid event")
        // Address: the addr_info entry of ip -j addr, plus the device.
        let addr = try XCTUnwrap(try last("addr") { $0["local"]?.stringValue == "10.162.0.1" }, mon.output)
        let ipAddr = try JSON.parse(try runProcess("/usr/sbin/ip", ["-j", "-n", ns, "addr", "show", "dev", "xma"]).stdout)
        let info = try XCTUnwrap(ipAddr.arrayValue?.first?["addr_info"]?.arrayValue?.first { $0["local"]?.stringValue == "10.162.0.1" })
        XCTAssertEqual(differencesFromIP(info, addr), [], "addr event")
        XCTAssertEqual(addr["ifname"]?.stringValue, "xma")
        // Routes: every key of ip -j route show; and dev, table, type and protocol always.
        for (dst, show) in [("10.162.99.0/24", ["route", "show", "10.162.99.0/24"]), ("10.162.98.0/24", ["route", "show", "table", "100"])] {
            let route = try XCTUnwrap(try last("route") { $0["dst"]?.stringValue == dst }, mon.output)
            let ipRoute = try XCTUnwrap(try JSON.parse(try runProcess("/usr/sbin/ip", ["-j", "-n", ns] + show).stdout).arrayValue?.first)
            XCTAssertEqual(differencesFromIP(ipRoute, route), [], "route event \(dst)")
            for key in ["table", "type", "protocol"] { XCTAssertNotNil(route[key]?.stringValue, "\(dst) lacks \(key)") }
        }
        XCTAssertEqual(try last("route") { $0["dst"]?.stringValue == "10.162.99.0/24" }?["dev"]?.stringValue, "xma")
        XCTAssertEqual(try last("route") { $0["dst"]?.stringValue == "10.162.98.0/24" }?["table"]?.stringValue, "100")
        // Neighbour: ip -j neigh's keys.
        let neigh = try XCTUnwrap(try last("neigh") { $0["dst"]?.stringValue == "10.162.0.7" })
        let ipNeigh = try XCTUnwrap(try JSON.parse(try runProcess("/usr/sbin/ip", ["-j", "-n", ns, "neigh", "show", "10.162.0.7"]).stdout).arrayValue?.first)
        XCTAssertEqual(differencesFromIP(ipNeigh, neigh), [], "neigh event")
        // Rule and nexthop objects: ip -j rule show's and ip -j nexthop show's keys.
        let rule = try XCTUnwrap(try last("rule") { $0["priority"]?.intValue == 162 }, mon.output)
        let ipRule = try XCTUnwrap(try JSON.parse(try runProcess("/usr/sbin/ip", ["-j", "-n", ns, "rule", "show", "priority", "162"]).stdout).arrayValue?.first)
        XCTAssertEqual(differencesFromIP(ipRule, rule), [], "rule event")
        XCTAssertEqual(rule["fwmask"]?.stringValue, "0xff")
        for id in [162, 163] {
            let nh = try XCTUnwrap(try last("nexthop") { $0["id"]?.intValue == Int64(id) }, mon.output)
            let ipNH = try XCTUnwrap(try JSON.parse(try runProcess("/usr/sbin/ip", ["-j", "-n", ns, "nexthop", "show", "id", String(id)]).stdout).arrayValue?.first)
            XCTAssertEqual(differencesFromIP(ipNH, nh), [], "nexthop \(id) event")
        }
        try ip("-n", ns, "rule", "del", "priority", "162")
        try waitUntil("the rule's deletion, got:\n\(mon.output)") {
            try events().contains { $0["event"]?.stringValue == "rule" && $0["action"]?.stringValue == "del" && $0["priority"]?.intValue == 162 }
        }
        try waitUntil("the text lines of rule and nexthop events, got:\n\(text.output)") {
            text.lines.contains { $0.hasPrefix("rule new 162 src 10.162.5.0 srclen 24 fwmark 0x7 fwmask 0xff table 100") }
                && text.lines.contains("nexthop new id 162 via 10.162.0.9 dev xma") && text.lines.contains("nexthop new id 163 group 162")
                && text.lines.contains { $0.hasPrefix("rule del 162 ") }
        }
        // Timestamps: ip monitor -ts's form.
        XCTAssertTrue(try events().allSatisfy { ($0["timestamp"]?.stringValue ?? "").range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$"#, options: .regularExpression) != nil }, mon.output)
        // Text: the move reads as one.
        let moveLine = text.lines.first { $0.hasPrefix("link del xmb ") } ?? ""
        XCTAssertTrue(moveLine.hasSuffix("moved to netns \(target) new-ifindex \(there ?? -1)"), text.output)
        XCTAssertTrue(text.lines.contains { $0.hasPrefix("neigh new 10.162.0.7 dev xma lladdr 02:00:00:00:01:62 PERMANENT") }, text.output)
        XCTAssertTrue(text.lines.contains("route new blackhole 10.162.98.0/24 table 100 proto boot scope global"), text.output)
    }
}
