import Foundation
import VethKitTestSupport
import XCTest

final class BatchTests: XCTestCase {
    let v = Vethctl()

    func testBatchRunsEveryLineInOneProcess() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let ns = "b-\(s)"
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
        XCTAssertEqual(try ipJSON("-n", ns, "addr", "show", "dev", "bb\(s)").first?["operstate"] as? String, "UP")
        try v.ok("netns", "del", ns)
    }

    func testParseErrorsNameTheirLineAndNothingRuns() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let script = """
            netns add ok-\(s)
            link add x\(s) --peer y\(s)
            addr add 10.0.0.1/99 --dev x\(s)
            """
        let r = try v.run(["--batch", "-"], input: script)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("-:3:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("10.0.0.1/99"), r.stderr)
        XCTAssertFalse(try ip("netns", "list").contains("ok-\(s)"), "line 1 ran although line 3 was bad")
    }

    func testKernelErrorStopsUnlessForced() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let script = """
            link add k\(s) --type bridge
            link add k\(s) --type bridge
            link add m\(s) --type bridge
            """
        let r = try v.run(["--batch", "-"], input: script)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("-:2: link add k\(s): File exists (EEXIST)"), r.stderr)
        XCTAssertTrue(try ipJSON("link", "show").filter { $0["ifname"] as? String == "m\(s)" }.isEmpty)
        try v.ok("link", "del", "k\(s)")
        let forced = try v.run(["--batch", "-", "--force"], input: script)
        XCTAssertEqual(forced.status, 1)
        XCTAssertFalse(try ipJSON("link", "show").filter { $0["ifname"] as? String == "m\(s)" }.isEmpty)
        try v.ok("link", "del", "k\(s)")
        try v.ok("link", "del", "m\(s)")
    }

    func testQuotesEscapesCommentsAndUTF8() throws {
        try requireKernel()
        let s = uniqueSuffix()
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
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("-:1: unterminated quote"), bad.stderr)
    }
}
