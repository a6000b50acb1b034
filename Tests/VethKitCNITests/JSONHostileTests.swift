import VethKitJSON
import VethKitTestSupport
import VethKitCNI
import XCTest

/// Hostile JSON on the plugin's stdin: invalid UTF-8 inside strings, deep nesting, huge numbers,
/// truncation. Each is refused with CNI code 6 (failed to decode), never repaired or trapped on.
final class JSONHostileTests: XCTestCase {
    func assertRefused(_ bytes: [UInt8], reason: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try JSON.parse(bytes, what: "network configuration"), file: file, line: line) { error in
            guard let e = error as? CNIError else { return XCTFail("not a CNIError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.code, .decodingFailure, "\(e)", file: file, line: line)
            XCTAssertTrue("\(e.details ?? "")".contains(reason), "\(e.details ?? "") does not say \(reason)", file: file, line: line)
        }
    }

    /// An endless stdin (a runtime bug, /dev/zero) stops at the cap: one code-6 error, no trap,
    /// no memory blow-up; through the binary as a runtime runs it.
    func testStdinOverTheCapIsOneDecodingError() throws {
        let big = [UInt8](repeating: 0x20, count: CNIPlugin.maxConfigurationBytes + 1)
        let o = CNIPlugin.run(environment: ["CNI_COMMAND": "ADD"], stdin: big)
        XCTAssertEqual(o.status, 1)
        XCTAssertTrue(o.stdout.contains(#""code":6"#) && o.stdout.contains("exceeds 16 MiB"), o.stdout)
        let exact = CNIPlugin.run(environment: ["CNI_COMMAND": "ADD"], stdin: [UInt8](repeating: 0x20, count: 100))
        XCTAssertFalse(exact.stdout.contains("exceeds"), "a small input is parsed, not refused for size: \(exact.stdout)")
        let bin = try XCTUnwrap(pluginBinary(), "vethkit-cni not built")
        let r = try runProcess("/bin/sh", ["-c", "head -c 40000000 /dev/zero | CNI_COMMAND=ADD \(bin)"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains(#""code":6"#) && r.stdout.contains("exceeds 16 MiB"), r.stdout)
    }

    /// A name with a byte that is not UTF-8 used to become U+FFFD, i.e. another network name.
    func testInvalidUTF8InAStringIsRefused() {
        assertRefused(Array(#"{"name":"ne"#.utf8) + [0xff] + Array(#"t"}"#.utf8), reason: "invalid UTF-8 in a string (byte 0xff)")
        assertRefused(Array(#"{"k":""#.utf8) + [0xc0, 0x80] + Array(#""}"#.utf8), reason: "invalid UTF-8 in a string (byte 0xc0)")
        assertRefused(Array(#"{""#.utf8) + [0xed, 0xa0, 0x80] + Array(#"":1}"#.utf8), reason: "invalid UTF-8 in a string")
        XCTAssertEqual(try JSON.parse(Array(#"{"name":"côté 😀 \u00e9"}"#.utf8), what: "x")["name"]?.stringValue, "côté 😀 é")
    }

    func testDeepNestingHugeNumbersAndTruncationAreRefused() {
        assertRefused(Array(repeating: UInt8(ascii: "["), count: 100_000), reason: "nested deeper than 256")
        assertRefused(Array("[1e999999]".utf8), reason: "number out of range")
        assertRefused(Array(#"{"a":"\ud800"}"#.utf8), reason: "unpaired surrogate")
        let config = Array(#"{"cniVersion":"1.0.0","name":"n","type":"vethkit-cni","ipam":{"type":"vethkit","subnet":"10.1.0.0/24"}}"#.utf8)
        XCTAssertNoThrow(try JSON.parse(config, what: "x"))
        for cut in 0..<config.count {
            XCTAssertThrowsError(try JSON.parse(Array(config[..<cut]), what: "x"), "prefix of \(cut) bytes") { error in
                XCTAssertEqual((error as? CNIError)?.code, .decodingFailure, "prefix of \(cut) bytes: \(error)")
            }
        }
    }

    /// What the fuzzer checks: a parsed value serialises to JSON that parses to the same value
    /// (an integral double is written as an integer).
    func testRoundTrip() throws {
        let text = #"[1,-0.5e-3,2.0,"\u00e9\ud83d\ude00\n\t\"\u0001",true,false,null,{"a":{"b":[]}},-9223372036854775808,9223372036854775808]"#
        let v = try JSON.parse(Array(text.utf8), what: "x")
        let again = try JSON.parse(Array(v.serialized.utf8), what: "x")
        XCTAssertEqual(again.arrayValue?.count, 10)
        XCTAssertEqual(again.arrayValue?[3], v.arrayValue?[3])
        XCTAssertEqual(again.arrayValue?[2], .int(2))
        XCTAssertEqual(again.arrayValue?[7], v.arrayValue?[7])
    }
}
