import VethKitJSON
import XCTest

/// The writer: keys in order, RFC 8259 escapes, numbers, pretty layout, and round trips.
final class JSONWriterTests: XCTestCase {
    func testKeysKeepTheirOrderAndASetKeyKeepsItsPlace() {
        var o: JSONObject = ["z": 1, "a": 2]
        o["m"] = 3
        o["z"] = 4
        o.set("skipped", nil as String?)
        o.set("n", 5 as UInt32?)
        XCTAssertEqual(o.json.serialized, #"{"z":4,"a":2,"m":3,"n":5}"#)
        o["a"] = nil
        XCTAssertEqual(o.keys, ["z", "m", "n"])
        XCTAssertEqual(o, ["n": 5, "m": 3, "z": 4], "equality ignores order")
        XCTAssertNotEqual(o, ["n": 5, "m": 3])
    }

    func testStringsAreEscaped() {
        XCTAssertEqual(JSON.string("a\"b\\c\n\r\t\u{1}\u{1f}\u{7f}é😀").serialized, #""a\"b\\c\n\r\t\u0001\u001f\u007fé😀""#)
        XCTAssertEqual(JSON.quoted("plain"), #""plain""#)
        // No raw control byte ever reaches the output (a terminal would act on it).
        let all = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        XCTAssertFalse(JSON.string(all).bytes().contains { $0 < 0x20 || $0 == 0x7f })
    }

    func testNumbers() {
        XCTAssertEqual(JSON(UInt64.max).serialized, "18446744073709551615")
        XCTAssertEqual(JSON(-5 as Int32).serialized, "-5")
        XCTAssertEqual(JSON.double(2.0).serialized, "2")
        XCTAssertEqual(JSON.double(-0.5).serialized, "-0.5")
        XCTAssertEqual(JSON.double(.infinity).serialized, "null")
        XCTAssertEqual(JSON.double(.nan).serialized, "null")
        XCTAssertEqual(JSON.int(5), JSON.uint(5))
        XCTAssertEqual(JSON.int(5), JSON.double(5))
        XCTAssertNotEqual(JSON.int(-1), JSON.uint(UInt64.max))
        // Fixed decimals, as C's %.2f (iproute2's bridge timers).
        XCTAssertEqual(JSON.fixed(0, places: 2).serialized, "0.00")
        XCTAssertEqual(JSON.fixed(0.1, places: 2).serialized, "0.10")
        XCTAssertEqual(JSON.fixed(12.345, places: 2).serialized, "12.35")
        XCTAssertEqual(JSON.fixed(-3.14, places: 1).serialized, "-3.1")
        XCTAssertEqual(JSON.fixed(-0.001, places: 2).serialized, "0.00")
        XCTAssertEqual(JSON.fixed(7, places: 0).serialized, "7")
        XCTAssertEqual(JSON.fixed(.nan, places: 2).serialized, "null")
        XCTAssertEqual(JSON.fixed(0.5, places: 2), JSON.double(0.5))
    }

    func testPrettyLayout() {
        let v: JSON = ["a": [1, 2], "b": [:], "c": []]
        XCTAssertEqual(v.text(pretty: true), "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}")
        XCTAssertEqual(v.text(), #"{"a":[1,2],"b":{},"c":[]}"#)
    }

    /// What the fuzzer checks: a parsed value writes to text that parses to the same value, with
    /// the same key order (an integral double is written as an integer).
    func testRoundTrip() throws {
        let text = #"[1,-0.5e-3,2.0,"\u00e9\ud83d\ude00\n\t\"\u0001",true,false,null,{"b":{"a":[]},"a":1},-9223372036854775808,9223372036854775808,18446744073709551616]"#
        let v = try JSON.parse(text)
        let again = try JSON.parse(v.serialized)
        XCTAssertEqual(again, v)
        XCTAssertEqual(again.arrayValue?[2], .int(2))
        XCTAssertEqual(again.arrayValue?[7].objectValue?.keys, ["b", "a"])
        XCTAssertEqual(again.serialized, v.serialized, "writing is deterministic")
        XCTAssertEqual(try JSON.parse(v.text(pretty: true)), v)
    }
}
