import Foundation
import VethKitTestSupport
import XCTest

/// `vethctl who` on hostile input: bad names and numbers are refused before any syscall (exit 2,
/// also without privilege); a missing link, a non-veth, an unreachable peer are exit 1 with the
/// reason; names with control characters are escaped in text and exact in JSON; a user's
/// look-alikes (a namespace named like a runtime's, a link named like a container veth) get no
/// invented owner.
final class WhoCommandTests: XCTestCase {
    let v = Vethctl()

    func testBadInputIsRefusedBeforeAnySyscall() throws {
        let cases: [([String], String)] = [
            (["who", "a/b"], "invalid interface name \"a/b\": contains '/'"),
            (["who", ""], "invalid interface name \"\": empty"),
            (["who", String(repeating: "x", count: 16)], "longer than 15 bytes"),
            (["who", "a b"], "contains whitespace"),
            (["who", ".."], "is reserved"),
            (["who", "0"], "invalid ifindex \"0\": must be 1 or more"),
            (["who", "00"], "invalid ifindex \"00\": must be 1 or more"),
            (["who", "2147483648"], "invalid ifindex \"2147483648\": larger than 2147483647"),
            (["who", "99999999999999999999999999"], "larger than 2147483647"),
            (["who", "eth0", "-n", "a/b"], "contains '/'"),
            (["who"], "Missing expected argument"),
            (["who", "eth0", "extra"], "Unexpected argument"),
        ]
        for (args, message) in cases {
            let r = try runUnprivileged(v.path, args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args)")
        }
    }

    func testMissingLinksAndNonVeths() throws {
        try requireKernel()
        let s = uniqueSuffix()
        try ip("link", "add", "h3br\(s)", "type", "bridge")
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", "h3br\(s)"]) }
        let cases: [([String], Int32, String)] = [
            (["who", "h3br\(s)"], 1, "who h3br\(s): \"h3br\(s)\" is a bridge, not a veth"),
            (["who", "lo"], 1, "\"lo\" is a device of no kind"),
            (["who", "1"], 1, "\"lo\" is a device of no kind"),
            (["who", "h3nope\(s)"], 1, "who h3nope\(s): no link \"h3nope\(s)\""),
            (["who", "2147483647"], 1, "no link \"#2147483647\""),
            (["who", "lo", "-n", "h3none\(s)"], 2, "no network namespace \"h3none\(s)\""),
        ]
        for (args, status, message) in cases {
            let r = try v.run(args)
            XCTAssertEqual(r.status, status, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args): nothing printed for a refused link")
        }
    }

