import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// The seed's six steps, end to end through vethctl on a real kernel, with real packets,
/// cross-checked against iproute2's own view.
final class SeedStepsTests: XCTestCase {
    let v = Vethctl()
    var ns = ""
    var br = "", host = "", peer = ""

    override func setUpWithError() throws {
        try requireKernel()
        let s = uniqueSuffix()
        ns = "t1-\(s)"
        br = "br\(s)"
        host = "vh\(s)"
        peer = "vp\(s)"
    }

    override func tearDownWithError() throws {
        guard !ns.isEmpty else { return }  // skipped before anything was made
        _ = try? v.run(["netns", "del", ns])
        _ = try? v.run(["link", "del", br])
        _ = try? v.run(["link", "del", host])
    }

    func buildSeed() throws {
        try v.ok("link", "add", host, "--peer", peer)                           // 1. veth pair
        try v.ok("netns", "add", ns)                                             // 2. namespace
        try v.ok("link", "set", peer, "--netns", ns)                             // 3. move one end
        try v.ok("-n", ns, "addr", "add", "192.168.1.200/24", "--dev", peer)     // 4. address + up
        try v.ok("-n", ns, "link", "set", peer, "--up")
        try v.ok("-n", ns, "link", "set", "lo", "--up")
        try v.ok("link", "add", br, "--type", "bridge")                          // 6. bridge with the gateway
        try v.ok("addr", "add", "192.168.1.1/24", "--dev", br)
        try v.ok("link", "set", br, "--up")
        try v.ok("link", "set", host, "--master", br, "--up")
        try v.ok("-n", ns, "route", "add", "default", "--via", "192.168.1.1")   // 5. default route
        // Let carrier and bridge port state settle, so the two views below are of the same moment.
        try waitUntil("\(host) and \(peer) to be operationally UP") {
            let states = try ipJSON("link", "show", host) + ipJSON("-n", ns, "link", "show", peer)
            return states.count == 2 && states.allSatisfy { $0["operstate"] as? String == "UP" }
        }
    }

    func testSixStepsThenPingAndStats() throws {
        try requirePing()
        try buildSeed()
        // A real ping from inside t1 to the gateway on the bridge (a ping that could not run fails).
        XCTAssertEqual(ping(from: ns, "192.168.1.1", count: 3), .reply, "no reply from the gateway 192.168.1.1 in \(ns)")
        // Both ends counted those packets.
        let inside = try XCTUnwrap(v.json("-n", ns, "link", "stats", peer).first?["stats64"] as? [String: Any])
        let outside = try XCTUnwrap(v.json("link", "stats", host).first?["stats64"] as? [String: Any])
        let txIn = try XCTUnwrap((inside["tx"] as? [String: Any])?["packets"] as? Int)
        let rxOut = try XCTUnwrap((outside["rx"] as? [String: Any])?["packets"] as? Int)
        XCTAssertGreaterThanOrEqual(txIn, 3)
        XCTAssertGreaterThanOrEqual(rxOut, 3)
        let ipStats = try XCTUnwrap(ipJSON("-s", "-n", ns, "link", "show", peer).first?["stats64"] as? [String: Any])
        XCTAssertGreaterThanOrEqual((ipStats["tx"] as? [String: Any])?["packets"] as? Int ?? 0, txIn)
        // vethctl netns exec runs a command inside.
        let exec = try v.run(["netns", "exec", ns, "--", "ping", "-c", "1", "-W", "2", "192.168.1.1"])
        XCTAssertEqual(exec.status, 0, exec.stderr)
    }

