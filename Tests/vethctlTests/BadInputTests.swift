import Foundation
import VethKitTestSupport
import XCTest

/// Bad input is refused with exit 2, one message naming it, and nothing created.
final class BadInputTests: XCTestCase {
    let v = Vethctl()

    /// What exists in this namespace and under /run/netns (names, addresses, routes: not states,
    /// which other tests' asynchronous teardown may still be changing), to prove nothing was created.
    func snapshot() throws -> [String] {
        let links = try ipJSON("link", "show").map { "link \($0["ifname"] ?? "")" }
        let addrs = try ipJSON("addr", "show").flatMap { l in
            ((l["addr_info"] as? [[String: Any]]) ?? []).map { "addr \(l["ifname"] ?? "") \($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }
        }
        let routes = try ipJSON("route", "show").map { "route \($0["dst"] ?? "") \($0["gateway"] ?? "")" }
        let spaces = try ipJSON("netns", "list").map { "netns \($0["name"] ?? "")" }
        return (links + addrs + routes + spaces).sorted()
    }

    func assertRefused(_ args: [String], mentions: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try snapshot()
        let r = try v.run(args)
        XCTAssertEqual(r.status, 2, "vethctl \(args.joined(separator: " ")) → \(r.status): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(mentions), "message \"\(r.stderr)\" does not name \"\(mentions)\"", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "more than one line: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(try snapshot(), before, "something was created", file: file, line: line)
    }

    func testEveryBadInputIsRefusedBeforeAnySyscall() throws {
        try requireKernel()
        try assertRefused(["link", "add", "averyveryverylongname", "--peer", "x"], mentions: "averyveryverylongname")
        try assertRefused(["link", "add", "", "--peer", "x"], mentions: "empty")
        try assertRefused(["link", "add", "a/b", "--peer", "x"], mentions: "a/b")
        try assertRefused(["link", "add", "a b", "--peer", "x"], mentions: "a b")
        try assertRefused(["link", "add", "..", "--peer", "x"], mentions: "..")
        try assertRefused(["link", "add", "okname", "--peer", "bad/peer"], mentions: "bad/peer")
        try assertRefused(["link", "add", "okname"], mentions: "--peer")
        try assertRefused(["link", "add", "okname", "--peer", "okpeer", "--mtu", "10"], mentions: "10")
        try assertRefused(["link", "add", "okname", "--peer", "okpeer", "--address", "zz:zz"], mentions: "zz:zz")
        try assertRefused(["link", "add", "okname", "--peer", "okpeer", "--peer-netns", "a/b"], mentions: "a/b")
        try assertRefused(["link", "add", "okname", "--peer", "okpeer", "--peer-netns", "nosuchns"], mentions: "nosuchns")
        try assertRefused(["netns", "add", "a/b"], mentions: "a/b")
        try assertRefused(["netns", "add", ".."], mentions: "..")
        try assertRefused(["netns", "add", String(repeating: "n", count: 256)], mentions: "255")
        try assertRefused(["-n", "nosuchns", "link", "show"], mentions: "nosuchns")
        try assertRefused(["-n", "../etc", "link", "show"], mentions: "../etc")
        try assertRefused(["addr", "add", "192.168.1.300/24", "--dev", "lo"], mentions: "192.168.1.300/24")
        try assertRefused(["addr", "add", "192.168.1.3", "--dev", "lo"], mentions: "192.168.1.3")
        try assertRefused(["addr", "add", "10.0.0.1/40", "--dev", "lo"], mentions: "10.0.0.1/40")
        try assertRefused(["route", "add", "10.0.0.0/8", "--via", "fe80::1"], mentions: "fe80::1")
        try assertRefused(["route", "add", "fd00::/64", "--via", "10.0.0.1"], mentions: "10.0.0.1")
        try assertRefused(["route", "add", "10.0.0.0/33", "--via", "10.0.0.1"], mentions: "10.0.0.0/33")
        try assertRefused(["route", "add", "default", "--via", "notanip"], mentions: "notanip")
        try assertRefused(["link", "set", "lo", "--up", "--down"], mentions: "--up")
        try assertRefused(["link", "frobnicate"], mentions: "frobnicate")
    }

    func testKernelRefusalExitsOneWithErrnoName() throws {
        try requireKernel()
        let r = try v.run(["link", "del", "nosuchlink0"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("nosuchlink0"), r.stderr)
        let e = try v.run(["link", "add", "lo", "--type", "bridge"])
        XCTAssertEqual(e.status, 1)
        XCTAssertEqual(e.stderr, "vethctl: link add lo: File exists (EEXIST)\n")
    }

    func testUsageWithoutRootOrSandboxNeedsNoKernel() throws {
        // Validation happens before any syscall, so it works (and fails the same way) anywhere.
        let r = try v.run(["link", "add", "averyveryverylongname", "--peer", "x"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "vethctl: invalid interface name \"averyveryverylongname\": longer than 15 bytes\n")
        let version = try v.run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertFalse(version.stdout.isEmpty)
    }
}
