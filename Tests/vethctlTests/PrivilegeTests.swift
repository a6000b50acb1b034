import Foundation
import VethKitTestSupport
import XCTest

/// Without CAP_NET_ADMIN (uid 65534 as root), every command that needs it says so in one line,
/// the same for all (instead of EPERM from the kernel, EACCES on a lock file or a mount error),
/// exit 1; bad input is still found first (exit 2).
final class PrivilegeTests: XCTestCase {
    let v = Vethctl()

    func testOneMessageForEveryCommandThatNeedsPrivilege() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let yaml = root + "/examples/seed.yaml"
        if getuid() != 0 { throw XCTSkip("not root: cannot drop CAP_NET_ADMIN to see the refusal (run as root)") }
        // A topology that is up (made as root), for down and cut: without privilege they must
        // be refused for it, not find it missing.
        try requireKernel()
        let topo = "pv\(uniqueSuffix().prefix(5))"
        let file = NSTemporaryDirectory() + "vethkit-priv-\(topo).yaml"
        addTeardownBlock { [v] in
            _ = try? v.run(["down", topo])
            try? FileManager.default.removeItem(atPath: file)
        }
        try v.ok("gen", "pairs-ns", "1", "--name", topo).write(toFile: file, atomically: true, encoding: .utf8)
        try v.ok("up", file, "--quiet")
        let cases: [([String], String)] = [
            (["netns", "add", "pv0"], "netns add pv0"),
            (["link", "add", "pv0", "--type", "bridge"], "link add pv0"),
            (["link", "set", "lo", "--mtu", "1400"], "link set lo"),
            (["link", "impair", "lo", "--rate", "1mbit"], "link impair lo"),
            (["addr", "add", "10.163.0.1/24", "--dev", "lo"], "addr add 10.163.0.1/24 dev lo"),
            (["route", "add", "10.163.0.0/16", "--dev", "lo"], "route add 10.163.0.0/16"),
            (["route", "add", "10.163.1.0/24", "--dev", "lo", "--mtu", "1400"], "route add 10.163.1.0/24"),
            (["neigh", "add", "10.163.0.9", "--dev", "lo", "--lladdr", "02:00:00:00:00:09"], "neigh add 10.163.0.9 dev lo"),
            (["link", "property", "add", "lo", "--altname", "pv-loopback"], "link property add lo altname pv-loopback"),
            (["up", yaml], "up \(yaml)"),
            (["down", topo], "down \(topo)"),
            (["cut", topo, "far"], "cut \(topo) far"),
        ]
        for (args, context) in cases {
            let r = try runUnprivileged(v.path, args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr, "vethctl: \(context): needs root (CAP_NET_ADMIN): run it with sudo\n", "\(args)")
        }
        XCTAssertTrue(try v.ok("list").contains(topo), "the refused down removed the topology")
        // In a batch: the line's number, the same message.
        let b = try runUnprivileged(v.path, ["--batch", "-"], input: "link add pv1 --type bridge\n")
        XCTAssertEqual(b.stderr, "vethctl: -:1: link add pv1: needs root (CAP_NET_ADMIN): run it with sudo\nvethctl: 1 line failed\n")
        // Bad input is still bad input (exit 2), found before any privilege is needed.
        let bad = try runUnprivileged(v.path, ["addr", "add", "10.163.0.1/99", "--dev", "lo"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertFalse(bad.stderr.contains("CAP_NET_ADMIN"), bad.stderr)
        // What needs no privilege still works.
        for args in [["link", "show", "lo"], ["neigh", "show"], ["route", "get", "127.0.0.1"]] {
            let show = try runUnprivileged(v.path, args)
            XCTAssertEqual(show.status, 0, "\(args): \(show.stderr)")
        }
    }
}
