import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// `link impair` lines in `vethctl --batch`: parsed by the batch fast path, sent together as one
/// request batch, with the errors, help and --force behaviour of every other line.
final class ImpairBatchTests: XCTestCase {
    let v = Vethctl()

    /// A quiet namespace holding veths ba0…ba(n-1) (peers bb…), made by one `ip -batch`.
    func namespace(links n: Int) throws -> String {
        let ns = try quietNamespace("vk-ib")
        let path = NSTemporaryDirectory() + "vk-ib-\(uniqueSuffix()).ip"
        try (0..<n).map { "link add ba\($0) type veth peer name bb\($0)\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ip("-n", ns, "-batch", path)
        return ns
    }

    /// The root qdiscs of `ns` by device, from tc.
    func roots(_ ns: String) throws -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        for q in try tcQdiscs(ns) where q["root"] as? Bool == true { out[q["dev"] as? String ?? "?"] = q }
        return out
    }

    func rate(_ q: [String: Any]?) -> Int? { (q?["options"] as? [String: Any])?["rate"] as? Int }

    func test1000LinesAddReplaceAndClear() throws {
        try requireKernel()
        let n = 1000
        let ns = try namespace(links: n)
        let add = (0..<n).map { "link impair ba\($0) --rate 100mbit\n" }.joined()
        let r = try v.run(["-n", ns, "--batch", "-"], input: add)
        XCTAssertEqual(r.status, 0, r.stderr)
        var q = try roots(ns)
        let ours = (0..<n).filter { q["ba\($0)"]?["handle"] as? String == "564b:" && rate(q["ba\($0)"]) == 12_500_000 }
        XCTAssertEqual(ours.count, n, "links with VethKit's tbf at 100mbit")
        // A replace of each, with per-line namespaces and comments mixed in.
        let change = (0..<n).map { $0 % 100 == 0 ? "# \($0)\nvethctl -n \(ns) link impair ba\($0) --rate 50mbit\n" : "link impair ba\($0) --rate 50mbit\n" }.joined()
        let c = try v.run(["-n", ns, "--batch", "-"], input: change)
        XCTAssertEqual(c.status, 0, c.stderr)
        q = try roots(ns)
        XCTAssertEqual((0..<n).filter { rate(q["ba\($0)"]) == 6_250_000 }.count, n)
        let clear = try v.run(["-n", ns, "--batch", "-"], input: (0..<n).map { "link impair ba\($0) --clear\n" }.joined())
        XCTAssertEqual(clear.status, 0, clear.stderr)
        XCTAssertEqual(try roots(ns).values.filter { $0["handle"] as? String == "564b:" }.count, 0)
    }

    /// A bad value on any line refuses the whole batch before anything changes.
    func testABadLineRefusesTheWholeBatch() throws {
        try requireKernel()
        let ns = try namespace(links: 100)
        var lines = (0..<100).map { "link impair ba\($0) --rate 10mbit" }
        lines[49] = "link impair ba49 --rate 10mbitz"
        lines[80] = "link impair ba80 --loss 101%"
        let r = try v.run(["-n", ns, "--batch", "-"], input: lines.joined(separator: "\n"))
        XCTAssertEqual(r.status, 2, r.stderr)
        let errors = r.stderr.split(separator: "\n")
        XCTAssertEqual(errors.count, 3, r.stderr)
        XCTAssertTrue(errors.first?.hasPrefix("vethctl: -:50: ") == true && r.stderr.contains("10mbitz"), r.stderr)
        XCTAssertTrue(errors.count > 1 && errors[1].hasPrefix("vethctl: -:81: ") && errors[1].contains("101%"), r.stderr)
        XCTAssertEqual(try roots(ns).values.filter { $0["handle"] as? String == "564b:" }.count, 0, "a line ran")
    }

