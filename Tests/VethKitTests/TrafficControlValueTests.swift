@testable import VethKit
import XCTest

/// tc's units as VethKit reads and prints them: the forms tc accepts, and hostile ones (each
/// refused with one error naming the value).
final class TrafficControlValueTests: XCTestCase {
    func assertRefused<T>(_ what: String, _ inputs: [String], _ parse: (String) throws -> T, file: StaticString = #filePath, line: UInt = #line) {
        for input in inputs {
            do {
                let v = try parse(input)
                XCTFail("\(what) \(input.debugDescription) parsed as \(v)", file: file, line: line)
            } catch let e as InvalidInput {
                XCTAssertEqual(e.what, what, file: file, line: line)
                XCTAssertEqual(e.value, TCNumber.shown(input), file: file, line: line)
                XCTAssertLessThan(e.description.count, 300, "one short line for \(input.prefix(20).debugDescription)", file: file, line: line)
                XCTAssertFalse(e.description.unicodeScalars.contains { $0.value < 0x20 }, "control characters escaped", file: file, line: line)
            } catch {
                XCTFail("\(input.debugDescription): \(error)", file: file, line: line)
            }
        }
    }

    static let hostile = ["", " ", "20 ms", " 20ms", "20ms ", "-1ms", "+1ms", "nan", "inf", "-inf", "0x10", "1e999", "1e", "1.2.3",
                          "20\u{0}ms", "20\nms", "\u{1b}[31m20ms", "２０ms", String(repeating: "9", count: 1_000_000), "20ms\u{ff}",
                          String(decoding: [0x32, 0x30, 0xff, 0xfe], as: UTF8.self)]

    func testTimeForms() throws {
        let cases: [(String, Int64)] = [("20ms", 20_000_000), ("1.5s", 1_500_000_000), ("500us", 500_000), ("20", 20_000),
                                        ("1ns", 1), ("2sec", 2_000_000_000), ("3secs", 3_000_000_000), ("4msec", 4_000_000),
                                        ("5MS", 5_000_000), ("6usecs", 6_000), (".5ms", 500_000), ("2e3us", 2_000_000),
                                        ("0", 0), ("0.0001ns", 0), ("10nsecs", 10)]
        for (text, ns) in cases { XCTAssertEqual(try TCTime(parsing: text).nanoseconds, ns, text) }
        XCTAssertEqual(TCTime(microseconds: 1500).nanoseconds, 1_500_000)
        XCTAssertEqual(TCTime(microseconds: -5), .zero)
        XCTAssertEqual(TCTime(microseconds: .max), .max)
    }

    func testTimeRefusals() {
        assertRefused("time", Self.hostile + ["20xs", "20m", "20 s", "1e30s", "99999999999s", "20ms20"]) { try TCTime(parsing: $0) }
    }

    func testTimePrintsAsTc() throws {
        for (text, printed) in [("20ms", "20ms"), ("1.5s", "1.5s"), ("500us", "500us"), ("1500us", "1.5ms"), ("1.25ms", "1.25ms"),
                                ("999ns", "999ns"), ("1500ns", "1.5us"), ("2s", "2s"), ("0", "0us"), ("1.000001s", "1.000001s")] {
            XCTAssertEqual(try TCTime(parsing: text).description, printed, text)
            XCTAssertEqual(try TCTime(parsing: printed), try TCTime(parsing: text), "\(printed) reads back")
        }
    }

    func testRateForms() throws {
        let cases: [(String, UInt64)] = [("100mbit", 100_000_000), ("1gbit", 1_000_000_000), ("1.5mbit", 1_500_000),
                                         ("1kibit", 1024), ("1mibit", 1_048_576), ("1tbit", 1_000_000_000_000),
                                         ("10MBps", 80_000_000), ("1kbps", 8000), ("1bps", 8), ("1KiBps", 8192),
                                         ("100MBIT", 100_000_000), ("1000", 1000), ("12bit", 8), ("1Gibit", 1 << 30)]
        for (text, bits) in cases { XCTAssertEqual(try Rate(parsing: text).bitsPerSecond, bits, text) }
        XCTAssertEqual(try Rate(parsing: "100mbit").bytesPerSecond, 12_500_000)
    }

