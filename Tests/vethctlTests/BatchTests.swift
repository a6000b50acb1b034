import Foundation
import VethKitTestSupport
import XCTest

final class BatchTests: XCTestCase {
    let v = Vethctl()

    /// Deletes the links and namespaces when the test ends, whether it passed or not.
    func cleanUp(links: [String] = [], namespaces: [String] = []) {
        addTeardownBlock { [v] in
            for l in links { _ = try? v.run(["link", "del", l]) }
            for n in namespaces { _ = try? v.run(["netns", "del", n]) }
        }
    }

    /// Writes `text` to a temporary batch file, removed when the test ends.
    func batchFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "vethkit-batch-\(uniqueSuffix()).batch"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testBatchRunsEveryLineInOneProcess() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let ns = "b-\(s)"
        cleanUp(links: ["ba\(s)"], namespaces: [ns])
        let script = """
            # the seed, as a batch
            netns add \(ns)
            link add ba\(s) --peer bb\(s) --peer-netns \(ns)
            -n \(ns) addr add 10.1.0.2/24 --dev bb\(s)
            -n \(ns) link set bb\(s) --up

            link set ba\(s) --up
            """
        let r = try v.run(["--batch", "-"], input: script)
        XCTAssertEqual(r.status, 0, r.stderr)
        let inside = try XCTUnwrap(ipJSON("-n", ns, "addr", "show", "dev", "bb\(s)").first, "bb\(s) missing in \(ns)")
        XCTAssertEqual(inside["operstate"] as? String, "UP", "\(inside)")
        let addrs = (inside["addr_info"] as? [[String: Any]] ?? []).filter { $0["family"] as? String == "inet" }.map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }
        XCTAssertEqual(addrs, ["10.1.0.2/24"])
        XCTAssertEqual(try ipJSON("link", "show", "ba\(s)").first?["ifname"] as? String, "ba\(s)")
        try v.ok("netns", "del", ns)
    }

    /// The README's form: `vethctl --batch FILE`, errors prefixed `FILE:LINE:`.
    func testBatchFromAFileNamesFileAndLine() throws {
        try requireKernel()
        let s = uniqueSuffix()
        cleanUp(links: ["f\(s)"])
        let good = try batchFile("link add f\(s) --type bridge\nlink set f\(s) --mtu 1400 --up\n")
        let r = try v.run(["--batch", good])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try ipJSON("link", "show", "f\(s)").first?["mtu"] as? Int, 1400)
        // A kernel refusal on line 2 of a file: FILE:2:, exit 1.
        let refused = try batchFile("link set f\(s) --down\nlink add f\(s) --type bridge\n")
        let k = try v.run(["--batch", refused])
        XCTAssertEqual(k.status, 1, k.stderr)
        XCTAssertEqual(k.stderr, "vethctl: \(refused):2: link add f\(s): File exists (EEXIST): a link named \"f\(s)\" exists\nvethctl: 1 line failed\n")
        // A missing file: one message naming it.
        let missing = try v.run(["--batch", "/nonexistent/vk-\(s).batch"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/vk-\(s).batch"), missing.stderr)
    }

    func testParseErrorsNameTheirLineAndNothingRuns() throws {
        try requireKernel()
        let s = uniqueSuffix()
        cleanUp(links: ["x\(s)"], namespaces: ["ok-\(s)"])
        let script = """
            netns add ok-\(s)
            link add x\(s) --peer y\(s)
            addr add 10.0.0.1/99 --dev x\(s)
            """
        let r = try v.run(["--batch", "-"], input: script)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("-:3:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("10.0.0.1/99"), r.stderr)
        XCTAssertFalse(try ip("netns", "list").contains("ok-\(s)"), "line 1 ran although line 3 was bad")
        XCTAssertTrue(try ipJSON("link", "show").allSatisfy { $0["ifname"] as? String != "x\(s)" }, "line 2 ran although line 3 was bad")
    }

    /// The same without privilege (uid 65534 as root): line 1 would fail with EPERM if it ran,
    /// so exit 2 with the line-3 error proves every line is checked before the first runs.
    func testParseErrorsNameTheirLineWithoutPrivilege() throws {
        let file = try batchFile("netns add unpriv-ns\nlink add ux0 --peer uy0\naddr add 10.0.0.1/99 --dev ux0\nlink add ''\n")
        let r = try runUnprivileged(v.path, ["--batch", file])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertFalse(r.stderr.contains("EPERM") || r.stderr.contains("CAP_NET_ADMIN"), "a line ran: \(r.stderr)")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, r.stderr)
        XCTAssertTrue(lines.first?.hasPrefix("vethctl: \(file):3: ") == true && lines[0].contains("10.0.0.1/99"), r.stderr)
        XCTAssertTrue(lines.count > 1 && lines[1].hasPrefix("vethctl: \(file):4: ") && lines[1].contains("empty"), r.stderr)
        XCTAssertEqual(lines.last, "vethctl: 2 lines failed", r.stderr)
    }

    func testKernelErrorStopsUnlessForced() throws {
        try requireKernel()
        let s = uniqueSuffix()
        cleanUp(links: ["k\(s)", "m\(s)"])
        let script = """
            link add k\(s) --type bridge
            link add k\(s) --type bridge
            link add m\(s) --type bridge
            """
        let r = try v.run(["--batch", "-"], input: script)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("-:2: link add k\(s): File exists (EEXIST)"), r.stderr)
        XCTAssertTrue(try ipJSON("link", "show").filter { $0["ifname"] as? String == "m\(s)" }.isEmpty, "line 3 ran after line 2 failed")
        try v.ok("link", "del", "k\(s)")
        let forced = try v.run(["--batch", "-", "--force"], input: script)
        XCTAssertEqual(forced.status, 1, forced.stderr)
        XCTAssertFalse(try ipJSON("link", "show").filter { $0["ifname"] as? String == "m\(s)" }.isEmpty, "--force did not run line 3")
        try v.ok("link", "del", "k\(s)")
        try v.ok("link", "del", "m\(s)")
    }

    /// `netns exec` inside a batch runs the command as a child and goes on with the next line (it
    /// used to replace the process: the lines after it were silently skipped). A command that fails
    /// is the line's failure (its status named), which stops the batch unless --force.
    func testNetnsExecRunsAndTheBatchGoesOn() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let ns = "bx-\(s)"
        cleanUp(namespaces: [ns])
        let script = """
            netns add \(ns)
            netns exec \(ns) -- /usr/sbin/ip link add xa\(s) type bridge
            netns exec \(ns) echo "line 3 in" \(ns)
            -n \(ns) link add xb\(s) --type bridge
            netns exec \(ns) -- /bin/sh -c "exit 3"
            -n \(ns) link add xc\(s) --type bridge
            netns exec \(ns) -- /bin/sh -c "kill -9 $$"
            -n \(ns) link add xd\(s) --type bridge
            """
        let names = { try ipJSON("-n", ns, "link", "show").compactMap { $0["ifname"] as? String }.filter { $0.hasSuffix(s) }.sorted() }
        let r = try v.run(["--batch", "-"], input: script)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "line 3 in \(ns)\n", "the child's output is the batch's")
        XCTAssertEqual(r.stderr, "vethctl: -:5: netns exec \(ns): /bin/sh -c 'exit 3': exited with status 3\nvethctl: 1 line failed\n")
        XCTAssertEqual(try names(), ["xa\(s)", "xb\(s)"], "the lines before the failing command ran, those after it did not")
        let forced = try v.run(["--batch", "-", "--force"], input: script.replacingOccurrences(of: "netns add \(ns)\n", with: "")
            .replacingOccurrences(of: "/usr/sbin/ip link add xa\(s)", with: "/usr/sbin/ip link set xa\(s) up")
            .replacingOccurrences(of: "link add xb\(s) --type bridge", with: "link set xb\(s) --up"))
        XCTAssertEqual(forced.status, 1, forced.stderr)
        XCTAssertEqual(forced.stderr, """
            vethctl: -:4: netns exec \(ns): /bin/sh -c 'exit 3': exited with status 3
            vethctl: -:6: netns exec \(ns): /bin/sh -c 'kill -9 $$': killed by signal 9
            vethctl: 2 lines failed

            """)
        XCTAssertEqual(try names(), ["xa\(s)", "xb\(s)", "xc\(s)", "xd\(s)"], "--force ran every line")
        let up = try ipJSON("-n", ns, "link", "show", "xa\(s)").first?["flags"] as? [String] ?? []
        XCTAssertTrue(up.contains("UP"), "the child's ip link set ran: \(up)")
        // A namespace that does not exist: the line's error names it; nothing is spawned.
        let missing = try v.run(["--batch", "-"], input: "netns exec nx-\(s) -- /bin/true\n")
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.hasPrefix("vethctl: -:1: netns exec nx-\(s): "), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("nx-\(s)"), missing.stderr)
    }

    func testQuotesEscapesCommentsAndUTF8() throws {
        try requireKernel()
        let s = uniqueSuffix()
        cleanUp(links: ["q\(s)"])
        let script = """
            link add q\(s) --type bridge   # a comment after a command
            link set q\(s) --alias "côté \\"gauche\\" #1"
            link set 'q\(s)' --mtu 1400
            """
        let r = try v.run(["--batch", "-"], input: script)
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try XCTUnwrap(ipJSON("link", "show", "q\(s)").first)
        XCTAssertEqual(j["ifalias"] as? String, "côté \"gauche\" #1")
        XCTAssertEqual(j["mtu"] as? Int, 1400)
        try v.ok("link", "del", "q\(s)")
        let bad = try v.run(["--batch", "-"], input: "link add 'unterminated --type bridge\n")
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("-:1: unterminated quote"), bad.stderr)
    }
}
