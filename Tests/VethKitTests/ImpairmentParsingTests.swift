@testable import VethKit
import XCTest

/// LinkImpairment.set, the one parser of `--delay 20ms` and `delay: 20ms`: every key, the
/// combinations, what it maps to, and hostile values (one error naming key and value).
final class ImpairmentParsingTests: XCTestCase {
    func impairment(_ pairs: [(String, String)]) throws -> LinkImpairment {
        var i = LinkImpairment()
        for (k, v) in pairs { try i.set(k, v) }
        return i
    }

    func testEveryKey() throws {
        let i = try impairment([
            ("delay", "20ms"), ("jitter", "5ms"), ("correlation", "25%"), ("distribution", "normal"), ("loss", "1%"),
            ("loss_correlation", "10%"), ("duplicate", "0.1%"), ("duplicate-correlation", "5%"), ("corrupt", "0.2%"),
            ("corrupt-correlation", "6%"), ("reorder", "3%"), ("reorder-correlation", "7%"), ("gap", "5"), ("rate", "100mbit"),
            ("overhead", "-4"), ("limit", "2000"), ("seed", "18446744073709551615"), ("slot", "1ms 2ms"), ("slot-packets", "10"),
            ("slot-bytes", "15000"), ("ecn", "true"),
        ])
        try i.validate()
        XCTAssertEqual(i.delay, TCTime(microseconds: 20_000))
        XCTAssertEqual(i.seed, UInt64.max)
        XCTAssertEqual(i.overhead, -4)
        XCTAssertTrue(i.needsNetem)
        guard case .netem(let n)? = i.qdiscOptions else { return XCTFail() }
        XCTAssertEqual(n.loss, .random(try Percentage(parsing: "1%"), correlation: try Percentage(parsing: "10%")))
        XCTAssertEqual(n.slot, Netem.Slot(.range(min: TCTime(microseconds: 1000), max: TCTime(microseconds: 2000)), packets: 10, bytes: 15000))
        XCTAssertEqual(n.packetOverhead, -4)
        XCTAssertEqual(n.limit, 2000)
        XCTAssertTrue(n.ecn)
        // settings read back through set() to the same impairment, and say every key once.
        var again = LinkImpairment()
        for (k, v) in i.settings { try again.set(k, v) }
        XCTAssertEqual(again, i)
        XCTAssertEqual(i.settings.map(\.key), LinkImpairment.keys)
        XCTAssertTrue(i.description.hasPrefix("delay 20ms jitter 5ms correlation 25% distribution normal loss 1%"))
    }

    func testLossModels() throws {
        let ge = try impairment([("loss", "gemodel 1% 10% 70% 0.1%")])
        XCTAssertEqual(ge.loss, .gilbertElliott(p: try Percentage(parsing: "1%"), r: try Percentage(parsing: "10%"),
                                                h: try Percentage(parsing: "70%"), k1: try Percentage(parsing: "0.1%")))
        XCTAssertEqual(try impairment([("loss", "gemodel 2%")]).loss, .gilbertElliott(p: try Percentage(parsing: "2%")))
        XCTAssertEqual(try impairment([("loss", "state 1% 10%")]).loss,
                       .fourState(p13: try Percentage(parsing: "1%"), p31: try Percentage(parsing: "10%")))
        XCTAssertEqual(try impairment([("loss", "random 1% 25%")]).loss,
                       .random(try Percentage(parsing: "1%"), correlation: try Percentage(parsing: "25%")))
        for model in ["gemodel 1% 10% 70% 0.1%", "state 1% 10% 5% 80% 2%", "random 1% 25%"] {
            let i = try impairment([("loss", model)])
            var again = LinkImpairment()
            for (k, v) in i.settings { try again.set(k, v) }
            XCTAssertEqual(again.netem, i.netem, model)
        }
    }

    func testRateAloneAndEmpty() throws {
        XCTAssertTrue(LinkImpairment().isEmpty)
        XCTAssertNil(LinkImpairment().qdiscOptions)
        XCTAssertFalse(LinkImpairment().needsNetem)
        XCTAssertEqual(LinkImpairment().description, "none")
        let r = try impairment([("rate", "10mbit")])
        XCTAssertFalse(r.needsNetem)
        XCTAssertEqual(r.qdiscOptions?.kind, "tbf")
        XCTAssertEqual(try impairment([("rate", "10mbit"), ("overhead", "20")]).qdiscOptions?.kind, "netem")
        XCTAssertEqual(try impairment([("seed", "7")]).qdiscOptions?.kind, "netem")
        XCTAssertEqual(try impairment([("limit", "10")]).qdiscOptions?.kind, "netem")
    }

