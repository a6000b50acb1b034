import Foundation
import VethKitTestSupport
import XCTest

/// `link add/set` with the kind options: every bad value or combination is refused with exit 2
/// and one line naming it, before any syscall (proved without privilege), in a batch too.
final class LinkKindBadInputTests: XCTestCase {
    let v = Vethctl()

    static let refusals: [(args: [String], mentions: String)] = [
        (["link", "add", "v0", "--type", "vlan", "--id", "10"], "--link"),
        (["link", "add", "v0", "--type", "vlan", "--link", "eth0"], "--id"),
        (["link", "add", "v0", "--type", "vlan", "--link", "eth0", "--id", "0"], "\"0\""),
        (["link", "add", "v0", "--type", "vlan", "--link", "eth0", "--id", "4095"], "4095"),
        (["link", "add", "v0", "--type", "vlan", "--link", "eth0", "--id", "-1"], "\"-1\""),
        (["link", "add", "v0", "--type", "vlan", "--link", "eth0", "--id", "99999999999999999999999"], "99999999999999999999999"),
        (["link", "add", "v0", "--type", "vlan", "--link", "eth0", "--id", "1x"], "1x"),
        (["link", "add", "v0", "--type", "vlan", "--link", "eth0", "--id", "10", "--protocol", "802.1x"], "802.1x"),
        (["link", "add", "v0", "--type", "vlan", "--link", "eth0", "--id", "10", "--mode", "bridge"], "--mode"),
        (["link", "add", "v0", "--type", "vlan", "--link", "bad/parent", "--id", "10"], "bad/parent"),
        (["link", "add", "v0", "--type", "vlan", "--link", String(repeating: "p", count: 16), "--id", "10"], String(repeating: "p", count: 16)),
        (["link", "add", "m0", "--type", "macvlan", "--link", "eth0"], "--mode"),
        (["link", "add", "m0", "--type", "macvlan", "--mode", "bridge"], "--link"),
        (["link", "add", "m0", "--type", "macvlan", "--link", "eth0", "--mode", "l2"], "\"l2\""),
        (["link", "add", "m0", "--type", "macvlan", "--link", "eth0", "--mode", "source"], "source"),
        (["link", "add", "m0", "--type", "macvlan", "--link", "eth0", "--mode", "bridge", "--id", "3"], "--id"),
        (["link", "add", "i0", "--type", "ipvlan", "--link", "eth0", "--mode", "bridge"], "\"bridge\""),
        (["link", "add", "i0", "--type", "ipvlan", "--link", "eth0"], "--mode"),
        (["link", "add", "x0", "--type", "vxlan", "--remote", "10.0.0.2"], "--id"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42"], "--remote"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "16777216", "--remote", "10.0.0.2"], "16777216"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--remote", "10.0.0.2", "--group", "239.1.1.1"], "not both"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--group", "10.1.1.1"], "multicast"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--remote", "239.1.1.1"], "unicast"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--remote", "10.0.0.2", "--local", "fd00::1"], "family"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--remote", "10.0.0.300"], "10.0.0.300"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--remote", "10.0.0.2", "--dstport", "0"], "\"0\""),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--remote", "10.0.0.2", "--dstport", "65536"], "65536"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--remote", "10.0.0.2", "--link", "eth0"], "--dev"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--remote", "10.0.0.2", "--learning", "--nolearning"], "--nolearning"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--remote", "10.0.0.2", "--dev", "a/b"], "a/b"),
        (["link", "add", "x0", "--type", "vxlan", "--id", "42", "--group", "nonsense"], "nonsense"),
        (["link", "add", "d0", "--type", "dummy", "--link", "eth0"], "--link"),
        (["link", "add", "b0", "--type", "bridge", "--group", "239.1.1.1"], "--group IP"),
        (["link", "add", "d0", "--type", "dummy", "--group", "4294967296"], "4294967296"),
        (["link", "add", "a0", "--peer", "b0", "--remote", "10.0.0.2"], "--remote"),
        (["link", "add", "a0", "--type", "vlan0", "--link", "eth0"], "vlan0"),
        (["link", "set", "lo", "--mode", "l4"], "l4"),
        (["link", "set", "lo", "--mode", "bridge", "--nolearning"], "--mode"),
        (["link", "set", "lo", "--learning", "--nolearning"], "--nolearning"),
        (["link", "set", "lo", "--remote", "239.1.1.1"], "unicast"),
        (["link", "set", "lo", "--group", "10.1.1.1"], "multicast"),
        (["link", "set", "lo", "--remote", "10.0.0.2", "--local", "fd00::1"], "family"),
        (["link", "set", "lo", "--reorder-hdr", "maybe"], "maybe"),
        (["link", "set", "lo", "--loose-binding", "on", "--mode", "bridge"], "vlan flags"),
    ]

    func assertRefusal(_ r: ProcessResult, _ args: [String], mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        let cmd = "vethctl \(args.joined(separator: " "))"
        XCTAssertEqual(r.status, 2, "\(cmd) → \(r.status): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(mentions), "\(cmd): message \"\(r.stderr)\" does not name \"\(mentions)\"", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("EPERM") || r.stderr.contains("CAP_NET_ADMIN"), "\(cmd) tried a syscall before refusing: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(cmd): more than one line: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "\(cmd) printed on stdout: \(r.stdout)", file: file, line: line)
    }

    /// Without privilege (uid 65534 when the suite runs as root): each is refused before any syscall.
    func testEveryBadKindOptionIsRefusedWithoutPrivilege() throws {
        for (args, mentions) in Self.refusals {
            assertRefusal(try runUnprivileged(v.path, args), args, mentions: mentions)
        }
        // The control: valid kind options without privilege reach the kernel (exit 1, EPERM).
        if getuid() == 0 {
            for args in [["link", "add", "vkunpriv1", "--type", "vxlan", "--id", "42", "--remote", "10.0.0.2"],
                         ["link", "add", "vkunpriv2", "--type", "vlan", "--link", "lo", "--id", "10"]] {
                let r = try runUnprivileged(v.path, args)
                XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("CAP_NET_ADMIN"), r.stderr)
            }
        }
    }

    /// In a batch: every line is checked first, so a bad kind option on line 3 runs nothing.
    func testBadKindOptionInABatchRunsNothing() throws {
        let script = """
            link add vkb0 --type bridge
            link add vkb1 --type vxlan --id 42 --remote 10.0.0.2
            link add vkb2 --type vlan --link vkb0 --id 5000
            """
        let r = try runUnprivileged(v.path, ["--batch", "-"], input: script)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("-:3:") && r.stderr.contains("5000"), r.stderr)
        XCTAssertFalse(r.stderr.contains("EPERM") || r.stderr.contains("CAP_NET_ADMIN"), "a line ran before every line was checked: \(r.stderr)")
    }

    /// As root in the sandbox: refused, and nothing was created (the names the lines would make).
    func testRefusalsCreateNothing() throws {
        try requireKernel()
        for (args, _) in Self.refusals where args[1] == "add" {
            _ = try v.run(args)
            XCTAssertNil(try ipJSON("link", "show").first { ($0["ifname"] as? String) == args[2] }, "vethctl \(args) created \(args[2])")
        }
    }
}
