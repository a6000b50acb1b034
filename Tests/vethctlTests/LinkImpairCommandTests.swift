import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// `vethctl link impair` on this kernel (tbf: a rate alone), read back with `tc -j -s`.
final class LinkImpairCommandTests: XCTestCase {
    let v = Vethctl()

    /// A quiet namespace with the veth pair ia0/ib0, both up, 10.78.0.1/24 on ia0.
    func pair() throws -> String {
        let ns = try quietNamespace("vk-i")
        try ip("-n", ns, "link", "add", "ia0", "type", "veth", "peer", "name", "ib0")
        try ip("-n", ns, "addr", "add", "10.78.0.1/24", "dev", "ia0")
        try ip("-n", ns, "link", "set", "ia0", "up")
        try ip("-n", ns, "link", "set", "ib0", "up")
        return ns
    }

    /// `/sys/class/net/DEV/carrier_changes` inside `ns` (a flap counts two).
    func carrierChanges(_ ns: String, _ dev: String) throws -> String {
        try ip("netns", "exec", ns, "cat", "/sys/class/net/\(dev)/carrier_changes").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func options(_ q: [String: Any]?) -> [String: Any] { q?["options"] as? [String: Any] ?? [:] }

    func testRateAloneIsVethKitsTbfReadBackWithTc() throws {
        try requireKernel()
        let ns = try pair()
        try v.ok("-n", ns, "link", "impair", "ia0", "--rate", "100mbit")
        let q = try XCTUnwrap(tcRootQdisc(ns, "ia0"), "no root qdisc on ia0")
        XCTAssertEqual(q["kind"] as? String, "tbf")
        XCTAssertEqual(q["handle"] as? String, "564b:")
        XCTAssertEqual(options(q)["rate"] as? Int, 12_500_000, "100mbit is 12500000 bytes/s: \(q)")
        XCTAssertGreaterThan(options(q)["burst"] as? Int ?? 0, 1514, "burst must hold a full frame: \(q)")
        // tc's own units: 1gbit, 1500kbit, 12mbps (bytes/s), 1.5mbit.
        for (value, bytes) in [("1gbit", 125_000_000), ("1500kbit", 187_500), ("12mbps", 12_000_000), ("1.5mbit", 187_500), ("800bit", 100)] {
            try v.ok("-n", ns, "link", "impair", "ia0", "--rate", value)
            XCTAssertEqual(options(try tcRootQdisc(ns, "ia0"))["rate"] as? Int, bytes, value)
        }
    }

    /// A new value replaces the qdisc in place: its counters and the link's carrier survive.
    func testChangeIsInPlaceWithoutAFlap() throws {
        try requireKernel()
        let ns = try pair()
        try v.ok("-n", ns, "link", "impair", "ia0", "--rate", "100mbit")
        _ = try runProcess("/usr/sbin/ip", ["netns", "exec", ns, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.78.0.2"])
        let before = try XCTUnwrap(tcRootQdisc(ns, "ia0"))
        let sent = before["packets"] as? Int ?? 0
        XCTAssertGreaterThan(sent, 0, "no packets through the qdisc: \(before)")
        let carrier = try carrierChanges(ns, "ia0")
        try v.ok("-n", ns, "link", "impair", "ia0", "--rate", "50mbit")
        let after = try XCTUnwrap(tcRootQdisc(ns, "ia0"))
        XCTAssertEqual(after["handle"] as? String, "564b:")
        XCTAssertEqual(options(after)["rate"] as? Int, 6_250_000)
        XCTAssertGreaterThanOrEqual(after["packets"] as? Int ?? 0, sent, "the qdisc was recreated (counters reset): \(after)")
        XCTAssertEqual(try carrierChanges(ns, "ia0"), carrier, "the link flapped")
        XCTAssertEqual(try ipJSON("-n", ns, "link", "show", "ia0").first?["operstate"] as? String, "UP")
    }

    func testClearRemovesVethKitsQdisc() throws {
        try requireKernel()
        let ns = try pair()
        try v.ok("-n", ns, "link", "impair", "ia0", "--rate", "10mbit")
        try v.ok("-n", ns, "link", "impair", "ia0", "--clear")
        let q = try tcRootQdisc(ns, "ia0")
        XCTAssertEqual(q?["kind"] as? String, "noqueue", "the veth's default qdisc is back: \(q ?? [:])")
        // Clearing what is not there is no error (nothing to do), and changes nothing.
        try v.ok("-n", ns, "link", "impair", "ia0", "--clear")
        XCTAssertEqual(try tcRootQdisc(ns, "ia0")?["kind"] as? String, "noqueue")
    }

    /// A root qdisc a user put there is not VethKit's: refused (exit 1), left exactly as it was.
    func testUsersRootQdiscIsRefusedAndUntouched() throws {
        try requireKernel()
        let ns = try pair()
        try tc("-n", ns, "qdisc", "add", "dev", "ia0", "root", "handle", "1:", "tbf", "rate", "1mbit", "burst", "10kb", "latency", "70ms")
        let before = try XCTUnwrap(tcRootQdisc(ns, "ia0"))
        for args in [["--rate", "100mbit"], ["--clear"]] {
            let r = try v.run(["-n", ns, "link", "impair", "ia0"] + args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("vethctl: link impair ia0: "), r.stderr)
            XCTAssertTrue(r.stderr.contains("1:") && r.stderr.contains("tbf"), "the message names the user's qdisc: \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            let after = try XCTUnwrap(tcRootQdisc(ns, "ia0"))
            XCTAssertEqual(after["handle"] as? String, "1:")
            XCTAssertEqual(qdiscDifferences(options(after), options(before), at: "options"), [], "\(args)")
        }
        // A user's htb too, with its class.
        try tc("-n", ns, "qdisc", "replace", "dev", "ia0", "root", "handle", "2:", "htb")
        let r = try v.run(["-n", ns, "link", "impair", "ia0", "--rate", "1mbit"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(try tcRootQdisc(ns, "ia0")?["kind"] as? String, "htb")
    }

    /// Bad values: exit 2 naming the value, before any syscall (as uid 65534 too).
    func testBadValuesAreRefusedNamingThemWithoutPrivilege() throws {
        let cases: [([String], String)] = [
            (["--rate", "100mbitz"], "100mbitz"), (["--rate", "fast"], "fast"), (["--rate", "-1mbit"], "-1mbit"), (["--rate", ""], "\"\""),
            (["--rate", "99999999999999tbit"], "99999999999999tbit"),
            (["--delay", "20 ms"], "20 ms"), (["--delay", "20parsecs"], "20parsecs"), (["--delay", "-5ms"], "-5ms"),
            (["--delay", "nan"], "nan"), (["--delay", "1e400s"], "1e400s"),
            (["--loss", "150%"], "150%"), (["--loss", "-1%"], "-1%"), (["--loss", "1%%"], "1%%"), (["--loss", "inf%"], "inf%"),
            (["--corrupt", "x"], "\"x\""), (["--duplicate", "101%"], "101%"), (["--reorder", "1.5.%"], "1.5.%"),
            (["--limit", "abc"], "abc"), (["--limit", "-1"], "-1"), (["--limit", "99999999999"], "99999999999"),
            (["--seed", "seven"], "seven"), (["--seed", "-7"], "-7"), (["--gap", "1.5"], "1.5"),
            (["--distribution", "gaussian"], "gaussian"), (["--jitter", "5 ms"], "5 ms"), (["--overhead", "lots"], "lots"),
            (["--correlation", "200%"], "200%"),
        ]
        for (args, named) in cases {
            let r = try runUnprivileged(v.path, ["link", "impair", "okname"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("vethctl: "), "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(named), "\(args): the message must name \(named): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("EPERM") || r.stderr.contains("CAP_NET_ADMIN"), "\(args) made a syscall: \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
        }
        for (args, words) in [([String](), "--clear"), (["--clear", "--rate", "1mbit"], "--clear"), (["--rate"], "rate")] {
            let r = try runUnprivileged(v.path, ["link", "impair", "okname"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(words), "\(args): \(r.stderr)")
        }
        let name = try runUnprivileged(v.path, ["link", "impair", "a/b", "--rate", "1mbit"])
        XCTAssertEqual(name.status, 2, name.stderr)
        XCTAssertTrue(name.stderr.contains("a/b"), name.stderr)
    }

    /// A valid impairment without privilege reaches the kernel and is refused there as a
    /// permission error (EPERM), never as a wrong "this kernel has no sch_tbf" (the kind probe
    /// cannot ask the kernel without CAP_NET_ADMIN, and a container may have no module files).
    func testValidImpairmentWithoutPrivilegeIsAPermissionError() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to run a command as uid 65534") }
        let r = try runUnprivileged(v.path, ["link", "impair", "lo", "--rate", "1mbit"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertFalse(r.stderr.contains("this kernel has no"), r.stderr)
        XCTAssertTrue(r.stderr.contains("CAP_NET_ADMIN"), r.stderr)
    }

    /// On a kernel without sch_netem (this one), netem's options are one clear message, exit 1,
    /// and the link keeps what it had.
    func testNetemOptionsWithoutNetemAreOneMessageAndChangeNothing() throws {
        try requireKernel()
        if try KernelFeatures.qdisc("netem") == .present { throw XCTSkip("this kernel has sch_netem: LinkImpairNetemCommandTests covers it") }
        let ns = try pair()
        try v.ok("-n", ns, "link", "impair", "ia0", "--rate", "100mbit")
        let before = try XCTUnwrap(tcRootQdisc(ns, "ia0"))
        for args in [["--delay", "20ms"], ["--loss", "1%"], ["--rate", "10mbit", "--delay", "5ms", "--seed", "7"], ["--limit", "100"]] {
            let r = try v.run(["-n", ns, "link", "impair", "ia0"] + args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("vethctl: link impair ia0: this kernel has no sch_netem ("), r.stderr)
            XCTAssertTrue(r.stderr.contains("rate alone works with tbf"), r.stderr)
            let after = try XCTUnwrap(tcRootQdisc(ns, "ia0"))
            XCTAssertEqual(after["kind"] as? String, "tbf")
            XCTAssertEqual(qdiscDifferences(options(after), options(before), at: "options"), [], "\(args) changed the qdisc")
        }
    }

    func testNamespaceBeforeOrAfterAndMissingLinks() throws {
        try requireKernel()
        let ns = try pair()
        try v.ok("link", "impair", "ia0", "-n", ns, "--rate", "2mbit")
        XCTAssertEqual(options(try tcRootQdisc(ns, "ia0"))["rate"] as? Int, 250_000)
        try v.ok("-n", ns, "link", "impair", "ib0", "--rate", "3mbit")
        XCTAssertEqual(options(try tcRootQdisc(ns, "ib0"))["rate"] as? Int, 375_000)
        let missing = try v.run(["-n", ns, "link", "impair", "nosuch0", "--rate", "1mbit"])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("nosuch0"), missing.stderr)
        let noNS = try v.run(["-n", "vk-none-\(uniqueSuffix())", "link", "impair", "ia0", "--rate", "1mbit"])
        XCTAssertEqual(noNS.status, 2, noNS.stderr)
    }
}

/// netem through `link impair` (the VM's kernel: Debian's 6.1 has sch_netem), compared with
/// `tc -j -s qdisc show`.
final class LinkImpairNetemCommandTests: XCTestCase {
    let v = Vethctl()

    func testDelayLossAndSeedReadBackWithTc() throws {
        try requireQdisc("netem")
        let ns = try quietNamespace("vk-n")
        try ip("-n", ns, "link", "add", "na0", "type", "veth", "peer", "name", "nb0")
        try ip("-n", ns, "link", "set", "na0", "up")
        try ip("-n", ns, "link", "set", "nb0", "up")
        let seeded = try v.run(["-n", ns, "link", "impair", "na0", "--delay", "20ms", "--loss", "1%", "--seed", "7"])
        if TrafficControl.supportsNetemSeed {
            XCTAssertEqual(seeded.status, 0, seeded.stderr)
            XCTAssertEqual(try XCTUnwrap(v.json("-n", ns, "qdisc", "show", "--dev", "na0").first?["options"] as? [String: Any])["seed"] as? Int, 7)
        } else {
            // Debian 12's 6.1 would ignore the seed: refused before anything changes, then without it.
            XCTAssertEqual(seeded.status, 1, seeded.stderr)
            XCTAssertTrue(seeded.stderr.hasPrefix("vethctl: link impair na0: this kernel (") && seeded.stderr.contains("cannot do netem seed"), seeded.stderr)
            XCTAssertEqual(try tcRootQdisc(ns, "na0")?["kind"] as? String, "noqueue", "the refused seed changed the link")
            try v.ok("-n", ns, "link", "impair", "na0", "--delay", "20ms", "--loss", "1%")
        }
        let q = try XCTUnwrap(tcRootQdisc(ns, "na0"))
        XCTAssertEqual(q["kind"] as? String, "netem")
        XCTAssertEqual(q["handle"] as? String, "564b:")
        let o = q["options"] as? [String: Any] ?? [:]
        XCTAssertEqual(o["limit"] as? Int, 1000)
        XCTAssertEqual((o["delay"] as? [String: Any])?["delay"] as? Double ?? 0, 0.02, accuracy: 1e-6, "\(o)")
        XCTAssertEqual((o["loss-random"] as? [String: Any])?["loss"] as? Double ?? 0, 0.01, accuracy: 1e-6, "\(o)")
        let ours = try XCTUnwrap(v.json("-n", ns, "qdisc", "show", "--dev", "na0").first)
        XCTAssertEqual(qdiscDifferences(ours, q, at: "na0"), [])
        // Everything at once, then back to a rate alone (tbf), then cleared: each read back.
        try v.ok("-n", ns, "link", "impair", "na0", "--delay", "10ms", "--jitter", "2ms", "--correlation", "25%", "--distribution", "normal",
                 "--loss", "0.5%", "--rate", "10mbit", "--overhead", "14", "--corrupt", "0.1%", "--duplicate", "0.2%",
                 "--reorder", "1%", "--gap", "5", "--limit", "500")
        let all = try XCTUnwrap(tcRootQdisc(ns, "na0"))
        XCTAssertEqual(all["kind"] as? String, "netem")
        let a = all["options"] as? [String: Any] ?? [:]
        XCTAssertEqual(a["limit"] as? Int, 500)
        XCTAssertEqual(a["gap"] as? Int, 5)
        XCTAssertEqual((a["delay"] as? [String: Any])?["jitter"] as? Double ?? 0, 0.002, accuracy: 1e-6, "\(a)")
        XCTAssertEqual((a["rate"] as? [String: Any])?["rate"] as? Int, 1_250_000, "\(a)")
        XCTAssertEqual((a["rate"] as? [String: Any])?["packetoverhead"] as? Int, 14, "\(a)")
        XCTAssertEqual((a["corrupt"] as? [String: Any])?["corrupt"] as? Double ?? 0, 0.001, accuracy: 1e-6, "\(a)")
        XCTAssertEqual(qdiscDifferences(try XCTUnwrap(v.json("-n", ns, "qdisc", "show", "--dev", "na0").first), all, at: "na0"), [])
        try v.ok("-n", ns, "link", "impair", "na0", "--rate", "100mbit")
        XCTAssertEqual(try tcRootQdisc(ns, "na0")?["kind"] as? String, "tbf")
        try v.ok("-n", ns, "link", "impair", "na0", "--clear")
        XCTAssertEqual(try tcRootQdisc(ns, "na0")?["kind"] as? String, "noqueue")
    }

    /// A batch of netem lines goes as one request batch too.
    func testBatchOfNetemLines() throws {
        try requireQdisc("netem")
        let ns = try quietNamespace("vk-n")
        var script = ""
        for i in 0..<20 {
            try ip("-n", ns, "link", "add", "nx\(i)", "type", "veth", "peer", "name", "ny\(i)")
            script += "link impair nx\(i) --delay \(i + 1)ms" + (TrafficControl.supportsNetemSeed ? " --seed \(i)\n" : "\n")
        }
        let r = try v.run(["-n", ns, "--batch", "-"], input: script)
        XCTAssertEqual(r.status, 0, r.stderr)
        if !TrafficControl.supportsNetemSeed {
            // A seed on any line refuses the whole batch before anything runs.
            let seeded = try v.run(["-n", ns, "--batch", "-"], input: "link impair nx0 --delay 50ms\nlink impair nx1 --loss 1% --seed 3\n")
            XCTAssertEqual(seeded.status, 1, seeded.stderr)
            XCTAssertTrue(seeded.stderr.hasPrefix("vethctl: -:2: link impair nx1: this kernel ("), seeded.stderr)
            XCTAssertEqual(((try tcRootQdisc(ns, "nx0")?["options"] as? [String: Any])?["delay"] as? [String: Any])?["delay"] as? Double ?? 0,
                           0.001, accuracy: 1e-6, "line 1 ran")
        }
        for i in 0..<20 {
            let q = try XCTUnwrap(tcRootQdisc(ns, "nx\(i)"), "nx\(i)")
            XCTAssertEqual(((q["options"] as? [String: Any])?["delay"] as? [String: Any])?["delay"] as? Double ?? 0,
                           Double(i + 1) / 1000, accuracy: 1e-6, "nx\(i): \(q)")
        }
    }
}
