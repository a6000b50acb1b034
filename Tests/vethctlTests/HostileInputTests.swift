import Foundation
import VethKitTestSupport
import XCTest

/// Hostile input to vethctl (issue 15, "Every input, bounded"): CRLF batches, endless and
/// invalid-UTF-8 input, MTU and -6 syntax, control characters from the kernel in text output.
/// The refusals run without root: they happen before any syscall.
final class HostileInputTests: XCTestCase {
    let v = Vethctl()

    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vethctl-hostile-\(getpid())-\(uniqueSuffix())").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)), path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Runs vethctl through sh so arguments can hold any bytes (`printf` octal escapes).
    func runRaw(_ shellArguments: String) throws -> ProcessResult {
        try runProcess("/bin/sh", ["-c", "exec \"$0\" \(shellArguments)", v.path])
    }

    // MARK: --batch

    /// Swift takes "\r\n" as one Character, so splitting the text at "\n" never split a CRLF
    /// file: it was one line. Each line now reports its own number, without a stray CR.
    func testCRLFBatchLinesAreSeparateLines() throws {
        let path = try temporaryFile(Array("link add okname --peer okpeer\r\nlink add c1\r\naddr add 10.0.0.1/99 --dev x\r\n".utf8))
        let r = try v.run(["--batch", path])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n"), [
            "vethctl: \(path):2: link add c1: a veth needs --peer NAME",
            "vethctl: \(path):3: invalid CIDR \"10.0.0.1/99\": prefix length must be a number 0...32",
            "vethctl: 2 lines failed",
        ][...].map { Substring($0) }, r.stderr)
        XCTAssertFalse(r.stderr.contains("\r"), r.stderr)
    }

    func testCRLFBatchRuns() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let path = try temporaryFile(Array("link add cr\(s) --type bridge\r\nlink set cr\(s) --up\r\n".utf8))
        let r = try v.run(["--batch", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let link = try XCTUnwrap(ipJSON("link", "show", "cr\(s)").first, "no link named cr\(s) (without a CR)")
        XCTAssertTrue((link["flags"] as? [String])?.contains("UP") ?? false, "\(link)")
        try v.ok("link", "del", "cr\(s)")
    }

    /// /dev/zero used to be read until memory ran out; it is one error at the cap.
    func testEndlessBatchInputIsOneErrorAtTheCap() throws {
        let r = try v.run(["--batch", "/dev/zero"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "vethctl: --batch /dev/zero: larger than 16777216 bytes (the limit for a batch input)\n")
    }

    /// Invalid UTF-8 was repaired to U+FFFD and a link of another name created; it is refused
    /// with its line and column, and (the lines are checked before any runs) nothing is created.
    func testInvalidUTF8InABatchLineIsRefusedWithItsLine() throws {
        let s = uniqueSuffix()
        let path = try temporaryFile(Array("link add u\(s) --type bridge\nlink add ab".utf8) + [0xff] + Array("c --type bridge\n".utf8))
        let r = try v.run(["--batch", path])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "vethctl: \(path):2: invalid UTF-8 (byte 0xff at column 12)\nvethctl: 1 line failed\n")
        if getuid() == 0, ProcessInfo.processInfo.environment["VETHKIT_SANDBOX"] == "1" {
            XCTAssertTrue(try ipJSON("link", "show").filter { ($0["ifname"] as? String)?.hasPrefix("u\(s)") ?? false }.isEmpty,
                          "line 1 ran although line 2 was refused")
            XCTAssertTrue(try ipJSON("link", "show").filter { ($0["ifname"] as? String)?.hasPrefix("ab") ?? false }.isEmpty)
        }
    }

    func testInvalidUTF8InAnArgumentIsRefusedNamingIt() throws {
        let r = try runRaw(#"link add "ab$(printf '\377')c" --peer okpeer"#)
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "vethctl: argument 3 \"ab\\xffc\" is not valid UTF-8 (byte 0xff)\n")
        let overlong = try runRaw(#"link set "$(printf 'x\300\257y')" --up"#)
        XCTAssertEqual(overlong.status, 2)
        XCTAssertEqual(overlong.stderr, "vethctl: argument 3 \"x\\xc0\\xafy\" is not valid UTF-8 (byte 0xc0)\n")
    }

    // MARK: MTU and -6

    func testMTUSyntaxIsRefusedNamingTheValue() throws {
        for value in ["-1", "abc", "1e3", "0x100", "+1500", "99999999999", "2147483648", ""] {
            for args in [["link", "add", "okname", "--peer", "okpeer", "--mtu", value], ["link", "set", "lo", "--mtu", value]] {
                let r = try v.run(args)
                XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
                XCTAssertEqual(r.stderr, "vethctl: invalid MTU \"\(value)\": must be a whole number of bytes\n", "\(args)")
            }
        }
        let r = try v.run(["link", "add", "okname", "--peer", "okpeer", "--mtu", "65536"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "vethctl: invalid MTU \"65536\": must be 68...65535 for a new veth, bridge or dummy\n")
        // A batch line goes through the same check (the fast path takes `link add`).
        let b = try v.run(["--batch", "-"], input: "link add okname --peer okpeer --mtu -1\n")
        XCTAssertEqual(b.status, 2)
        XCTAssertEqual(b.stderr, "vethctl: -:1: invalid MTU \"-1\": must be a whole number of bytes\nvethctl: 1 line failed\n")
    }

    /// The range comes from the kernel: `lo` reports no maximum (it has 65536 already), a veth 68...65535.
    func testMTURangeComesFromTheKernel() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let ns = "m-\(s)"
        try v.ok("netns", "add", ns)
        defer { _ = try? v.run(["netns", "del", ns]) }
        try v.ok("-n", ns, "link", "set", "lo", "--mtu", "65536")
        try v.ok("-n", ns, "link", "set", "lo", "--mtu", "70000")
        XCTAssertEqual(try ipJSON("-n", ns, "link", "show", "lo").first?["mtu"] as? Int, 70000)
        try v.ok("-n", ns, "link", "add", "ma", "--peer", "mb")
        let r = try v.run(["-n", ns, "link", "set", "ma", "--mtu", "65536"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertEqual(r.stderr, "vethctl: link set ma: invalid MTU \"65536\": must be 68...65535 for ma (the kernel's limits for this device)\n")
        let low = try v.run(["-n", ns, "link", "set", "ma", "--mtu", "67"])
        XCTAssertEqual(low.status, 2, low.stderr)
        XCTAssertTrue(low.stderr.contains("\"67\": must be 68...65535"), low.stderr)
        XCTAssertEqual(try ipJSON("-n", ns, "link", "show", "ma").first?["mtu"] as? Int, 1500, "a refused MTU changed the link")
        try v.ok("-n", ns, "link", "set", "ma", "--mtu", "65535")
        XCTAssertEqual(try ipJSON("-n", ns, "link", "show", "ma").first?["mtu"] as? Int, 65535)
    }

    func testDashSixOnAnIPv4RouteIsRefused() throws {
        for verb in ["add", "del"] {
            let r = try v.run(["route", verb, "10.0.0.0/8", "-6", "--dev", "lo"])
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertEqual(r.stderr, "vethctl: invalid route destination \"10.0.0.0/8\": is IPv4 but -6 asks for IPv6\n")
        }
        let gw = try v.run(["route", "add", "default", "-6", "--via", "10.0.0.1"])
        XCTAssertEqual(gw.status, 2, gw.stderr)
        XCTAssertTrue(gw.stderr.contains("10.0.0.1"), gw.stderr)
    }

    // MARK: control characters from the kernel

    /// The kernel takes ESC, BEL, DEL and other control bytes in a name (not '/', ':' or
    /// whitespace). A container names its veth end "\e]0;…\a" (an xterm title change); the host's
    /// `vethctl peers` and `link show` must print it escaped, JSON as \u001b.
    func testKernelNamesWithControlCharactersAreEscapedInTextOutput() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let ns = "e-\(s)"
        let evil = "\u{1b}]0;pwn\u{07}"
        try v.ok("netns", "add", ns)
        defer { _ = try? v.run(["netns", "del", ns]) }
        try v.ok("link", "add", "eh\(s)", "--peer", "ep\(s)", "--peer-netns", ns)
        defer { _ = try? v.run(["link", "del", "eh\(s)"]) }
        _ = try ip("-n", ns, "link", "set", "ep\(s)", "name", evil)
        _ = try ip("-n", ns, "link", "add", "d\u{7f}\u{01}", "type", "veth", "peer", "name", "q\(s)")
        // iproute2 itself writes the name raw (even into `ip -j`, which then is not valid JSON).
        XCTAssertTrue(try ip("-n", ns, "-o", "link", "show").contains(": \(evil)@"), "the kernel kept the name")
        func assertClean(_ text: String, _ what: String) {
            XCTAssertFalse(text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7f...0x9f).contains($0.value) },
                           "\(what) wrote a raw control character: \(text.debugDescription)")
        }
        let peers = try v.ok("peers")
        assertClean(peers, "peers")
        XCTAssertTrue(peers.contains("\\x1b]0;pwn\\x07"), peers)
        let show = try v.ok("-n", ns, "link", "show")
        assertClean(show, "link show")
        XCTAssertTrue(show.contains("\\x1b]0;pwn\\x07"), show)
        XCTAssertTrue(show.contains("d\\x7f\\x01"), show)
        for args in [["-n", ns, "addr", "show"], ["-n", ns, "link", "stats"], ["-n", ns, "route", "show"], ["netns", "list"]] {
            let out = try v.run(args)
            XCTAssertEqual(out.status, 0, "\(args): \(out.stderr)")
            assertClean(out.stdout, args.joined(separator: " "))
        }
        let json = try v.run(["peers", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertTrue(json.stdout.contains("\\u001b]0;pwn\\u0007"), json.stdout)
        let names = try parseJSONArray(json.stdout).compactMap { ($0["peer"] as? [String: Any])?["ifname"] as? String }
        XCTAssertTrue(names.contains(evil), "JSON keeps the exact name: \(names)")
        // An error naming it (the kernel's name echoed back by a refusal) is escaped too.
        let r = try v.run(["-n", ns, "link", "set", evil, "--mtu", "65536"])
        XCTAssertEqual(r.status, 2, r.stderr)
        assertClean(r.stderr, "an error message")
    }
}