    /// A namespace, a host end and a peer whose names hold escape sequences and BEL: text output
    /// has none of them raw, JSON has them exactly.
    func testControlCharactersAreEscapedInTextAndExactInJSON() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let ns = "h3\u{1b}]0;pwn\u{07}\(s)", host = "h3\u{1b}[31m\(s)", peer = "h3\u{9b}p\(s)"
        try ip("netns", "add", ns)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns]) }
        try ip("link", "add", host, "type", "veth", "peer", "name", peer, "netns", ns)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", host]) }
        let text = try v.ok("who", host)
        for bad in ["\u{1b}", "\u{07}", "\u{9b}"] { XCTAssertFalse(text.contains(bad), "raw control character in:\n\(text.debugDescription)") }
        XCTAssertTrue(text.contains("h3\\x1b[31m\(s) (ifindex"), text)
        XCTAssertTrue(text.contains("h3\\x9bp\(s) (ifindex"), text)
        XCTAssertTrue(text.contains(") in h3\\x1b]0;pwn\\x07\(s)\n"), text)
        let o = try parseJSONObject(try v.ok("who", host, "--json"))
        XCTAssertEqual((o["end"] as? [String: Any])?["ifname"] as? String, host)
        XCTAssertEqual((o["peer"] as? [String: Any])?["ifname"] as? String, peer)
        XCTAssertEqual((o["peer"] as? [String: Any])?["netns"] as? String, ns)
        XCTAssertEqual((o["namespace"] as? [String: Any])?["names"] as? [String], [ns])
        // The tables of peers --all and netns list --all escape them too.
        for args in [["peers", "--all"], ["netns", "list", "--all"]] {
            let t = try v.ok(args[0], args[1], args.count > 2 ? args[2] : "--all")
            for bad in ["\u{1b}", "\u{07}", "\u{9b}"] { XCTAssertFalse(t.contains(bad), "\(args): raw control character") }
            XCTAssertTrue(t.contains("h3\\x1b]0;pwn\\x07\(s)"), "\(args)")
        }
    }

    /// The peer's namespace is kept alive by nothing discovery can see (a socket of a process that
    /// is in another namespace): `who` says the peer could not be reached, exit 1, JSON peer null.
    func testUnreachablePeerSaysSo() throws {
        try requireKernel()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("/usr/bin/python3 missing (apt-get install python3)") }
        let s = uniqueSuffix(), ns = "h3hid\(s)", host = "h3h\(s)"
        try ip("netns", "add", ns)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns]) }
        try ip("link", "add", host, "type", "veth", "peer", "name", "h3h\(s)p", "netns", ns)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", host]) }
        let hostIndex = try XCTUnwrap(int(try ipLink(host)["link_index"]))
        // Enters the namespace, opens a UDP socket there, returns to the test's namespace, closes
        // every namespace file: the socket alone keeps the namespace (and the peer) alive.
        let script = """
        import ctypes, os, socket, sys, time
        libc = ctypes.CDLL(None, use_errno=True)
        back = os.open("/proc/self/ns/net", os.O_RDONLY)
        there = os.open("/run/netns/\(ns)", os.O_RDONLY)
        assert libc.setns(there, 0x40000000) == 0
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        assert libc.setns(back, 0x40000000) == 0
        os.close(there); os.close(back)
        print("ready", flush=True)
        time.sleep(600)
        """
        let holder = try BackgroundProcess("/usr/bin/python3", ["-c", script])
        addTeardownBlock { holder.stop() }
        waitUntil("the socket holder") { holder.output.contains("ready") }
        try ip("netns", "del", ns)
        XCTAssertNotNil(try? ipLink(host), "the socket keeps the peer's namespace")
        let r = try v.run(["who", host])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertNotNil(r.stdout.range(of: "\npeer +ifindex \(hostIndex) in a namespace vethctl could not reach\n", options: .regularExpression), r.stdout)
        XCTAssertTrue(r.stderr.contains("who \(host): its peer (ifindex \(hostIndex)) is in a network namespace vethctl could not find or read"), r.stderr)
        let j = try v.run(["who", host, "--json"])
        XCTAssertEqual(j.status, 1)
        let o = try parseJSONObject(j.stdout)
        XCTAssertTrue(o["peer"] is NSNull)
        XCTAssertEqual(int(o["peerIfindex"]), hostIndex)
        XCTAssertTrue((o["error"] as? String)?.contains("could not find or read") == true)
        // peers --all lists the pair with its peer unreadable, and exits 0.
        let pairs = try parseJSONArray(try v.ok("peers", "--all", "--json"))
        let p = pairs.first { ($0["end"] as? [String: Any])?["ifname"] as? String == host }
        XCTAssertTrue(p?["peer"] is NSNull, "\(String(describing: p))")
        XCTAssertEqual(int(p?["peerIfindex"]), hostIndex)
    }

    /// A user's namespace named like a runtime's (`h3-cni-<uuid>`) and one named exactly like
    /// containerd's (`cni-<uuid>`) with a process of the user's in it, each with a host end named
    /// like a podman veth: labels are the name and the process, owners name no container.
    func testLookAlikesGetNoInventedOwners() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let uuid = "3f2a9c1e-\(String(repeating: "0", count: 4 - min(4, s.count)))\(s.prefix(4))-4b1d-9e2f-0123456789ab".lowercased()
        let lookalike = "h3-cni-\(uuid)", exact = "cni-\(uuid)", idle = "cni-\(uuid)-idle"
        func vethName() -> String { "veth\(String(format: "%08x", UInt32.random(in: 0...UInt32.max)))" }
        let hostA = vethName(), hostB = vethName(), hostC = vethName()
        for (ns, host) in [(lookalike, hostA), (exact, hostB), (idle, hostC)] {
            try ip("netns", "add", ns)
            addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns]) }
            try ip("link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns)
            addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", host]) }
        }
        let sleeper = try BackgroundProcess("/usr/sbin/ip", ["netns", "exec", exact, "/bin/sleep", "600"])
        addTeardownBlock { sleeper.stop() }
        let pid = sleeper.process.processIdentifier
        waitUntil("ip netns exec to become sleep") {
            ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "") == "sleep\n"
        }
        // A runtime's name with nothing in it looks orphaned (docs/orphans.md's places); with the
        // user's process in it, it is that process's.
        let expected = [hostA: lookalike, hostB: "pid \(pid) (sleep)", hostC: "orphan"]
        for (host, label) in expected {
            let o = try parseJSONObject(try v.ok("who", host, "--json"))
            let peer = o["peer"] as? [String: Any], ns = o["namespace"] as? [String: Any]
            XCTAssertEqual(peer?["netns"] as? String, label, host)
            XCTAssertEqual(ns?["label"] as? String, label, host)
            XCTAssertEqual(ns?["orphan"] as? Bool, host == hostC, host)
            let kinds = (ns?["owners"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            XCTAssertTrue(Set(kinds).isSubset(of: ["process"]), "\(host): invented owners \(kinds)")
            XCTAssertEqual((o["end"] as? [String: Any])?["owner"] is NSNull, true, "\(host): the host end's namespace is owned by nothing")
        }
    }
}