    /// The same refusal without privilege (uid 65534): the lines would fail with EPERM if any ran.
    func testBadLinesAreRefusedBeforeAnySyscall() throws {
        let script = """
            link impair ux0 --rate 10mbit
            link impair ux1 --delay 20ms --loss 1% --seed 7
            link impair ux2 --rate 1gbit --delay 20lightyears
            link impair ux3 --clear --rate 1mbit
            link impair ux4
            """
        let r = try runUnprivileged(v.path, ["--batch", "-"], input: script)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertFalse(r.stderr.contains("EPERM") || r.stderr.contains("CAP_NET_ADMIN"), r.stderr)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, r.stderr)
        XCTAssertTrue(lines[0].hasPrefix("vethctl: -:3: ") && lines[0].contains("20lightyears"), r.stderr)
        XCTAssertTrue(lines.count > 2 && lines[1].hasPrefix("vethctl: -:4: ") && lines[2].hasPrefix("vethctl: -:5: "), r.stderr)
        XCTAssertEqual(lines.last, "vethctl: 3 lines failed")
    }

    /// A kernel-side refusal (a missing link, a user's qdisc) stops the batch at that line unless
    /// --force, as for every other line; each failure names its line.
    func testRefusalsStopUnlessForced() throws {
        try requireKernel()
        let ns = try namespace(links: 6)
        try tc("-n", ns, "qdisc", "add", "dev", "ba4", "root", "handle", "1:", "tbf", "rate", "1mbit", "burst", "10kb", "latency", "70ms")
        let script = """
            link impair ba0 --rate 10mbit
            link impair ba1 --rate 10mbit
            link impair nosuch0 --rate 10mbit
            link impair ba3 --rate 10mbit
            link impair ba4 --rate 10mbit
            link impair ba5 --rate 10mbit
            """
        let r = try v.run(["-n", ns, "--batch", "-"], input: script)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("vethctl: -:3: link impair nosuch0: "), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 2, r.stderr)
        var q = try roots(ns)
        XCTAssertEqual(rate(q["ba0"]), 1_250_000)
        XCTAssertEqual(rate(q["ba1"]), 1_250_000)
        XCTAssertNil(q["ba3"].flatMap(rate), "line 4 ran after line 3 failed")
        XCTAssertNil(q["ba5"].flatMap(rate), "line 6 ran after line 3 failed")
        let forced = try v.run(["-n", ns, "--batch", "-", "--force"], input: script)
        XCTAssertEqual(forced.status, 1, forced.stderr)
        let errors = forced.stderr.split(separator: "\n")
        XCTAssertEqual(errors.count, 3, forced.stderr)
        XCTAssertTrue(errors.first?.hasPrefix("vethctl: -:3: link impair nosuch0: ") == true, forced.stderr)
        XCTAssertTrue(errors.count > 1 && errors[1].hasPrefix("vethctl: -:5: link impair ba4: "), forced.stderr)
        XCTAssertEqual(errors.last, "vethctl: 2 lines failed")
        q = try roots(ns)
        XCTAssertEqual(rate(q["ba3"]), 1_250_000)
        XCTAssertEqual(rate(q["ba5"]), 1_250_000)
        XCTAssertEqual(q["ba4"]?["handle"] as? String, "1:", "the user's qdisc was touched")
        XCTAssertEqual(rate(q["ba4"]), 125_000)
    }

    /// Impair lines mixed with others run in order: links a line adds can be impaired by the next.
    func testMixedLinesRunInOrder() throws {
        try requireKernel()
        let ns = try quietNamespace("vk-ib")
        let script = """
            link add mx0 --peer my0
            link impair mx0 --rate 10mbit
            link impair my0 --rate 20mbit
            link set mx0 --up
            link add mx1 --peer my1
            link impair mx1 --rate 30mbit
            link impair mx0 --clear
            """
        let r = try v.run(["-n", ns, "--batch", "-"], input: script)
        XCTAssertEqual(r.status, 0, r.stderr)
        let q = try roots(ns)
        XCTAssertEqual(rate(q["my0"]), 2_500_000)
        XCTAssertEqual(rate(q["mx1"]), 3_750_000)
        XCTAssertNotEqual(q["mx0"]?["handle"] as? String, "564b:")
    }

    /// Consecutive lines of two namespaces: each goes to its own namespace (same link names in both).
    func testConsecutiveLinesOfTwoNamespaces() throws {
        try requireKernel()
        let a = try namespace(links: 3), b = try namespace(links: 3)
        let script = (0..<3).map { "-n \(a) link impair ba\($0) --rate \($0 + 1)mbit\n-n \(b) link impair ba\($0) --rate \($0 + 11)mbit\n" }.joined()
        let r = try v.run(["--batch", "-"], input: script)
        XCTAssertEqual(r.status, 0, r.stderr)
        let qa = try roots(a), qb = try roots(b)
        XCTAssertEqual((0..<3).map { rate(qa["ba\($0)"]) }, [125_000, 250_000, 375_000])
        XCTAssertEqual((0..<3).map { rate(qb["ba\($0)"]) }, [1_375_000, 1_500_000, 1_625_000])
    }

    /// A line that needs netem on a kernel without it: one message for the whole batch, exit 1,
    /// nothing run (not even the lines before it).
    func testNetemLineOnAKernelWithoutNetemRefusesTheBatch() throws {
        try requireKernel()
        if try KernelFeatures.qdisc("netem") == .present { throw XCTSkip("this kernel has sch_netem") }
        let ns = try namespace(links: 3)
        let script = "link impair ba0 --rate 1mbit\nlink impair ba1 --delay 20ms\nlink impair ba2 --loss 1%\n"
        let r = try v.run(["-n", ns, "--batch", "-"], input: script)
        XCTAssertEqual(r.status, 1, r.stderr)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, r.stderr)
        XCTAssertTrue(lines.first?.hasPrefix("vethctl: -:2: link impair ba1: this kernel has no sch_netem (") == true, r.stderr)
        XCTAssertEqual(try roots(ns).values.filter { $0["handle"] as? String == "564b:" }.count, 0, "a line ran")
    }

    /// The fast path's refusals read exactly as argument-parser's for the same words (the
    /// command line goes through argument-parser), and help is argument-parser's.
    func testFastPathErrorsAndHelpAreTheParsers() throws {
        let lines = [
            "link impair okname --rate 10mbitz", "link impair okname --delay 1parsec --loss 2%", "link impair okname --loss 2% --delay 1parsec",
            "link impair okname --clear --rate 1mbit", "link impair okname", "link impair okname --rate 1mbit --rate 2mbit",
            "link impair okname --rate", "link impair okname --bogus 1", "link impair a/b --rate 1mbit", "link impair okname --clear --clear",
            "link impair okname --seed -1", "link impair okname --overhead -4 --rate 1mbit --delay x", "link impair okname --rate=1mbitz",
            "link impair okname --limit 0x10", "link impair okname -n bad/ns --rate 1mbit",
        ]
        for line in lines {
            let words = line.split(separator: " ").map(String.init)
            let direct = try runUnprivileged(v.path, words)
            let batch = try runUnprivileged(v.path, ["--batch", "-"], input: line + "\n")
            XCTAssertNotEqual(direct.status, 0, "\(line): \(direct.stderr)")
            XCTAssertEqual(batch.status, direct.status, "\(line): \(batch.stderr)")
            let expected = direct.stderr.replacingOccurrences(of: "vethctl: ", with: "vethctl: -:1: ", options: .anchored) + "vethctl: 1 line failed\n"
            XCTAssertEqual(batch.stderr, expected, line)
        }
        let help = try runUnprivileged(v.path, ["link", "impair", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("--rate <rate>") && help.stdout.contains("--clear"), help.stdout)
        // In a batch, --help is argument-parser's answer for every command: not a batch command.
        for line in ["link impair x0 --rate 1mbit --help", "link impair x0 -h"] {
            let b = try runUnprivileged(v.path, ["--batch", "-"], input: line + "\n")
            XCTAssertEqual(b.status, 2)
            XCTAssertEqual(b.stderr, "vethctl: -:1: \"\(line)\" is not a command that can run in a batch\nvethctl: 1 line failed\n")
        }
    }

    /// Hostile lines: invalid UTF-8, control characters, a huge value: one error each, exit 2, nothing run.
    func testHostileLines() throws {
        let dir = NSTemporaryDirectory()
        func file(_ bytes: [UInt8]) throws -> String {
            let path = dir + "vk-ib-hostile-\(uniqueSuffix())"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
            return path
        }
        let utf8 = try file(Array("link impair ux0 --rate 1mbit\nlink impair ux1 --rate 10".utf8) + [0xff] + Array("mbit\n".utf8))
        var r = try runUnprivileged(v.path, ["--batch", utf8])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertEqual(r.stderr, "vethctl: \(utf8):2: invalid UTF-8 (byte 0xff at column 26)\nvethctl: 1 line failed\n")
        let control = try file(Array("link impair ux0 --rate 1\u{1b}[31mbit\nlink impair ux1 --delay 5ms\u{7}\n".utf8))
        r = try runUnprivileged(v.path, ["--batch", control])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertFalse(r.stderr.contains("\u{1b}") || r.stderr.contains("\u{7}"), "raw control characters in: \(r.stderr.debugDescription)")
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 3, r.stderr)
        let huge = String(repeating: "9", count: 1 << 20)
        let t0 = Date()
        r = try runUnprivileged(v.path, ["--batch", "-"], input: "link impair ux0 --rate \(huge)mbit\nlink impair ux1 --limit \(huge)\n")
        XCTAssertEqual(r.status, 2, String(r.stderr.prefix(300)))
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 3, String(r.stderr.prefix(300)))
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10, "a huge value took too long")
        let long = String(repeating: "x", count: 200_000)
        r = try runUnprivileged(v.path, ["--batch", "-"], input: "link impair \(long) --rate 1mbit\n")
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 2, String(r.stderr.prefix(300)))
    }
}
