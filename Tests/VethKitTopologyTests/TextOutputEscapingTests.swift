import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// The topology's text output never writes a control character it read from the kernel: a
/// process inside a topology namespace can name a link "\e]0;…\a" (an xterm title change).
/// The verbs run through the built `vethctl`, as a user types them.
final class TextOutputEscapingTests: XCTestCase {
    func vethctl(_ args: String...) throws -> ProcessResult {
        let bin = productPath("vethctl")
        guard FileManager.default.isExecutableFile(atPath: bin) else { throw XCTSkip("\(bin) not built") }
        return try runProcess(bin, args)
    }

    func assertClean(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7f...0x9f).contains($0.value) },
                       "\(what) wrote a raw control character: \(text.debugDescription)", file: file, line: line)
    }

    func testTerminalEscaping() {
        XCTAssertEqual("a\u{1b}]0;x\u{07}b\u{7f}\u{9b}c\td\ne".terminalEscaped(), "a\\x1b]0;x\\x07b\\x7f\\x9bc\\x09d\\x0ae")
        XCTAssertEqual("l1\nl2\u{1b}".terminalEscaped(keepingNewlines: true), "l1\nl2\\x1b")
        XCTAssertEqual("côté 😀".terminalEscaped(), "côté 😀")
    }

    /// A topology name with an escape sequence, given on the command line: one clean error line, exit 2.
    func testErrorMessagesEscapeControlCharacters() throws {
        for verb in ["down", "show"] {
            let r = try vethctl(verb, "x\u{1b}]0;pwn\u{07}")
            XCTAssertEqual(r.status, 2, "\(verb): \(r.stderr)")
            XCTAssertEqual(r.stdout, "")
            assertClean(r.stderr, verb)
            XCTAssertTrue(r.stderr.hasPrefix("vethctl: \(verb) x\\x1b]0;pwn\\x07: "), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
    }

    func testShowAndCheckEscapeKernelNames() throws {
        try requireKernel()
        let name = "esc" + String(uniqueSuffix().prefix(4))
        let yaml = """
        name: \(name)
        nodes:
          a: {}
          b: {}
        links:
          - endpoints:
              - {node: a, name: eth0, addresses: [10.250.0.1/24]}
              - {node: b, name: eth0, addresses: [10.250.0.2/24]}
        checks:
          - {from: a, to: 10.250.0.2}
        """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).yaml").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8)))
        defer {
            _ = try? vethctl("down", path)
            try? FileManager.default.removeItem(atPath: path)
        }
        let up = try vethctl("up", path)
        XCTAssertEqual(up.status, 0, up.stderr)
        // A link the user (or a container) made inside the topology's namespace, with an escape.
        let evil = "\u{1b}]0;pwn\u{07}"
        try ip("-n", "\(name)-a", "link", "add", evil, "type", "veth", "peer", "name", "q0")
        XCTAssertTrue(try ip("-n", "\(name)-a", "-o", "link", "show").contains(": \(evil)@"), "the kernel kept the name")
        let show = try vethctl("show", path)
        assertClean(show.stdout, "show")
        assertClean(show.stderr, "show (stderr)")
        XCTAssertTrue(show.stdout.contains("\\x1b]0;pwn\\x07"), show.stdout)
        let byName = try vethctl("show", name)
        assertClean(byName.stdout, "show NAME")
        let plan = try vethctl("plan", path)
        assertClean(plan.stdout, "plan")
        assertClean(plan.stderr, "plan (stderr)")
        let check = try vethctl("check", path)
        assertClean(check.stdout, "check")
        assertClean(check.stderr, "check (stderr)")
        let json = try vethctl("show", path, "--json")
        XCTAssertTrue(json.stdout.contains("\\u001b]0;pwn\\u0007"), json.stdout)
    }
}