    func testJSONAgreesWithIproute2OnEveryObject() throws {
        try buildSeed()
        // Links, in both namespaces: every key both print must hold the same value.
        for (nsArgs, ipArgs) in [([String](), [String]()), (["-n", ns], ["-n", ns])] {
            // In the sandbox's host namespace only this test's own links are compared: other tests'
            // host veths may still be vanishing (namespace teardown is asynchronous).
            let own: (([String: Any]) -> Bool) = { l in nsArgs.isEmpty ? [self.host, self.br].contains(l["ifname"] as? String ?? "") : true }
            let mine = try parseJSONArray(v.run(nsArgs + ["link", "show", "--json"]).stdout).filter(own)
            let theirs = try parseJSONArray(runProcess("/usr/sbin/ip", ["-j", "-d"] + ipArgs + ["link", "show"]).stdout).filter(own)
            XCTAssertEqual(mine.count, theirs.count, "vethctl lists \(mine.compactMap { $0["ifname"] }), ip \(theirs.compactMap { $0["ifname"] })")
            XCTAssertEqual(theirs.count, 2, "expected \(nsArgs.isEmpty ? "\(host), \(br)" : "lo, \(peer)")")
            for t in theirs {
                let name = try XCTUnwrap(t["ifname"] as? String, "ip -j link entry without ifname: \(t)")
                let m = try XCTUnwrap(mine.first { $0["ifname"] as? String == name }, name)
                for key in ["ifindex", "mtu", "operstate", "address", "master", "link", "link_index", "link_netnsid", "group", "txqlen", "link_type"] {
                    XCTAssertEqual("\(m[key] ?? "nil")", "\(t[key] ?? "nil")", "\(name).\(key)")
                }
                XCTAssertEqual(m["flags"] as? [String], t["flags"] as? [String], "\(name).flags")
                XCTAssertEqual((m["linkinfo"] as? [String: Any])?["info_kind"] as? String,
                               (t["linkinfo"] as? [String: Any])?["info_kind"] as? String, "\(name).kind")
            }
        }
        // The peer's namespace by name: VethKit's extra.
        let hostEnd = try XCTUnwrap(v.json("link", "show", host).first)
        XCTAssertEqual(hostEnd["link_netns"] as? String, ns)
        // Addresses.
        let mineA = try v.json("-n", ns, "addr", "show", "--dev", peer)
        let theirA = try ipJSON("-n", ns, "addr", "show", "dev", peer)
        func v4(_ a: [[String: Any]]) -> [String] {
            ((a.first?["addr_info"] as? [[String: Any]]) ?? []).filter { $0["family"] as? String == "inet" }
                .map { "\($0["local"]!)/\($0["prefixlen"]!) \($0["scope"]!)" }
        }
        XCTAssertEqual(v4(mineA), v4(theirA))
        XCTAssertEqual(v4(mineA), ["192.168.1.200/24 global"])
        // Routes (IPv4 main table).
        let mineR = try v.json("-n", ns, "route", "show").filter { !(($0["dst"] as? String) ?? "").contains(":") && !(($0["gateway"] as? String) ?? "").contains(":") }
        let theirR = try ipJSON("-n", ns, "route", "show")
        XCTAssertEqual(mineR.count, theirR.count)
        for t in theirR {
            XCTAssertTrue(mineR.contains { m in ["dst", "gateway", "dev", "protocol", "scope", "prefsrc", "metric"].allSatisfy { "\(m[$0] ?? "nil")" == "\(t[$0] ?? "nil")" } },
                          "route \(t) missing from \(mineR)")
        }
        // Namespaces.
        let mineN = try v.json("netns", "list").map { try XCTUnwrap($0["name"] as? String, "netns entry without name: \($0)") }
        let theirN = try ipJSON("netns", "list").map { try XCTUnwrap($0["name"] as? String, "ip netns entry without name: \($0)") }
        XCTAssertEqual(Set(mineN), Set(theirN))
        XCTAssertTrue(mineN.contains(ns))
    }

    func testPeersMapsThePairAcrossNamespaces() throws {
        try buildSeed()
        let pairs = try v.json("peers")
        let pair = try XCTUnwrap(pairs.first { p in
            [p["end"], p["peer"]].compactMap { $0 as? [String: Any] }.contains { $0["ifname"] as? String == host }
        })
        let ends = [pair["end"], pair["peer"]].compactMap { $0 as? [String: Any] }
        XCTAssertEqual(ends.count, 2)
        let inside = try XCTUnwrap(ends.first { $0["ifname"] as? String == peer })
        XCTAssertEqual(inside["netns"] as? String, ns)
        let outside = try XCTUnwrap(ends.first { $0["ifname"] as? String == host })
        XCTAssertTrue(outside["netns"] is NSNull)
        let ipIndex = try XCTUnwrap(ipJSON("-n", ns, "link", "show", peer).first?["ifindex"] as? Int)
        XCTAssertEqual(inside["ifindex"] as? Int, ipIndex)
    }

    func testDeletingEitherEndRemovesBoth() throws {
        try buildSeed()
        try v.ok("-n", ns, "link", "del", peer)
        XCTAssertTrue(try ipJSON("link", "show", "type", "veth").filter { $0["ifname"] as? String == host }.isEmpty)
        try v.ok("link", "add", host, "--peer", peer, "--peer-netns", ns)
        try v.ok("link", "del", host)
        XCTAssertTrue(try ipJSON("-n", ns, "link", "show", "type", "veth").isEmpty)
        // Deleting the namespace takes its veth ends and their peers outside with it.
        try v.ok("link", "add", host, "--peer", peer, "--peer-netns", ns)
        try v.ok("netns", "del", ns)
        try waitUntilLinksGone([host])
    }
}
