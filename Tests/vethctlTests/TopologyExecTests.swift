import Foundation
import VethKitTestSupport
import XCTest

/// `vethctl exec TOPOLOGY NODE -- CMD`: CMD runs in the node's namespace (what `ip -j addr show`
/// prints there is what `ip -n NS -j addr show` prints), its exit status is vethctl's, traffic
/// flows between nodes; the node is found through the topology's marks, so a user's namespace of
/// the node's name pattern (or another topology's) is never entered.
final class TopologyExecTests: XCTestCase {
    let v = Vethctl()

    /// Topology `name`: nodes a (10.158.<k>.1/24) and b (.2) joined by one veth.
    func yaml(_ name: String, k: Int) -> String {
        """
        name: \(name)
        nodes:
          a: {}
          b: {}
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.158.\(k).1/24]}, {node: b, name: eth0, addresses: [10.158.\(k).2/24]}]
        """
    }

    func up(_ name: String, k: Int) throws {
        let path = NSTemporaryDirectory() + "vethctl-exec-\(uniqueSuffix()).yaml"
        try yaml(name, k: k).write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { [v] in
            _ = try? v.run(["down", name])
            try? FileManager.default.removeItem(atPath: path)
        }
        try v.ok("up", path)
    }

    /// Each interface's name with its addresses, sorted (life times and IPv6 DAD flags change between two reads).
    func addresses(_ json: [[String: Any]]) -> [String] {
        json.map { i in
            let a = (i["addr_info"] as? [[String: Any]] ?? []).map { "\($0["local"] ?? "?")/\($0["prefixlen"] ?? "?")" }.sorted()
            return "\(i["ifname"] ?? "?") \(a.joined(separator: " "))"
        }.sorted()
    }