    func testRateRefusals() {
        assertRefused("rate", Self.hostile + ["0", "0mbit", "7bit", "100xbit", "99999999999gbit", "1e30bit", "mbit", "100 mbit", "1e999mbit"]) {
            try Rate(parsing: $0)
        }
    }

    func testRatePrintsAsTc() throws {
        for (text, printed) in [("100mbit", "100Mbit"), ("1gbit", "1Gbit"), ("1.5mbit", "1500Kbit"), ("8bit", "8bit"),
                                ("10gbit", "10Gbit"), ("1tbit", "1Tbit"), ("999kbit", "999Kbit"), ("1kibit", "1024bit")] {
            XCTAssertEqual(try Rate(parsing: text).description, printed, text)
        }
    }

    func testPercentageOnTheKernelsScale() throws {
        XCTAssertEqual(try Percentage(parsing: "100%").kernelValue, UInt32.max)
        XCTAssertEqual(try Percentage(parsing: "0%").kernelValue, 0)
        XCTAssertEqual(try Percentage(parsing: "1%").kernelValue, 42_949_673)        // rint(0.01 * 4294967295)
        XCTAssertEqual(try Percentage(parsing: "0.1%").kernelValue, 4_294_967)
        XCTAssertEqual(try Percentage(parsing: "25%").kernelValue, 0x4000_0000)
        XCTAssertEqual(try Percentage(parsing: "1.5").kernelValue, try Percentage(parsing: "1.5%").kernelValue)
        XCTAssertEqual(try Percentage(parsing: "1.5%").description, "1.5%")
        XCTAssertEqual(try Percentage(parsing: "0.1%").description, "0.1%")
        XCTAssertEqual(Percentage(kernelValue: 42_949_673).description, "1%")
        XCTAssertEqual(try Percentage(50).kernelValue, try Percentage(parsing: "50%").kernelValue)
        XCTAssertThrowsError(try Percentage(.nan))
        XCTAssertThrowsError(try Percentage(100.5))
    }

    func testPercentageRefusals() {
        assertRefused("percentage", Self.hostile + ["1e999%", "nan%", "inf%", "101%", "100.0001%", "-1%", "1%%", "1 %", "%", "1.5%x", "1e3%"]) {
            try Percentage(parsing: $0)
        }
    }

    func testQdiscHandles() throws {
        XCTAssertEqual(QdiscHandle.vethkit.rawValue, 0x564b_0000)
        XCTAssertEqual(QdiscHandle.vethkit.description, "564b:")
        XCTAssertEqual(QdiscHandle.root.rawValue, 0xFFFF_FFFF)
        XCTAssertEqual(QdiscHandle.root.description, "root")
        XCTAssertEqual(QdiscHandle(major: 1, minor: 2).description, "1:2")
        XCTAssertEqual(QdiscHandle.unspecified.description, "0:")
        for (text, raw) in [("564b:", UInt32(0x564b_0000)), ("1:", 0x1_0000), ("1:2", 0x1_0002), ("ffff:", 0xffff_0000),
                            ("root", 0xffff_ffff), ("none", 0), ("ABCD:ef", 0xabcd_00ef)] {
            XCTAssertEqual(try QdiscHandle(parsing: text).rawValue, raw, text)
        }
        assertRefused("qdisc handle", ["", ":", ":1", "1", "12345:", "g:", "1:2:3", "1:10000", "-1:", "564b", "0x1:"]) { try QdiscHandle(parsing: $0) }
    }

    func testDistributionNames() throws {
        for d in Netem.Distribution.allCases { XCTAssertEqual(try Netem.Distribution(parsing: d.description), d) }
        assertRefused("distribution", ["", "Normal", "gauss", "normal ", "../../etc/passwd", "normal\u{0}"]) { try Netem.Distribution(parsing: $0) }
    }
}
