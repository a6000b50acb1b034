import Foundation
import VethKitTestSupport
import XCTest

/// Bad input is refused with exit 2, one message naming it, and nothing created.
final class BadInputTests: XCTestCase {
    let v = Vethctl()

    /// Every refusal: the arguments and a piece of the one-line message that must name the input.
    /// None needs the kernel: each is refused before any syscall.
    static let refusals: [(args: [String], mentions: String)] = [
        (["link", "add", "averyveryverylongname", "--peer", "x"], "averyveryverylongname"),
        (["link", "add", "", "--peer", "x"], "empty"),
        (["link", "add", "a/b", "--peer", "x"], "a/b"),
        (["link", "add", "a b", "--peer", "x"], "a b"),
        (["link", "add", "..", "--peer", "x"], ".."),
        (["link", "add", "okname", "--peer", "bad/peer"], "bad/peer"),
        (["link", "add", "okname"], "--peer"),
        (["link", "add", "okname", "--peer", "okpeer", "--mtu", "10"], "10"),
        (["link", "add", "okname", "--peer", "okpeer", "--address", "zz:zz"], "zz:zz"),
        (["link", "add", "okname", "--peer", "okpeer", "--peer-netns", "a/b"], "a/b"),
        (["link", "add", "okname", "--peer", "okpeer", "--peer-netns", "nosuchns"], "nosuchns"),
        (["netns", "add", "a/b"], "a/b"),
        (["netns", "add", ".."], ".."),
        (["netns", "add", String(repeating: "n", count: 256)], "255"),
        (["-n", "nosuchns", "link", "show"], "nosuchns"),
        (["-n", "../etc", "link", "show"], "../etc"),
        (["addr", "add", "192.168.1.300/24", "--dev", "lo"], "192.168.1.300/24"),
        (["addr", "add", "192.168.1.3", "--dev", "lo"], "192.168.1.3"),
        (["addr", "add", "10.0.0.1/40", "--dev", "lo"], "10.0.0.1/40"),
        (["route", "add", "10.0.0.0/8", "--via", "fe80::1"], "fe80::1"),
        (["route", "add", "fd00::/64", "--via", "10.0.0.1"], "10.0.0.1"),
        (["route", "add", "10.0.0.0/33", "--via", "10.0.0.1"], "10.0.0.0/33"),
        (["route", "add", "default", "--via", "notanip"], "notanip"),
        (["route", "add", "bogus", "10.0.0.0/8", "--dev", "lo"], "bogus"),
        (["route", "add", "blackhole", "10.0.0.0/8", "--via", "10.0.0.1"], "blackhole 10.0.0.0/8"),
        (["route", "add", "10.0.0.0/8", "--nexthop", "via 10.0.0.1 weight 0"], "\"0\""),
        (["route", "add", "10.0.0.0/8", "--nexthop", "via 10.0.0.1 weight 257"], "257"),
        (["route", "add", "10.0.0.0/8", "--nexthop", "via 10.0.0.1 frob"], "frob"),
        (["route", "add", "10.0.0.0/8", "--nexthop", "via"], "via"),
        (["route", "add", "10.0.0.0/8", "--nexthop", "via 10.0.0.1 via 10.0.0.2"], "twice"),
        (["route", "add", "10.0.0.0/8", "--nexthop", "via fd00::1"], "fd00::1"),
        (["route", "add", "10.0.0.0/8", "--nexthop", ""], "empty"),
        (["route", "add", "10.0.0.0/8", "--nexthop", "dev a/b"], "a/b"),
        (["route", "add", "10.0.0.0/8", "--via", "10.0.0.1", "--nexthop", "via 10.0.0.2"], "next hops"),
        (["route", "add", "10.0.0.0/8", "--dev", "lo", "--src", "fd00::1"], "fd00::1"),
        (["route", "add", "10.0.0.0/8", "--dev", "lo", "--scope", "galaxy"], "galaxy"),
        (["route", "add", "10.0.0.0/8", "--dev", "lo", "--protocol", "300"], "300"),
        (["route", "add", "local", "blackhole", "10.0.0.0/8"], "3 words"),
        (["link", "set", "lo", "--up", "--down"], "--up"),
        (["link", "frobnicate"], "frobnicate"),
    ]

    /// Names a refused command above would create if it ran anyway.
    static let watchedLinks: Set<String> = ["averyveryverylon", "averyveryverylongname", "a b", "okname", "okpeer", "x", "a/b"]

