import CLinuxUAPI
import Foundation
import Netlink
import VethKitTestSupport
@_spi(Decoding) @testable import VethKit
import XCTest

/// Qdisc dumps captured from real kernels (Fixtures/tc/replies: tbf from this machine's 6.18,
/// netem from Debian's 6.1 in the VM, by capture-replies.py; the first line of each is the tc
/// command), decoded field by field; then mutated (bit flips, truncation, length edits, short
/// structs and huge attributes inside TCA_OPTIONS) through the decoder, which must decode or
/// throw MalformedMessage, never trap.
final class QdiscDecodingTests: XCTestCase {
    func reply(_ name: String) throws -> [UInt8] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "hex", subdirectory: "Fixtures/tc/replies"), name)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        return hex(String(lines[1]))
    }

    static let names = ["tbf-latency", "tbf-peakrate", "tbf-rate64", "netem-delay", "netem-loss-ge", "netem-loss-state",
                        "netem-reorder-rate", "netem-rate64-slot"]

    func ours(_ name: String) throws -> Qdisc {
        let qdiscs = try NetlinkMessage.parse(reply(name)).filter { $0.type == UInt16(RTM_NEWQDISC) }.map(Qdisc.init(message:))
        return try XCTUnwrap(qdiscs.first { $0.isVethKit }, name)
    }

    func pct(_ s: String) throws -> Percentage { try Percentage(parsing: s) }
    func ms(_ v: Int64) -> TCTime { TCTime(microseconds: v * 1000) }

    func testTokenBucketReplies() throws {
        var q = try ours("tbf-latency")
        XCTAssertEqual(q.kind, "tbf")
        XCTAssertEqual(q.parent, .root)
        XCTAssertTrue(q.isRoot)
        XCTAssertFalse(q.isKernelDefault)
        guard case .tbf(let t) = q.options else { return XCTFail("\(q.options)") }
        XCTAssertEqual(t.rate.bytesPerSecond, 12_500_000)
        XCTAssertEqual(t.burst, 32768)
        XCTAssertEqual(t.limit, .bytes(657_768))
        XCTAssertNil(t.peakRate)
        q = try ours("tbf-peakrate")
        guard case .tbf(let p) = q.options else { return XCTFail() }
        XCTAssertEqual(p.peakRate?.bytesPerSecond, 25_000_000)
        XCTAssertEqual(p.mtu, 1600)
        q = try ours("tbf-rate64")
        guard case .tbf(let r) = q.options else { return XCTFail() }
        XCTAssertEqual(r.rate.bytesPerSecond, 6_250_000_000)
        // The kernel keeps the burst as time in 64 ns ticks: at 6.25 GB/s a tick is 400 bytes.
        XCTAssertEqual(Double(r.burst), Double(1 << 20), accuracy: 400)
        XCTAssertEqual(LinkImpairment(qdisc: q)?.rate, try Rate(parsing: "50gbit"))
    }

    func testNetemReplies() throws {
        guard case .netem(let d) = try ours("netem-delay").options else { return XCTFail() }
        XCTAssertEqual(d.delay, ms(20))
        XCTAssertEqual(d.jitter, ms(5))
        XCTAssertEqual(d.delayCorrelation, try pct("25%"))
        XCTAssertEqual(d.limit, 1000)
        XCTAssertEqual(d.distribution, .uniform, "the kernel does not dump tables")
        XCTAssertNil(d.seed, "Linux 6.1 has no TCA_NETEM_PRNG_SEED")

        guard case .netem(let ge) = try ours("netem-loss-ge").options else { return XCTFail() }
        XCTAssertEqual(ge.loss, .gilbertElliott(p: try pct("1%"), r: try pct("10%"), h: try pct("70%"), k1: try pct("0.1%")))
        XCTAssertEqual(ge.duplicate, try pct("0.1%"))
        // tc 6.1 sends a duplicate correlation only when another correlation (here corrupt's)
        // makes it send TCA_NETEM_CORR, which it fills from everything parsed.
        XCTAssertEqual(ge.duplicateCorrelation, try pct("50%"))
        XCTAssertEqual(ge.corrupt, try pct("0.1%"))
        XCTAssertEqual(ge.corruptCorrelation, try pct("20%"))

        guard case .netem(let gi) = try ours("netem-loss-state").options else { return XCTFail() }
        XCTAssertEqual(gi.loss, .fourState(p13: try pct("1%"), p31: try pct("10%"), p32: try pct("5%"), p23: try pct("80%"), p14: try pct("2%")))
        XCTAssertTrue(gi.ecn)

        guard case .netem(let rr) = try ours("netem-reorder-rate").options else { return XCTFail() }
        XCTAssertEqual(rr.delay, ms(10))
        XCTAssertEqual(rr.reorder, try pct("25%"))
        XCTAssertEqual(rr.reorderCorrelation, try pct("50%"))
        XCTAssertEqual(rr.gap, 5)
        XCTAssertEqual(rr.rate, try Rate(parsing: "100mbit"))
        XCTAssertEqual([rr.packetOverhead, Int32(rr.cellSize), rr.cellOverhead], [20, 100, -4])
        XCTAssertEqual(rr.limit, 5000)

        let slotQdisc = try ours("netem-rate64-slot")
        guard case .netem(let rs) = slotQdisc.options else { return XCTFail() }
        XCTAssertEqual(rs.rate?.bytesPerSecond, 12_500_000_000)
        XCTAssertEqual(rs.slot, Netem.Slot(.range(min: ms(10), max: ms(20)), packets: 10, bytes: 15000))
        let live = try XCTUnwrap(LinkImpairment(qdisc: slotQdisc))
        var want = LinkImpairment()
        for (k, v) in [("rate", "100gbit"), ("slot", "10ms 20ms"), ("slot-packets", "10"), ("slot-bytes", "15000")] { try want.set(k, v) }
        XCTAssertTrue(want.matches(live), "\(live)")
    }

    /// Statistics come from TCA_STATS2 (basic + queue) and agree with the legacy TCA_STATS.
    func testStatisticsFromBothForms() throws {
        for name in Self.names {
            for m in try NetlinkMessage.parse(reply(name)) where m.type == UInt16(RTM_NEWQDISC) {
                let q = try Qdisc(message: m)
                var legacy: Attribute?
                try m.forEachAttribute(after: tcmsg.self) { if $0.type == UInt16(TCA_STATS) { legacy = $0 } }
                let old = QdiscStatistics(legacy: try XCTUnwrap(legacy, name))
                XCTAssertEqual(q.statistics.bytes, old.bytes, name)
                XCTAssertEqual(q.statistics.packets, old.packets, name)
                XCTAssertEqual(q.statistics.drops, old.drops, name)
            }
        }
        let traffic = try Qdisc(message: XCTUnwrap(NetlinkMessage.parse(reply("netem-delay")).first { m in
            (try? Qdisc(message: m))?.isVethKit == true
        }))
        XCTAssertGreaterThan(traffic.statistics.packets, 0, "the capture sent pings through it")
    }

    /// The property test: mutated replies and requests never trap the decoder.
    func testDecoderSurvivesMutatedReplies() throws {
        let (seeded, seed) = seededGenerator(default: 12)
        var rng = seeded
        var seeds = try Self.names.map(reply)
        // VethKit's own requests have the same layout (tcmsg, TCA_KIND, TCA_OPTIONS).
        for o: QdiscOptions in [.netem(Netem(delay: ms(20), jitter: ms(5), distribution: .normal, loss: .gilbertElliott(p: try pct("1%")),
                                             duplicate: try pct("1%"), rate: try Rate(parsing: "100gbit"), slot: .init(.range(min: ms(1), max: ms(2))), seed: 3)),
                                .tbf(TokenBucket(rate: try Rate(parsing: "50gbit"), burst: 9000, limit: .bytes(1 << 20), peakRate: try Rate(parsing: "60gbit"), mtu: 9000))] {
            var m = MessageWriter(capacity: 64)
            NetHandle.encodeAddQdisc(o, linkIndex: 5, parent: .root, handle: .vethkit, replace: false, complete: true, into: &m)
            var b = m.bytes
            b[4] = UInt8(RTM_NEWQDISC)
            seeds.append(b)
        }
        var decoded = 0, refused = 0, optionsKept = 0, reached = 0
        for round in 0..<6000 {
            let origin = Int.random(in: 0..<seeds.count, using: &rng)
            var (b, kind) = NetlinkMutator.mutate(seeds[origin], donors: seeds, using: &rng)
            if Bool.random(using: &rng) { (b, kind) = Self.mutateOptions(b, using: &rng) }
            guard let msgs = try? NetlinkMessage.parse(b) else { continue }
            for m in msgs where m.type == UInt16(RTM_NEWQDISC) {
                reached += 1
                do {
                    let q = try Qdisc(message: m)
                    decoded += 1
                    if case .other = q.options {} else { optionsKept += 1 }
                    _ = LinkImpairment(qdisc: q).map { $0.description }
                } catch let e as MalformedMessage {
                    refused += 1
                    XCTAssertFalse(e.reason.isEmpty)
                } catch {
                    XCTFail("seed \(seed) round \(round) \(kind): \(type(of: error)) is not a decoder error: \(error)")
                }
            }
        }
        print("QdiscDecodingTests seed \(seed): \(reached) mutants reached the decoder, \(decoded) decoded (\(optionsKept) with options), \(refused) refused")
        XCTAssertGreaterThan(reached, 3000)
        XCTAssertGreaterThan(decoded, reached / 3)
        XCTAssertGreaterThan(optionsKept, reached / 5)
        XCTAssertGreaterThan(refused, reached / 500, "some mutants must be refused (framing, short tcmsg, bad stats)")
    }

    /// A mutation inside the first message's TCA_OPTIONS: shortened (lengths fixed up, so the
    /// qopt or PARMS struct is short), an inner length set wild, or a huge attribute appended.
    static func mutateOptions(_ original: [UInt8], using rng: inout SplitMix64) -> ([UInt8], String) {
        var b = original
        guard b.count >= 36, let range = optionsRange(b) else { return (b, "none") }
        func le16(_ v: Int, at i: Int) { b[i] = UInt8(truncatingIfNeeded: v); b[i + 1] = UInt8(truncatingIfNeeded: v >> 8) }
        func le32(_ v: Int, at i: Int) { for k in 0..<4 { b[i + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) } }
        let payload = range.upperBound - range.lowerBound - 4
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            let keep = Int.random(in: 0...max(0, payload), using: &rng) & ~3
            b.removeSubrange((range.lowerBound + 4 + keep)..<range.upperBound)
            le16(4 + keep, at: range.lowerBound)
            le32(b.count, at: 0)
            return (b, "options truncated to \(keep)")
        case 1:
            guard payload > 8 else { return (b, "none") }
            let at = range.lowerBound + 4 + (Int.random(in: 0..<(payload - 2), using: &rng) & ~3)
            le16([0, 3, 4, 5, 0xffff, Int.random(in: 0...0xffff, using: &rng)].randomElement(using: &rng)!, at: at)
            return (b, "inner length")
        case 2:
            let type = Int.random(in: 0...15, using: &rng)
            let size = [0, 1, 7, 8, 40, 1000, 30_000].randomElement(using: &rng)!
            let attr = [UInt8(truncatingIfNeeded: size + 4), UInt8(truncatingIfNeeded: (size + 4) >> 8), UInt8(type), 0]
                + (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let padded = attr + [UInt8](repeating: 0, count: (4 - attr.count % 4) % 4)
            b.insert(contentsOf: padded, at: range.upperBound)
            le16(min(0xffff, range.upperBound - range.lowerBound + padded.count), at: range.lowerBound)
            le32(b.count, at: 0)
            return (b, "attribute of \(size) bytes appended")
        default:
            guard payload > 0 else { return (b, "none") }
            let at = range.lowerBound + 4 + Int.random(in: 0..<payload, using: &rng)
            b[at] = UInt8.random(in: 0...255, using: &rng)
            return (b, "options byte")
        }
    }

    static func optionsRange(_ b: [UInt8]) -> Range<Int>? {
        let total = min(b.count, Int(b[0]) | Int(b[1]) << 8 | Int(b[2]) << 16 | Int(b[3]) << 24)
        var off = 36
        while off + 4 <= total {
            let len = Int(b[off]) | Int(b[off + 1]) << 8
            guard len >= 4, off + len <= total else { return nil }
            if (Int(b[off + 2]) | Int(b[off + 3]) << 8) & 0x3fff == Int(TCA_OPTIONS) { return off..<(off + len) }
            off += (len + 3) & ~3
        }
        return nil
    }
}