    /// Each refusal names the key and the value, is invalid input, and is one short line.
    func testHostileValues() {
        let cases: [(String, String)] = [
            ("delay", ""), ("delay", "20"), ("delay", "20xs"), ("delay", "-1ms"), ("delay", "nan"), ("delay", "1e999s"),
            ("jitter", "5 ms"), ("correlation", "101%"), ("correlation", "nan%"), ("loss", "1e999%"), ("loss", ""),
            ("loss", "gemodel"), ("loss", "gemodel 1% 2% 3% 4% 5%"), ("loss", "random"), ("loss", "state 1% 2% 3% 4% 5% 6%"),
            ("loss", "1% 2%"), ("loss", "bogus 1%"), ("duplicate", "-0.1%"), ("corrupt", "0.1%%"), ("reorder", "x"),
            ("gap", "-1"), ("gap", "4294967296"), ("gap", "1.5"), ("rate", "99999999999gbit"), ("rate", "100"),
            ("rate", "0mbit"), ("overhead", "2147483648"), ("overhead", "1.5"), ("limit", "0"), ("limit", "abc"),
            ("seed", "18446744073709551616"), ("seed", "-1"), ("seed", "0x10"), ("slot", ""), ("slot", "1ms 2ms 3ms"),
            ("slot", "distribution normal 1ms"), ("slot", "distribution bogus 1ms 1ms"), ("slot-packets", "-1"),
            ("ecn", "maybe"), ("distribution", "gauss"), ("delay", "20\u{0}ms"), ("delay", "\u{1b}[2J"),
            ("rate", String(repeating: "9", count: 100_000) + "mbit"), ("delay", String(decoding: [0xff, 0xfe, 0x6d, 0x73], as: UTF8.self)),
        ]
        for (key, value) in cases {
            var i = LinkImpairment()
            do {
                try i.set(key, value)
                XCTFail("\(key) \(value.prefix(30).debugDescription) was accepted")
            } catch let e as InvalidInput {
                XCTAssertEqual(e.what, key)
                XCTAssertEqual(e.value, TCNumber.shown(value))
                XCTAssertEqual(ErrorCategory.of(e), .invalidInput)
                XCTAssertLessThan(e.description.count, 400, key)
                XCTAssertFalse(e.description.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "\(key): escaped")
            } catch {
                XCTFail("\(key): \(error)")
            }
            XCTAssertTrue(i.isEmpty, "\(key): a refused value changes nothing")
        }
    }

    /// A bare number is not a time for an impairment either way: `delay: 20` reads as tc reads
    /// it, 20 µs (tc(8)), not 20 ms; refused because nobody means it.
    func testBareTimeIsRefusedForImpairments() {
        var i = LinkImpairment()
        XCTAssertThrowsError(try i.set("delay", "20")) { XCTAssertTrue("\($0)".contains("unit"), "\($0)") }
    }

    func testUnknownKeys() {
        for key in ["", "delay ", "Delay", "latency", "--delay", "delay\u{0}", String(repeating: "k", count: 10_000)] {
            var i = LinkImpairment()
            XCTAssertThrowsError(try i.set(key, "20ms")) { e in
                XCTAssertEqual((e as? InvalidInput)?.what, "impairment key")
                XCTAssertTrue("\(e)".contains("delay, jitter"), "\(e)")
            }
        }
    }

    /// The combinations netem or tc refuse, found by validate() before anything is sent.
    func testCombinationsRefused() throws {
        let cases: [[(String, String)]] = [
            [("jitter", "5ms")], [("delay", "20ms"), ("correlation", "5%")], [("delay", "20ms"), ("distribution", "normal")],
            [("reorder", "5%")], [("delay", "10ms"), ("gap", "5")], [("loss-correlation", "5%")],
            [("loss", "gemodel 1%"), ("loss-correlation", "5%")], [("slot-packets", "5")], [("overhead", "5")],
            [("ecn", "true")], [("duplicate-correlation", "5%")], [("corrupt-correlation", "5%")],
            [("delay", "10ms"), ("reorder-correlation", "5%")], [("slot", "distribution uniform 1ms 1ms")],
            [("slot", "distribution normal 1ms 0ms")], [("delay", "3601s")], [("delay", "1s"), ("jitter", "2.2s")],
            [("slot", "1ms 3601s")], [("slot", "distribution normal 1s 3s")],
        ]
        for pairs in cases {
            let i = try impairment(pairs)
            XCTAssertThrowsError(try i.validate(), "\(pairs)") { XCTAssertEqual(ErrorCategory.of($0), .invalidInput, "\($0)") }
        }
        XCTAssertNoThrow(try impairment([("delay", "10ms"), ("reorder", "5%"), ("gap", "3")]).validate())
        XCTAssertNoThrow(try impairment([("delay", "10ms"), ("jitter", "1ms"), ("distribution", "pareto")]).validate())
        XCTAssertNoThrow(try impairment([("delay", "3600s"), ("jitter", "2.1s")]).validate())
    }

    /// matches: a live impairment read back (with the kernel's seed and without its table)
    /// satisfies what was asked.
    func testMatchesIgnoresWhatTheKernelCannotReport() throws {
        let want = try impairment([("delay", "20ms"), ("jitter", "2ms"), ("distribution", "normal"), ("loss", "random 1% 5%")])
        var live = want
        live.distribution = nil
        live.seed = 12345
        XCTAssertTrue(want.matches(live))
        var other = live
        other.delay = TCTime(microseconds: 21_000)
        XCTAssertFalse(want.matches(other))
        var seeded = want
        seeded.seed = 7
        XCTAssertFalse(seeded.matches(live))
        live.seed = 7
        XCTAssertTrue(seeded.matches(live))
    }
}