    /// What this test could have created (not everything in the sandbox: other tests' host veths
    /// may still be vanishing after their namespaces were deleted): the watched link names, any
    /// namespace, the addresses on lo and the routes to the refused destinations.
    func snapshot() throws -> [String] {
        let links = try ipJSON("link", "show").compactMap { $0["ifname"] as? String }.filter(Self.watchedLinks.contains).map { "link \($0)" }
        let addrs = try ipJSON("addr", "show", "dev", "lo").flatMap { l in
            ((l["addr_info"] as? [[String: Any]]) ?? []).map { "addr lo \($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }
        }
        let routes = try (ipJSON("route", "show") + ipJSON("-6", "route", "show"))
            .filter { ["10.0.0.0/8", "fd00::/64", "default"].contains($0["dst"] as? String ?? "") }
            .map { "route \($0["dst"] ?? "") \($0["gateway"] ?? "")" }
        let spaces = try ipJSON("netns", "list").map { "netns \($0["name"] ?? "")" }
        return (links + addrs + routes + spaces).sorted()
    }

    func assertRefusal(_ r: ProcessResult, _ args: [String], mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        let cmd = "vethctl \(args.joined(separator: " "))"
        XCTAssertEqual(r.status, 2, "\(cmd) → \(r.status): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(mentions), "\(cmd): message \"\(r.stderr)\" does not name \"\(mentions)\"", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("EPERM") || r.stderr.contains("CAP_NET_ADMIN"), "\(cmd) tried a syscall before refusing: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(cmd): more than one line: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "\(cmd) printed on stdout: \(r.stdout)", file: file, line: line)
    }

    /// As root in the sandbox: refused, and nothing was created.
    func testEveryBadInputIsRefusedAndNothingIsCreated() throws {
        try requireKernel()
        for (args, mentions) in Self.refusals {
            let before = try snapshot()
            assertRefusal(try v.run(args), args, mentions: mentions)
            XCTAssertEqual(try snapshot(), before, "vethctl \(args.joined(separator: " ")) created something")
        }
    }

    /// Without privilege (as root: uid/gid 65534 through setpriv, so any syscall needing
    /// privilege fails with EPERM; otherwise as the user running the suite): the same refusals,
    /// the same messages. Runs everywhere: the proof that each is checked before any syscall.
    func testEveryBadInputIsRefusedWithoutPrivilege() throws {
        for (args, mentions) in Self.refusals {
            assertRefusal(try runUnprivileged(v.path, args), args, mentions: mentions)
        }
        // The control: a valid request without privilege does reach the kernel, and is refused
        // there (exit 1, EPERM): so exit 2 above really means "before any syscall".
        if getuid() == 0 {
            let r = try runUnprivileged(v.path, ["link", "add", "vkunpriv0", "--type", "bridge"])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(r.stderr, "vethctl: link add vkunpriv0: needs root (CAP_NET_ADMIN): run it with sudo\n")
        }
    }

    func testKernelRefusalExitsOneWithErrnoName() throws {
        try requireKernel()
        let r = try v.run(["link", "del", "nosuchlink0"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("nosuchlink0"), r.stderr)
        let e = try v.run(["link", "add", "lo", "--type", "bridge"])
        XCTAssertEqual(e.status, 1, e.stderr)
        XCTAssertEqual(e.stderr, "vethctl: link add lo: File exists (EEXIST): a link named \"lo\" exists\n")
    }

    /// EEXIST names the link that exists: the new name, or the veth peer's (here or in the
    /// peer's namespace); the user's links are untouched and nothing new is left.
    func testExistsNamesTheClashingLink() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let ns = "ex-\(s)"
        addTeardownBlock {
            _ = try? runProcess("/usr/sbin/ip", ["link", "del", "ev\(s)"])
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns])
        }
        try ip("link", "add", "ev\(s)", "type", "bridge")
        try ip("netns", "add", ns)
        try ip("-n", ns, "link", "add", "ep\(s)", "type", "bridge")
        for (args, clash) in [(["link", "add", "en\(s)", "--peer", "ev\(s)"], "a link named \"ev\(s)\" exists"),
                              (["link", "add", "ev\(s)", "--peer", "ez\(s)"], "a link named \"ev\(s)\" exists"),
                              (["link", "add", "en\(s)", "--peer", "ep\(s)", "--peer-netns", ns],
                               "a link named \"ep\(s)\" exists in the peer's namespace")] {
            let r = try v.run(args)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(r.stderr, "vethctl: link add \(args[2]): File exists (EEXIST): \(clash)\n")
        }
        let here = try ipJSON("link", "show").compactMap { $0["ifname"] as? String }.filter { $0.hasSuffix(s) }
        XCTAssertEqual(here, ["ev\(s)"], "a new link was left")
        XCTAssertEqual(try ipJSON("-d", "link", "show", "ev\(s)").first?["linkinfo"].flatMap { ($0 as? [String: Any])?["info_kind"] as? String }, "bridge")
        XCTAssertEqual(try ipJSON("-n", ns, "link", "show").compactMap { $0["ifname"] as? String }.sorted(), ["ep\(s)", "lo"])
    }

    func testUsageWithoutRootOrSandboxNeedsNoKernel() throws {
        // Validation happens before any syscall, so it works (and fails the same way) anywhere.
        let r = try runUnprivileged(v.path, ["link", "add", "averyveryverylongname", "--peer", "x"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertEqual(r.stderr, "vethctl: invalid interface name \"averyveryverylongname\": longer than 15 bytes\n")
        let version = try runUnprivileged(v.path, ["--version"])
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertFalse(version.stdout.isEmpty, "--version printed nothing")
    }
}
