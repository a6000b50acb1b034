import Foundation
import VethKit
@testable import VethKitTopology
import XCTest

/// The bounds on a topology file (TopologyLimits): depth, alias expansion, size, UTF-8, and the
/// error report (at most 100 lines, long values shortened, control characters escaped). None of
/// these need the kernel.
final class LoaderLimitsTests: XCTestCase {
    func errors(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> SchemaErrors? {
        errors(bytes: Array(text.utf8), file: file, line: line)
    }

    func errors(bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> SchemaErrors? {
        do {
            _ = try Topology.parse(bytes: bytes, file: "t.yaml")
            XCTFail("expected schema errors", file: file, line: line)
        } catch let e as SchemaErrors {
            return e
        } catch {
            XCTFail("expected SchemaErrors, got \(type(of: error)): \(error)", file: file, line: line)
        }
        return nil
    }

    /// 5000 levels of flow sequences crashed Yams' recursive composer (SIGSEGV).
    func testDeepFlowNestingIsOneErrorAtItsPosition() throws {
        let yaml = "name: x\nnodes: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        let e = try XCTUnwrap(errors(yaml))
        XCTAssertEqual(e.count, 1, "\(e)")
        let first = try XCTUnwrap(e.errors.first)
        XCTAssertEqual(first.message, "nested deeper than 64 levels (the limit for a topology file)")
        // The root mapping is level 1, the first "[" (column 8) level 2: level 65 is the 64th "[".
        XCTAssertEqual(first.line, 2)
        XCTAssertEqual(first.column, 8 + 63)
    }

    func testDeepBlockNestingIsRefused() throws {
        var yaml = "name: x\nnodes:\n"
        for level in 0..<3000 { yaml += String(repeating: " ", count: 2 + level) + "k:\n" }
        let e = try XCTUnwrap(errors(yaml))
        XCTAssertEqual(e.errors.map(\.message), ["nested deeper than 64 levels (the limit for a topology file)"])
        let compact = "name: x\nnodes:\n  a:\n    routes:\n" + "      " + String(repeating: "- ", count: 4000) + "x\n"
        let e2 = try XCTUnwrap(errors(compact))
        XCTAssertEqual(e2.errors.map(\.message), ["nested deeper than 64 levels (the limit for a topology file)"])
    }

    /// Exactly at the limit is accepted by the bound; one more level is not.
    func testDepthLimitIsExact() throws {
        func check(_ depth: Int) throws {
            var text = Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
            try text.withUnsafeMutableBufferPointer { try YAMLBounds.check(UnsafeBufferPointer($0), maxDepth: 64) }
        }
        XCTAssertNoThrow(try check(64))
        XCTAssertThrowsError(try check(65)) { error in
            let e = error as? YAMLBounds.Exceeded
            XCTAssertEqual(e?.line, 1, "\(error)")
            XCTAssertEqual(e?.column, 65, "\(error)")
        }
    }

    /// "Billion laughs": nine levels of ten aliases each (about 1.4 KB here; the issue's 19 KB
    /// file reached 919 MB and 2 million error lines). One error, quickly, nothing expanded.
    func billionLaughs(levels: Int = 9) -> String {
        var yaml = "name: x\nnodes: {}\nl0: &l0 [" + Array(repeating: "\"lol\"", count: 10).joined(separator: ",") + "]\n"
        for i in 1...levels { yaml += "l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ",") + "]\n" }
        return yaml
    }

    func testAliasBombIsRefusedAtTheAliasThatCrossesTheCap() throws {
        let start = Date()
        let e = try XCTUnwrap(errors(billionLaughs()))
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "the bound must stop the walk early")
        XCTAssertEqual(e.count, 1, "\(e)")
        let first = try XCTUnwrap(e.errors.first)
        XCTAssertEqual(first.message, "more than 1000000 YAML nodes with aliases expanded (the limit for a topology file)")
        // l(k) expands to 1 + 10 × l(k-1) nodes (l0: 11): l5, on line 8, is the first past 10^6.
        XCTAssertEqual(first.line, 8, "\(first)")
    }

    func testAliasesUnderTheCapStillWork() throws {
        let yaml = """
        name: al
        nodes:
          a: &n {sysctls: {net.ipv4.ip_forward: "1"}}
          b: *n
        links:
          - endpoints:
              - &e {node: a, name: v1, addresses: [10.0.0.2/24]}
              - {node: b, name: v2, addresses: [10.0.0.3/24]}
        """
        let t = try Topology.parse(bytes: Array(yaml.utf8), file: "t.yaml")
        XCTAssertEqual(t.nodes.map(\.sysctls.count), [1, 1])
        // Small bombs below the cap are validated like any document.
        let e = try XCTUnwrap(errors(billionLaughs(levels: 3)))
        XCTAssertEqual(e.errors.map(\.message), ["unknown key \"l0\" in the topology (expected: checks, links, name, nodes)",
                                                 "unknown key \"l1\" in the topology (expected: checks, links, name, nodes)",
                                                 "unknown key \"l2\" in the topology (expected: checks, links, name, nodes)",
                                                 "unknown key \"l3\" in the topology (expected: checks, links, name, nodes)"])
    }

    /// 1500 bad links: 1000 kept, 500 counted; 100 printed, then "… and 1400 more errors".
    func testErrorReportIsBounded() throws {
        var yaml = "name: x\nnodes: {a: {}}\nlinks:\n"
        for i in 0..<1500 { yaml += "  - {bogus\(i): 1, endpoints: [{node: a, name: v\(i)}, {node: a, name: w\(i)}]}\n" }
        let e = try XCTUnwrap(errors(yaml))
        XCTAssertEqual(e.count, 1500)
        XCTAssertEqual(e.errors.count, TopologyLimits.storedErrors)
        XCTAssertEqual(e.omitted, 500)
        let lines = e.lines(prefix: "vethctl: ")
        XCTAssertEqual(lines.count, 101)
        XCTAssertEqual(lines.first, "vethctl: t.yaml:4:6: unknown key \"bogus0\" in link (expected: endpoints, impair, mtu)")
        XCTAssertEqual(lines.last, "vethctl: … and 1400 more errors")
        XCTAssertEqual(e.description.split(separator: "\n").count, 101)
    }

    func testLongValuesAreShortenedInMessages() throws {
        let value = String(repeating: "k", count: 10_000)
        let e = try XCTUnwrap(errors("name: \(value)\nnodes: {}\n"))
        let m = try XCTUnwrap(e.errors.first?.message)
        XCTAssertLessThan(m.count, 200, m)
        XCTAssertEqual(m, "invalid topology name \"" + String(repeating: "k", count: 32) + "… (10000 characters)\": must be 1-12 characters of a-z, 0-9 and '-'")
    }

    func testControlCharactersAreEscapedInMessages() throws {
        let e = try XCTUnwrap(errors("name: x\nnodes:\n  \"a\\e]0;owned\\a\": {}\n"))
        let m = try XCTUnwrap(e.errors.first?.message)
        XCTAssertFalse(m.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, m)
        XCTAssertTrue(m.contains("a\\x1b]0;owned\\x07"), m)
    }

    func testInvalidUTF8IsRefusedWithItsPosition() throws {
        for (bytes, line, column, byte) in [
            (Array("name: x\nnodes:\n  ab".utf8) + [0xff] + Array(": {}\n".utf8), 3, 5, UInt8(0xff)),
            (Array("name: \"".utf8) + [0xc0, 0x80] + Array("\"\n".utf8), 1, 8, UInt8(0xc0)),       // overlong NUL
            (Array("name: x\n# ".utf8) + [0xed, 0xa0, 0x80] + Array("\n".utf8), 2, 4, UInt8(0xa0)), // a surrogate
            (Array("name: x".utf8) + [0xe2, 0x82], 1, 8, UInt8(0xe2)),                              // truncated at the end
        ] {
            let e = try XCTUnwrap(errors(bytes: bytes))
            XCTAssertEqual(e.errors.map(\.description), ["t.yaml:\(line):\(column): invalid UTF-8 (byte 0x\(String(byte, radix: 16)))"])
        }
        XCTAssertNil(firstInvalidUTF8(Array("é 😀 \u{10FFFF}".utf8)))
    }

    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vethkit-limits-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).yaml").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testLoadRefusesAFileLargerThanTheCap() throws {
        let path = try temporaryFile([])
        XCTAssertEqual(truncate(path, off_t(TopologyLimits.maxFileBytes + 1)), 0)
        XCTAssertThrowsError(try Topology.load(path)) { error in
            XCTAssertEqual((error as? InvalidInput)?.reason, "is larger than 16777216 bytes (the limit for a topology file)", "\(error)")
        }
    }

    /// /dev/zero never ends: the read stops at the cap with the same error.
    func testLoadOfAnEndlessFileStopsAtTheCap() throws {
        XCTAssertThrowsError(try Topology.load("/dev/zero")) { error in
            XCTAssertEqual((error as? InvalidInput)?.reason, "is larger than 16777216 bytes (the limit for a topology file)", "\(error)")
        }
    }

    func testLoadReportsInvalidUTF8() throws {
        let path = try temporaryFile(Array("name: x\n".utf8) + [0xfe])
        XCTAssertThrowsError(try Topology.load(path)) { error in
            XCTAssertEqual((error as? SchemaErrors)?.errors.map(\.description), ["\(path):2:1: invalid UTF-8 (byte 0xfe)"], "\(error)")
        }
    }

    /// Every prefix of the seed example either loads or is refused with schema errors.
    func testTruncatedExamplesGiveSchemaErrors() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: repoRoot + "/examples/seed.yaml")))
        XCTAssertNoThrow(try Topology.parse(bytes: bytes, file: "seed.yaml"))
        var refused = 0
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            do { _ = try Topology.parse(bytes: Array(bytes[..<cut]), file: "seed.yaml") } catch let e as SchemaErrors {
                XCTAssertGreaterThan(e.count, 0)
                XCTAssertLessThanOrEqual(e.lines().count, 101)
                refused += 1
            } catch let e as InvalidInput {
                XCTFail("prefix of \(cut) bytes: \(e)")
            }
        }
        XCTAssertGreaterThan(refused, bytes.count / 7 / 2, "most prefixes are incomplete topologies")
    }

    // MARK: hostile input through the libyaml loader: one clear error each, at file:line:column

    /// The single error of `text`, as `file:line:column: message`.
    func onlyError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        onlyError(bytes: Array(text.utf8), file: file, line: line)
    }

    func onlyError(bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard let e = errors(bytes: bytes, file: file, line: line) else { return nil }
        XCTAssertEqual(e.count, 1, "\(e)", file: file, line: line)
        return e.errors.first?.description
    }

    func testNULAndControlCharactersAreOneErrorAtTheirPosition() {
        XCTAssertEqual(onlyError("name: x\u{0}\nnodes: {}\n"), "t.yaml:1:8: YAML syntax: control characters are not allowed (U+0000)")
        XCTAssertEqual(onlyError("name: x\nnodes: {}\n\u{1b}]0;owned\u{7}\n"), "t.yaml:3:1: YAML syntax: control characters are not allowed (U+001B)")
        // Columns count characters, as libyaml does; CRLF is one line break.
        XCTAssertEqual(onlyError("name: \"é😀\u{7f}\"\r\nnodes: {}\r\n"), "t.yaml:1:10: YAML syntax: control characters are not allowed (U+007F)")
        XCTAssertEqual(onlyError("name: x\r\nnodes: {\u{9f}: {}}\r\n"), "t.yaml:2:9: YAML syntax: control characters are not allowed (U+009F)")
        XCTAssertEqual(onlyError("name: x\nnodes: {\"\u{FFFF}\": {}}\n"), "t.yaml:2:10: YAML syntax: control characters are not allowed (U+FFFF)")
        // Tab, NEL, U+FEFF inside and a leading byte-order mark are allowed (the Yams-based loader
        // refused a leading byte-order mark with "did not find expected <document start>" at 2:1).
        XCTAssertNoThrow(try Topology.parse("\u{FEFF}name: x\nnodes: {}\n"))
        XCTAssertEqual(try Topology.parse("name: x\nnodes: {a: {sysctls: {net.x: \"a\tb\u{FEFF}\u{85}\"}}}\t\n").nodes.first?.sysctls,
                       [Topology.Sysctl("net.x", "a\tb\u{FEFF} ")])   // NEL in a quoted scalar: a line break, folded
        // An escaped NUL is a character of the value, refused by the schema, not by YAML.
        XCTAssertEqual(onlyError("name: \"a\\0b\"\nnodes: {}\n"), "t.yaml:1:7: invalid topology name \"a\\u{0}b\": must be 1-12 characters of a-z, 0-9 and '-'")
    }

    func testMultipleDocumentsAreOneError() {
        XCTAssertEqual(onlyError("name: x\nnodes: {}\n---\nname: y\nnodes: {}\n"),
                       "t.yaml:3:1: YAML syntax: but found another document (expected a single document in the stream at 1:1)")
        XCTAssertEqual(onlyError("---\nname: x\nnodes: {}\n...\n--- {}\n"),
                       "t.yaml:5:1: YAML syntax: but found another document (expected a single document in the stream at 1:1)")
        // One document with explicit markers is fine.
        XCTAssertNoThrow(try Topology.parse("%YAML 1.1\n---\nname: x\nnodes: {}\n...\n"))
    }

    /// Tags are not resolved: a tagged or quoted scalar is text like any other (the schema parses
    /// numbers itself); an undefined tag handle is a syntax error at its position.
    func testTagsAreIgnoredAndUndefinedHandlesRefused() throws {
        let t = try Topology.parse("name: !!str x\nnodes: !!map {a: !custom {}}\nlinks: [{mtu: !!int \"1400\", endpoints: [{node: a, name: v1}, {node: a, name: v2}]}]\n")
        XCTAssertEqual(t.name, "x")
        XCTAssertEqual(t.links.first?.mtu, 1400)
        XCTAssertEqual(onlyError("name: !x!y e\nnodes: {}\n"), "t.yaml:1:7: YAML syntax: found undefined tag handle (while parsing a node at 1:7)")
        XCTAssertEqual(onlyError("name: e\nnodes: !!binary aGVsbG8=\n"), "t.yaml:2:8: nodes must be a mapping")
    }

    /// Merge keys are not expanded (`<<` is a key the schema refuses); a bomb built from them is
    /// a bomb of aliases and stops at the alias that crosses the cap.
    func testMergeKeyBombIsRefusedAtTheAliasThatCrossesTheCap() throws {
        var yaml = "name: x\nnodes: {}\nm0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}\n"
        for i in 1...9 {
            yaml += "m\(i): &m\(i) {<<: [" + Array(repeating: "*m\(i - 1)", count: 10).joined(separator: ", ") + "]}\n"
        }
        let t0 = monotonicSeconds()
        let e = try XCTUnwrap(onlyError(yaml))
        XCTAssertLessThan(monotonicSeconds() - t0, 5)
        XCTAssertTrue(e.hasSuffix(": more than 1000000 YAML nodes with aliases expanded (the limit for a topology file)"), e)
        XCTAssertTrue(e.hasPrefix("t.yaml:8:"), e)   // m5: the first past 10^6
        XCTAssertEqual(onlyError("name: x\nnodes: {<<: {a: {}}}\n"),
                       "t.yaml:2:9: invalid node name \"<<\": must be 1-64 characters of letters, digits, '_', '-', '.' (not starting with '.')")
    }

    /// Aliases nest their anchor's tree where they stand: 40 levels inside 40 levels is 80, past
    /// the limit, refused at the alias (a chain of such aliases made trees thousands of levels deep
    /// from a few kilobytes, under the node cap).
    func testDepthThroughAliasesIsBounded() throws {
        let yaml = "name: x\nnodes: {}\na: &a " + String(repeating: "[", count: 40) + "x" + String(repeating: "]", count: 40)
            + "\nb: " + String(repeating: "[", count: 40) + "*a" + String(repeating: "]", count: 40) + "\n"
        XCTAssertEqual(onlyError(yaml), "t.yaml:4:44: nested deeper than 64 levels (the limit for a topology file)")
        // Exactly at the limit through an alias is accepted by the bound; one more level is not.
        func check(_ outer: Int) throws {
            var text = Array(("[&a [[x]], " + String(repeating: "[", count: outer) + "*a" + String(repeating: "]", count: outer) + "]").utf8)
            try text.withUnsafeMutableBufferPointer { try YAMLBounds.check(UnsafeBufferPointer($0), maxDepth: 64) }
        }
        XCTAssertNoThrow(try check(61))   // 1 + 61 + the anchor's 2 = 64
        XCTAssertThrowsError(try check(62))
        // Legitimate sharing (a node body used twice) is untouched.
        XCTAssertNoThrow(try Topology.parse("name: x\nnodes:\n  a: &n {sysctls: {net.ipv4.ip_forward: \"1\"}}\n  b: *n\n"))
    }

    /// An alias of a node inside itself is undefined (an anchor names its node once complete):
    /// no cycle can be built.
    func testRecursiveAndUndefinedAliasesAreOneError() {
        XCTAssertEqual(onlyError("name: x\nnodes: &a {b: *a}\n"), "t.yaml:2:15: YAML syntax: found undefined alias")
        XCTAssertEqual(onlyError("name: x\nnodes: *nothing\n"), "t.yaml:2:8: YAML syntax: found undefined alias")
    }

    /// A 6 MB scalar: read once, one error, its value shortened in the message.
    func testHugeScalarIsOneShortError() throws {
        let big = String(repeating: "a", count: 6 << 20)
        let t0 = monotonicSeconds()
        XCTAssertEqual(onlyError("name: \(big)\nnodes: {}\n"),
                       "t.yaml:1:7: invalid topology name \"" + String(repeating: "a", count: 32) + "… (6291456 characters)\": must be 1-12 characters of a-z, 0-9 and '-'")
        XCTAssertEqual(onlyError("name: x\nnodes: {a: {bridges: {br0: {mac: \"\(big)\"}}}}\n"),
                       "t.yaml:2:34: invalid MAC address \"" + String(repeating: "a", count: 32) + "… (6291456 characters)\": expected six hex bytes like 02:00:00:00:00:01")
        XCTAssertLessThan(monotonicSeconds() - t0, 30)
        // An implicit key longer than 1024 characters is a syntax error in libyaml, at the ':'.
        XCTAssertEqual(onlyError("name: x\nnodes: {}\n\(String(repeating: "k", count: 2000)): 1\n"),
                       "t.yaml:3:2001: YAML syntax: could not find expected ':' (while scanning a simple key at 3:1)")
        XCTAssertEqual(onlyError("name: x\nnodes:\n  \(big): {}\n"), "t.yaml:3:6291459: YAML syntax: mapping values are not allowed in this context")
    }

    /// Cut in a quoted scalar, a flow collection, a block: one syntax error where the input ends
    /// (libyaml puts the end of a stream without a final line break on the next line).
    func testTruncatedDocumentsAreOneErrorAtTheEnd() {
        XCTAssertEqual(onlyError("name: \"x"), "t.yaml:1:9: YAML syntax: found unexpected end of stream (while scanning a quoted scalar at 1:7)")
        XCTAssertEqual(onlyError("name: x\nnodes: {a: [1, 2"), "t.yaml:3:1: YAML syntax: did not find expected ',' or ']' (while parsing a flow sequence at 2:12)")
        XCTAssertEqual(onlyError("name: x\nnodes:\n  a:\n    bridges: {br0: {"), "t.yaml:5:1: YAML syntax: did not find expected node content (while parsing a flow node at 5:1)")
    }
}