    func testExecRunsInTheNodesNamespace() throws {
        try requireKernel()
        let t = "tp\(uniqueSuffix())"
        try up(t, k: 1)
        let inside = try v.run(["exec", t, "a", "--", "/usr/sbin/ip", "-j", "addr", "show"])
        XCTAssertEqual(inside.status, 0, inside.stderr)
        let got = addresses(try parseJSONArray(inside.stdout))
        XCTAssertEqual(got, addresses(try ipJSON("-n", "\(t)-a", "addr", "show")))
        XCTAssertTrue(got.contains { $0.hasPrefix("eth0 ") && $0.contains("10.158.1.1/24") }, "\(got)")

        let seven = try v.run(["exec", t, "b", "--", "/bin/sh", "-c", "exit 7"])
        XCTAssertEqual(seven.status, 7, seven.stderr)

        // Options of CMD stay CMD's; -n (before or after the verb) is vethctl's.
        let ping = try v.run(["exec", t, "a", "--", "ping", "-c", "1", "-W", "2", "10.158.1.2"])
        XCTAssertEqual(ping.status, 0, "ping a → b through exec: \(ping.stdout) \(ping.stderr)")
        let hostNS = "tp\(uniqueSuffix())h"
        try ip("netns", "add", hostNS)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", hostNS]) }
        for args in [["-n", hostNS, "exec", t, "b", "--", "/usr/sbin/ip", "-j", "addr", "show"],
                     ["exec", t, "b", "-n", hostNS, "--", "/usr/sbin/ip", "-j", "addr", "show"]] {
            let r = try v.run(args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            XCTAssertEqual(addresses(try parseJSONArray(r.stdout)), addresses(try ipJSON("-n", "\(t)-b", "addr", "show")), "\(args)")
        }

        // No command: bad usage, nothing run.
        let none = try v.run(["exec", t, "a"])
        XCTAssertEqual(none.status, 2, none.stderr)
        XCTAssertTrue(none.stderr.contains("no command"), none.stderr)
    }

    /// `host` is the namespace vethctl runs in: with `-n NS` (as `up -n NS` made it), NS; the
    /// host ends and bridge are there, so `exec T host` without `-n` finds no host node.
    func testHostNodeIsTheNamespaceOfDashN() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let t = "tp\(s)", hostNS = "tp\(s)h", bridge = "tpb\(s)"
        try ip("netns", "add", hostNS)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", hostNS]) }
        let path = NSTemporaryDirectory() + "vethctl-exec-\(s).yaml"
        try """
        name: \(t)
        nodes:
          host:
            bridges:
              \(bridge): {addresses: [10.158.4.1/24]}
          a:
            routes: [{to: default, via: 10.158.4.1}]
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.158.4.2/24]}, {node: host, name: tph\(s)a, master: \(bridge)}]
        """.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { [v] in
            _ = try? v.run(["-n", hostNS, "down", t])
            try? FileManager.default.removeItem(atPath: path)
        }
        try v.ok("-n", hostNS, "up", path, "-q")
        let r = try v.run(["-n", hostNS, "exec", t, "host", "--", "/usr/sbin/ip", "-j", "addr", "show"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let got = addresses(try parseJSONArray(r.stdout))
        XCTAssertEqual(got, addresses(try ipJSON("-n", hostNS, "addr", "show")))
        XCTAssertTrue(got.contains { $0.hasPrefix("\(bridge) ") && $0.contains("10.158.4.1/24") }, "\(got)")
        let ping = try v.run(["-n", hostNS, "exec", t, "host", "--", "ping", "-c", "1", "-W", "2", "10.158.4.2"])
        XCTAssertEqual(ping.status, 0, "host → a through exec: \(ping.stdout) \(ping.stderr)")
        let here = try v.run(["exec", t, "host", "--", "/bin/true"])
        XCTAssertEqual(here.status, 2, here.stderr)
        XCTAssertEqual(here.stderr, "vethctl: exec \(t) host: invalid node \"host\": is not a node of topology \(t) (nodes: a)\n")
    }

    /// A user's namespace named as a node of the topology would be (`T-c`), and another topology's
    /// namespace `T-x-y` (topology `T-x`, node y: the name node `x-y` of T would have) are not
    /// nodes of T: exec refuses, naming the node and listing T's nodes, and never runs CMD.
    func testExecEntersOnlyTheTopologysMarkedNamespaces() throws {
        try requireKernel()
        let t = "tp\(uniqueSuffix())"
        try up(t, k: 2)
        let other = "\(t)-x"
        let otherFile = NSTemporaryDirectory() + "vethctl-exec-\(uniqueSuffix()).yaml"
        try """
        name: \(other)
        nodes:
          y: {}
          z: {}
        links:
          - endpoints: [{node: y, name: eth0, addresses: [10.158.3.1/24]}, {node: z, name: eth0, addresses: [10.158.3.2/24]}]
        """.write(toFile: otherFile, atomically: true, encoding: .utf8)
        addTeardownBlock { [v] in
            _ = try? v.run(["down", other])
            try? FileManager.default.removeItem(atPath: otherFile)
        }
        try v.ok("up", otherFile)
        try ip("netns", "add", "\(t)-c")
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", "\(t)-c"]) }

        let marker = NSTemporaryDirectory() + "vethctl-exec-ran-\(uniqueSuffix())"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: marker) }
        for node in ["c", "x-y"] {
            let r = try v.run(["exec", t, node, "--", "/bin/sh", "-c", "touch \(marker)"])
            XCTAssertNotEqual(r.status, 0, "exec \(t) \(node) entered a namespace that is not the topology's")
            XCTAssertEqual(r.stderr, "vethctl: exec \(t) \(node): invalid node \"\(node)\": is not a node of topology \(t) (nodes: a, b)\n")
            XCTAssertEqual(r.stdout, "")
            XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "exec \(t) \(node) ran the command")
        }
        // The other topology's node is reached through its own name.
        let y = try v.run(["exec", other, "y", "--", "/usr/sbin/ip", "-j", "addr", "show"])
        XCTAssertEqual(y.status, 0, y.stderr)
        XCTAssertEqual(addresses(try parseJSONArray(y.stdout)), addresses(try ipJSON("-n", "\(other)-y", "addr", "show")))

        // A topology that is not up: one line naming it, exit 1.
        let gone = "tp\(uniqueSuffix())n"
        let r = try v.run(["exec", gone, "a", "--", "/bin/sh", "-c", "touch \(marker)"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("vethctl: exec \(gone) a: topology \(gone) is not up (up: "), r.stderr)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "exec of a topology that is not up ran the command")
    }
}
