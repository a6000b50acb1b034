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

    /// "Billion laughs": nine levels of ten aliases each (about 1.4 KB here; the 19 KB
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
        XCTAssertEqual(lines.first, "vethctl: t.yaml:4:6: unknown key \"bogus0\" in link (expected: endpoints, mtu)")
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
}
