import CLinuxUAPI
import Foundation
import Netlink
@testable import VethKit
import XCTest

/// Every qdisc request VethKit writes, compared byte for byte with what iproute2's tc 6.1 sends
/// for the same options (Fixtures/tc/*.txt, captured with strace by Fixtures/tc/capture.sh; the
/// first line of each is the tc command). Ignored: nlmsg_seq and nlmsg_pid (per socket) and
/// tcm_ifindex (the capture's veth); NLM_F_ACK, which NetlinkSocket adds when it sends, is
/// added here. Where VethKit differs from tc on purpose, the test says so
/// and checks the difference itself:
/// - a delay or jitter ticks cannot hold exactly (1500us, a bare 20 = 20us: not multiples of
///   64 ns) also goes as TCA_NETEM_LATENCY64/JITTER64 (tc rounds it down to whole ticks);
/// - a duplicate correlation goes in TCA_NETEM_CORR (tc 6.1 parses it and sends nothing);
/// - the seed is TCA_NETEM_PRNG_SEED, appended (tc 6.1 has no `seed`).
final class TrafficControlEncodingTests: XCTestCase {
    struct Fixture {
        var command: String
        var bytes: [UInt8]
        var linkIndex: Int32 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 20, as: Int32.self) } }
    }

    func fixture(_ name: String) throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Fixtures/tc"), name)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("# tc qdisc "), name)
        return Fixture(command: String(lines[0].dropFirst(2)), bytes: hex(String(lines[2])))
    }

    /// VethKit's request for `options`, with tc's seq, pid and ifindex.
    func request(_ options: QdiscOptions, like f: Fixture, replace: Bool = false) -> [UInt8] {
        var m = MessageWriter(capacity: 64)
        NetHandle.encodeAddQdisc(options, linkIndex: f.linkIndex, parent: .root, handle: .vethkit, replace: replace,
                                 complete: false, into: &m)
        return sameHeader(m.bytes, as: f.bytes)
    }

    func sameHeader(_ ours: [UInt8], as theirs: [UInt8]) -> [UInt8] {
        var b = ours
        guard b.count >= 16, theirs.count >= 16 else { return b }
        b.replaceSubrange(8..<16, with: theirs[8..<16])
        b[6] |= UInt8(NLM_F_ACK)   // added by NetlinkSocket when it sends
        return b
    }

    func assertSame(_ name: String, _ options: QdiscOptions, replace: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try fixture(name)
        // The options say themselves in tc's words as the fixture's command line does (tc's
        // spelling of the same values: `loss random 1%` is `loss 1%`, rates and sizes as tc prints them).
        let said = "netem " + (options.tcArguments.dropFirst().joined(separator: " "))
        if case .netem = options, !Self.spelledDifferently.contains(name) {
            XCTAssertTrue(f.command.hasSuffix(said), "\(name): \(said) vs \(f.command)", file: file, line: line)
        }
        let ours = request(options, like: f, replace: replace)
        XCTAssertEqual(ours.count, f.bytes.count, "\(name): \(f.command)", file: file, line: line)
        if let i = zip(ours, f.bytes).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            XCTFail("\(name) (\(f.command)): first difference at byte \(i): ours \(hexString(ours[i..<min(i + 16, ours.count)])), tc's \(hexString(f.bytes[i..<min(i + 16, f.bytes.count)]))",
                    file: file, line: line)
        }
    }

    /// Fixtures whose command spells the same options another way than tcArguments does.
    static let spelledDifferently: Set<String> = ["netem-loss-correlation", "netem-rate", "netem-rate-overhead",
                                                  "netem-rate-cell", "netem-rate-64", "netem-combined"]

    func ms(_ v: Int64) -> TCTime { TCTime(microseconds: v * 1000) }
    func pct(_ s: String) throws -> Percentage { try Percentage(parsing: s) }
    func rate(_ s: String) throws -> Rate { try Rate(parsing: s) }

    // MARK: netem, option by option

    func testNetemDelayAndJitter() throws {
        try assertSame("netem-delay", .netem(Netem(delay: ms(20))))
        try assertSame("netem-delay-long", .netem(Netem(delay: TCTime(parsing: "274s"))))
        try assertSame("netem-jitter", .netem(Netem(delay: ms(20), jitter: ms(5))))
        try assertSame("netem-jitter-correlation", .netem(Netem(delay: ms(20), jitter: ms(5), delayCorrelation: pct("25%"))))
        try assertSame("netem-replace", .netem(Netem(delay: ms(20))), replace: true)
    }

    func testNetemDistributions() throws {
        for (name, d) in [("netem-normal", Netem.Distribution.normal), ("netem-pareto", .pareto), ("netem-paretonormal", .paretoNormal)] {
            try assertSame(name, .netem(Netem(delay: ms(20), jitter: ms(5), distribution: d)))
        }
    }

    func testNetemLoss() throws {
        try assertSame("netem-loss", .netem(Netem(loss: .random(pct("1%")))))
        try assertSame("netem-loss-correlation", .netem(Netem(loss: .random(pct("1%"), correlation: pct("25%")))))
        try assertSame("netem-loss-gemodel", .netem(Netem(loss: .gilbertElliott(p: pct("1%"), r: pct("10%"), h: pct("70%"), k1: pct("0.1%")))))
        try assertSame("netem-loss-gemodel-p", .netem(Netem(loss: .gilbertElliott(p: pct("1%")))))
        try assertSame("netem-loss-state", .netem(Netem(loss: .fourState(p13: pct("1%"), p31: pct("10%"), p32: pct("5%"), p23: pct("80%"), p14: pct("2%")))))
        try assertSame("netem-loss-state-p13", .netem(Netem(loss: .fourState(p13: pct("1%")))))
        var ecn = try Netem(loss: .random(pct("1%")))
        ecn.ecn = true
        try assertSame("netem-ecn", .netem(ecn))
    }

    func testNetemDuplicateCorruptReorder() throws {
        try assertSame("netem-duplicate", .netem(Netem(duplicate: pct("0.1%"))))
        try assertSame("netem-corrupt", .netem(Netem(corrupt: pct("0.1%"))))
        var corrupt = try Netem(corrupt: pct("0.1%"))
        corrupt.corruptCorrelation = try pct("20%")
        try assertSame("netem-corrupt-correlation", .netem(corrupt))
        try assertSame("netem-reorder", .netem(Netem(delay: ms(10), reorder: pct("25%"))))
        var reorder = try Netem(delay: ms(10), reorder: pct("25%"), gap: 5)
        reorder.reorderCorrelation = try pct("50%")
        try assertSame("netem-reorder-gap", .netem(reorder))
    }

    func testNetemRateLimitSlot() throws {
        try assertSame("netem-rate", .netem(Netem(rate: rate("100mbit"))))
        var overhead = try Netem(rate: rate("100mbit"))
        overhead.packetOverhead = 20
        try assertSame("netem-rate-overhead", .netem(overhead))
        overhead.cellSize = 100
        overhead.cellOverhead = -4
        try assertSame("netem-rate-cell", .netem(overhead))
        try assertSame("netem-rate-64", .netem(Netem(rate: rate("100gbit"))))
        try assertSame("netem-limit", .netem(Netem(limit: 5000)))
        try assertSame("netem-slot", .netem(Netem(slot: .init(.range(min: ms(10), max: ms(20))))))
        try assertSame("netem-slot-min", .netem(Netem(slot: .init(.range(min: ms(10), max: ms(10))))))
        try assertSame("netem-slot-limits", .netem(Netem(slot: .init(.range(min: ms(10), max: ms(20)), packets: 10, bytes: 15000))))
        try assertSame("netem-slot-distribution", .netem(Netem(slot: .init(.distribution(.normal, delay: ms(10), jitter: ms(2))))))
    }

    func testNetemCombinedThroughLinkImpairment() throws {
        var i = LinkImpairment()
        for (k, v) in [("delay", "20ms"), ("jitter", "2ms"), ("correlation", "10%"), ("distribution", "normal"), ("loss", "1%"),
                       ("duplicate", "0.5%"), ("corrupt", "0.1%"), ("rate", "100mbit"), ("limit", "2000")] {
            try i.set(k, v)
        }
        try i.validate()
        try assertSame("netem-combined", XCTUnwrap(i.qdiscOptions))
    }

    // MARK: netem, where VethKit differs from tc on purpose

    /// A delay that whole ticks (64 ns) cannot hold: tc's bytes, plus TCA_NETEM_LATENCY64 with
    /// the exact nanoseconds.
    func testInexactDelayAlsoGoesInNanoseconds() throws {
        for (name, text, ns) in [("netem-delay-us", "1500us", Int64(1_500_000)), ("netem-delay-bare", "20", 20_000)] {
            let f = try fixture(name)
            let ours = request(.netem(Netem(delay: try TCTime(parsing: text))), like: f)
            let (without, removed) = try removingNetemAttribute(UInt16(TCA_NETEM_LATENCY64), from: ours)
            XCTAssertEqual(without, f.bytes, "\(name): apart from LATENCY64, tc's request")
            XCTAssertEqual(removed.map { $0.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) } }, ns, name)
        }
        let jittered = try fixture("netem-jitter")
        let ours = request(.netem(Netem(delay: ms(20), jitter: try TCTime(parsing: "5000.5us"))), like: jittered)
        let (without, removed) = try removingNetemAttribute(UInt16(TCA_NETEM_JITTER64), from: ours)
        XCTAssertEqual(without, jittered.bytes)
        XCTAssertEqual(removed.map { $0.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) } }, 5_000_500)
    }

    /// tc 6.1 drops a duplicate correlation ("duplicate 0.1% 50%" sends what "duplicate 0.1%"
    /// does); VethKit sends it in TCA_NETEM_CORR.
    func testDuplicateCorrelationIsSent() throws {
        let f = try fixture("netem-duplicate-correlation")
        var n = try Netem(duplicate: pct("0.1%"))
        n.duplicateCorrelation = try pct("50%")
        let (without, removed) = try removingNetemAttribute(UInt16(TCA_NETEM_CORR), from: request(.netem(n), like: f))
        XCTAssertEqual(without, f.bytes)
        let corr = try XCTUnwrap(removed).withUnsafeBytes { $0.loadUnaligned(as: tc_netem_corr.self) }
        XCTAssertEqual([corr.delay_corr, corr.loss_corr, corr.dup_corr], [0, 0, try pct("50%").kernelValue])
    }

    /// The seed: tc's request for the same options, then TCA_NETEM_PRNG_SEED (14, u64).
    func testSeedIsAppended() throws {
        let f = try fixture("netem-delay")
        let (without, removed) = try removingNetemAttribute(TCA_NETEM_PRNG_SEED, from: request(.netem(Netem(delay: ms(20), seed: 7)), like: f))
        XCTAssertEqual(without, f.bytes)
        XCTAssertEqual(try XCTUnwrap(removed).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }, 7)
        XCTAssertEqual(TCA_NETEM_PRNG_SEED, 14)
    }

    /// A change in place sends every option the kernel would otherwise keep: zeros for what is unset.
    func testCompleteEncodingClearsStaleOptions() throws {
        var m = MessageWriter(capacity: 64)
        NetHandle.encodeAddQdisc(.netem(Netem(delay: ms(20))), linkIndex: 3, parent: .root, handle: .vethkit, replace: true,
                                 complete: true, into: &m)
        let types = try netemAttributes(m.bytes).map(\.type)
        XCTAssertEqual(types, [TCA_NETEM_CORR, TCA_NETEM_REORDER, TCA_NETEM_ECN, TCA_NETEM_CORRUPT, TCA_NETEM_SLOT, TCA_NETEM_RATE].map { UInt16($0) })
        XCTAssertTrue(try netemAttributes(m.bytes).allSatisfy { $0.value.allSatisfy { $0 == 0 } })
    }

    // MARK: tbf

    func testTokenBucket() throws {
        try assertSame("tbf-latency", .tbf(TokenBucket(rate: rate("100mbit"), burst: 32 * 1024, limit: .latency(ms(50)))))
        try assertSame("tbf-limit", .tbf(TokenBucket(rate: rate("100mbit"), burst: 32 * 1024, limit: .bytes(100_000))))
        try assertSame("tbf-peakrate", .tbf(TokenBucket(rate: rate("100mbit"), burst: 32 * 1024, limit: .latency(ms(50)),
                                                        peakRate: rate("200mbit"), mtu: 1600)))
        try assertSame("tbf-1gbit", .tbf(TokenBucket(rate: rate("1gbit"), burst: 128 * 1024, limit: .latency(ms(20)))))
        try assertSame("tbf-rate64", .tbf(TokenBucket(rate: rate("50gbit"), burst: 1024 * 1024, limit: .latency(ms(10)))))
        try assertSame("tbf-slow", .tbf(TokenBucket(rate: rate("8kbit"), burst: 1600, limit: .latency(ms(1000)))))
        try assertSame("tbf-replace", .tbf(TokenBucket(rate: rate("10mbit"), burst: 16 * 1024, limit: .latency(ms(50)))), replace: true)
    }

    func testDelete() throws {
        let f = try fixture("delete")
        var m = MessageWriter(capacity: 64)
        NetHandle.encodeDeleteQdisc(linkIndex: f.linkIndex, parent: .root, handle: .vethkit, into: &m)
        XCTAssertEqual(sameHeader(m.bytes, as: f.bytes), f.bytes)
    }

    /// A rate alone is a tbf with VethKit's defaults: 64 KiB or 4 ms of burst, 50 ms of queue.
    func testRateAloneIsTokenBucketWithDefaults() throws {
        var i = LinkImpairment()
        try i.set("rate", "100mbit")
        XCTAssertFalse(i.needsNetem)
        guard case .tbf(let t)? = i.qdiscOptions else { return XCTFail("rate alone should be tbf") }
        XCTAssertEqual(t.rate.bitsPerSecond, 100_000_000)
        XCTAssertEqual(t.burst, 65536)
        XCTAssertEqual(t.limit, .latency(ms(50)))
        XCTAssertEqual(t.limitBytes, 12_500_000 / 20 + 65536)
        try i.set("rate", "10gbit")
        guard case .tbf(let fast)? = i.qdiscOptions else { return XCTFail() }
        XCTAssertEqual(fast.burst, 5_000_000)
        try i.set("delay", "1ms")
        XCTAssertTrue(i.needsNetem)
        guard case .netem(let n)? = i.qdiscOptions else { return XCTFail("rate with a delay should be netem") }
        XCTAssertEqual(n.rate, try rate("10gbit"))
    }

    /// A batch encodes each distinct options once and reuses the bytes: the same request.
    func testPrecomputedOptionsAreTheSameRequest() throws {
        let options: [QdiscOptions] = [
            .tbf(TokenBucket(rate: try rate("100mbit"), burst: 32 * 1024, limit: .latency(ms(50)), peakRate: try rate("200mbit"), mtu: 1600)),
            .netem(Netem(delay: ms(20), jitter: ms(5), distribution: .pareto, loss: .gilbertElliott(p: try pct("1%")), seed: 9)),
            .other(kind: "pfifo"),
        ]
        for o in options {
            for complete in [false, true] {
                var a = MessageWriter(capacity: 64), b = MessageWriter(capacity: 64)
                NetHandle.encodeAddQdisc(o, linkIndex: 7, parent: .root, handle: .vethkit, replace: true, complete: complete, into: &a)
                NetHandle.encodeAddQdisc(o, linkIndex: 7, parent: .root, handle: .vethkit, replace: true, complete: complete,
                                         payload: o.optionsPayload(complete: complete), into: &b)
                XCTAssertEqual(a.bytes, b.bytes, "\(o.kind) complete \(complete)")
            }
        }
    }

    /// tc's words for what the spelledDifferently fixtures say.
    func testTcArgumentsOfTheOtherFixtures() throws {
        XCTAssertEqual(QdiscOptions.netem(Netem(loss: .random(try pct("1%"), correlation: try pct("25%")))).tcArguments,
                       ["netem", "loss", "1%", "25%"])
        XCTAssertEqual(QdiscOptions.netem(Netem(delay: try TCTime(parsing: "274s"))).tcArguments, ["netem", "delay", "274s"])
        var rateCell = Netem(rate: try rate("100mbit"))
        (rateCell.packetOverhead, rateCell.cellSize, rateCell.cellOverhead) = (20, 100, -4)
        XCTAssertEqual(QdiscOptions.netem(rateCell).tcArguments, ["netem", "rate", "100Mbit", "20", "100", "-4"])
        XCTAssertEqual(QdiscOptions.netem(Netem(rate: try rate("100gbit"), seed: 7)).tcArguments, ["netem", "rate", "100Gbit", "seed", "7"])
        XCTAssertEqual(QdiscOptions.tbf(TokenBucket(rate: try rate("100mbit"), burst: 32768, limit: .latency(ms(50)), peakRate: try rate("200mbit"), mtu: 1600)).tcArguments,
                       ["tbf", "rate", "100Mbit", "burst", "32768", "latency", "50ms", "peakrate", "200Mbit", "mtu", "1600"])
        XCTAssertEqual(QdiscOptions.other(kind: "pfifo").tcArguments, ["pfifo"])
    }

    // MARK: helpers

    /// The attributes after netem's tc_netem_qopt in a request's TCA_OPTIONS.
    func netemAttributes(_ message: [UInt8]) throws -> [Attribute] {
        let (start, end) = try netemOptionsRange(message)
        return Array(try AttributeList(parsing: message[(start + 4 + 24)..<end]))
    }

    func netemOptionsRange(_ message: [UInt8]) throws -> (Int, Int) {
        var found: (Int, Int)?
        var off = 36
        while off + 4 <= message.count {
            let len = Int(message[off]) | Int(message[off + 1]) << 8
            let type = (Int(message[off + 2]) | Int(message[off + 3]) << 8) & 0x3fff
            if type == Int(TCA_OPTIONS) { found = (off, off + len) }
            off += (len + 3) & ~3
        }
        return try XCTUnwrap(found)
    }

    /// `message` without the netem attribute `type` (lengths fixed), and that attribute's payload.
    func removingNetemAttribute(_ type: UInt16, from message: [UInt8]) throws -> ([UInt8], [UInt8]?) {
        let (start, end) = try netemOptionsRange(message)
        var off = start + 4 + 24
        while off + 4 <= end {
            let len = Int(message[off]) | Int(message[off + 1]) << 8
            let t = UInt16(message[off + 2]) | UInt16(message[off + 3]) << 8
            let padded = (len + 3) & ~3
            if t & 0x3fff == type {
                var out = message
                out.removeSubrange(off..<(off + padded))
                let total = UInt32(out.count)
                out.replaceSubrange(0..<4, with: withUnsafeBytes(of: total.littleEndian, Array.init))
                let optLen = UInt16(end - start - padded)
                out.replaceSubrange(start..<(start + 2), with: withUnsafeBytes(of: optLen.littleEndian, Array.init))
                return (out, Array(message[(off + 4)..<(off + len)]))
            }
            off += padded
        }
        return (message, nil)
    }
}

func hexString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
