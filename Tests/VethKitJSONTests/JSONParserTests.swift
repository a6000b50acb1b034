import VethKitJSON
import XCTest

/// The strict parser: the whole grammar, and every kind of malformed or hostile text refused with
/// its reason and byte offset.
final class JSONParserTests: XCTestCase {
    func parse(_ s: String) throws -> JSON { try JSON.parse(s) }

    func assertRefused(_ bytes: [UInt8], _ reason: String, at offset: Int? = nil, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let v = try JSON.parse(bytes)
            XCTFail("accepted \(bytes.count) bytes as \(v.serialized.prefix(80))", file: file, line: line)
        } catch {
            XCTAssertTrue(error.reason.contains(reason), "\(error) does not say \(reason)", file: file, line: line)
            if let offset { XCTAssertEqual(error.offset, offset, "\(error)", file: file, line: line) }
        }
    }

    func testParsesTheGrammar() throws {
        let j = try parse(#" { "a" : [1, -2.5e3, true, false, null, "x\u00e9\ud83d\ude00\n\/"], "b": {}, "c": [], "d": 0, "e": 1E2 } "#)
        XCTAssertEqual(j["a"], [1, .double(-2500), true, false, .null, "xé😀\n/"])
        XCTAssertEqual(j["b"], .object([:]))
        XCTAssertEqual(j["c"], .array([]))
        XCTAssertEqual(j["d"], 0)
        XCTAssertEqual(j["e"]?.intValue, 100)
        XCTAssertEqual(j.objectValue?.keys, ["a", "b", "c", "d", "e"], "keys keep the text's order")
        XCTAssertEqual(try parse("9223372036854775807"), .int(Int64.max))
        guard case .uint(let u) = try parse("18446744073709551615") else { return XCTFail("UInt64.max is not kept exact") }
        XCTAssertEqual(u, UInt64.max)
        guard case .double = try parse("18446744073709551616") else { return XCTFail("above UInt64 is a double") }
        XCTAssertEqual(try parse("-9223372036854775808"), .int(Int64.min))
    }

    func testRefusesMalformedInputWithItsOffset() {
        let bad: [(String, String, Int)] = [
            ("", "unexpected end of input", 0), (" ", "unexpected end of input", 1), ("{", "expected a string key", 1),
            ("}", "unexpected character", 0), ("[1,]", "unexpected character", 3), (#"{"a" 1}"#, "expected ':'", 5),
            (#"{"a":1,}"#, "expected a string key", 7), ("01", "unexpected data after the value", 1), ("1.", "bad number", 2),
            (".5", "unexpected character", 0), ("-", "bad number", 1), ("1e", "bad number", 2), ("tru", "invalid literal", 3),
            ("nul", "invalid literal", 3), (#""abc"#, "unterminated string", 4), (#""\x""#, "invalid escape", 3),
            (#""\ud800""#, "unpaired surrogate", 7), ("\"a\u{1}b\"", "control character in string", 2),
            ("[1] [2]", "unexpected data after the value", 4), (#"{"a":1}x"#, "unexpected data after the value", 7),
            ("1e999", "number out of range", 5), (#""\u12"#, "truncated \\u escape", 3), (#""\u12g4""#, "bad hex digit", 5),
        ]
        for (s, reason, offset) in bad { assertRefused(Array(s.utf8), reason, at: offset) }
    }

    /// First-wins and last-wins parsers would read such a text differently: refused, naming the key.
    func testDuplicateKeysAreRefused() {
        assertRefused(Array(#"{"type":"bridge","type":"vethkit-cni"}"#.utf8), #"duplicate key "type""#, at: 17)
        assertRefused(Array(#"{"a":{"b":1,"b":2}}"#.utf8), #"duplicate key "b""#)
        XCTAssertNoThrow(try parse(#"{"a":{"b":1},"b":{"a":2}}"#), "the same key in different objects is fine")
    }

    func testInvalidUTF8IsRefusedAndValidUTF8Kept() throws {
        assertRefused(Array(#"{"name":"ne"#.utf8) + [0xff] + Array(#"t"}"#.utf8), "invalid UTF-8 in a string (byte 0xff)")
        assertRefused(Array(#"{"k":""#.utf8) + [0xc0, 0x80] + Array(#""}"#.utf8), "invalid UTF-8 in a string (byte 0xc0)")
        assertRefused(Array(#"{""#.utf8) + [0xed, 0xa0, 0x80] + Array(#"":1}"#.utf8), "invalid UTF-8 in a string (byte 0xed)")
        assertRefused(Array(#"[""#.utf8) + [0xe2, 0x82] + Array(#""]"#.utf8), "invalid UTF-8 in a string (byte 0xe2)")
        XCTAssertEqual(try parse(#"{"name":"côté 😀 \u00e9"}"#)["name"]?.stringValue, "côté 😀 é")
    }

    func testDeepHugeAndTruncatedTexts() throws {
        assertRefused(Array(repeating: UInt8(ascii: "["), count: 100_000), "nested deeper than 256", at: 256)
        XCTAssertThrowsError(try JSON.parse(Array(repeating: UInt8(ascii: "["), count: 11) + Array(repeating: UInt8(ascii: "]"), count: 11), maxDepth: 10)) {
            XCTAssertEqual($0 as? JSONParseError, JSONParseError(reason: "nested deeper than 10", offset: 10))
        }
        XCTAssertNoThrow(try JSON.parse(Array(repeating: UInt8(ascii: "["), count: 10) + Array(repeating: UInt8(ascii: "]"), count: 10), maxDepth: 10))
        assertRefused(Array("[1e999999]".utf8), "number out of range")
        // A 4 MiB string and a 100 000-element list parse, in linear time.
        let big = "\"" + String(repeating: "a", count: 4 << 20) + "\""
        XCTAssertEqual(try parse(big).stringValue?.utf8.count, 4 << 20)
        let list = "[" + Array(repeating: "1", count: 100_000).joined(separator: ",") + "]"
        XCTAssertEqual(try parse(list).arrayValue?.count, 100_000)
        let config = Array(#"{"cniVersion":"1.0.0","name":"n","type":"vethkit-cni","ipam":{"type":"vethkit","subnet":"10.1.0.0/24"}}"#.utf8)
        XCTAssertNoThrow(try JSON.parse(config))
        for cut in 0..<config.count {
            XCTAssertThrowsError(try JSON.parse(Array(config[..<cut])), "a prefix of \(cut) bytes is not JSON")
        }
    }
}
