import Foundation
import Netlink
@testable import VethKit
import VethKitTestSupport
import XCTest

/// Qdiscs on the real kernel (tbf: present here; netem's tests are NetemKernelTests, in the VM):
/// add, replace, delete and list through VethKit, read back through VethKit and `tc -j -s` field
/// by field, counters moving with real packets, ownership (a user's qdisc is never touched),
/// no link flap on a change, and batches.
final class TrafficControlKernelTests: XCTestCase {
    var ns: TrafficControlNamespace!

    override func setUpWithError() throws {
        try requireKernel()
        ns = try TrafficControlNamespace(prefix: "tc")
    }

    override func tearDown() {
        ns?.delete()
        super.tearDown()
    }

    var h: NetHandle { ns.handle }
    let dev = "vka0"

    /// tc's JSON for a tbf against VethKit's decoded one: rate in bytes/s, burst as tc prints it
    /// (through whole microseconds), the latency tc derives from the byte limit. The counters
    /// may move between the reads (a VM's links chat: router solicitations), so `after`, read
    /// by VethKit after tc, bounds them: q <= tc <= after.
    func assertAgrees(_ q: Qdisc, _ j: [String: Any], after: Qdisc? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(j["kind"] as? String, q.kind, file: file, line: line)
        XCTAssertEqual(j["handle"] as? String, q.handle.description, file: file, line: line)
        XCTAssertEqual(j["root"] as? Bool, q.isRoot, file: file, line: line)
        XCTAssertEqual((j["refcnt"] as? NSNumber)?.uint32Value, q.refcount, file: file, line: line)
        let later = after ?? q
        for (key, a, b) in [("bytes", q.statistics.bytes, later.statistics.bytes), ("packets", q.statistics.packets, later.statistics.packets),
                            ("drops", UInt64(q.statistics.drops), UInt64(later.statistics.drops)),
                            ("overlimits", UInt64(q.statistics.overlimits), UInt64(later.statistics.overlimits)),
                            ("requeues", UInt64(q.statistics.requeues), UInt64(later.statistics.requeues))] {
            let theirs = (j[key] as? NSNumber)?.uint64Value ?? .max
            XCTAssertTrue(a <= theirs && theirs <= b, "\(key): VethKit \(a), tc \(theirs), VethKit again \(b)", file: file, line: line)
        }
        for (key, value) in [("backlog", UInt64(q.statistics.backlog)), ("qlen", UInt64(q.statistics.qlen))] where after == nil {
            XCTAssertEqual((j[key] as? NSNumber)?.uint64Value, value, key, file: file, line: line)
        }
        guard case .tbf(let t) = q.options else { return }
        let o = j["options"] as? [String: Any] ?? [:]
        XCTAssertEqual((o["rate"] as? NSNumber)?.uint64Value, t.rate.bytesPerSecond, "rate", file: file, line: line)
        // tc: burst = rate * tick2time(buffer ticks) / 1e6, through whole µs.
        let ticks = UInt32((Double(t.burst) / Double(t.rate.bytesPerSecond) * 1e9 / 64).rounded())
        let tcBurst = UInt64(Double(t.rate.bytesPerSecond) * Double(UInt32(Double(ticks) / 15.625)) / 1e6)
        XCTAssertEqual((o["burst"] as? NSNumber)?.uint64Value ?? 0, tcBurst, accuracy: 1, "burst", file: file, line: line)
        XCTAssertLessThanOrEqual(abs(Int(tcBurst) - Int(t.burst)), Int(t.rate.bytesPerSecond / 1_000_000) + 1, "burst", file: file, line: line)
        if case .bytes(let limit) = t.limit, let lat = (o["lat"] as? NSNumber)?.doubleValue {
            // tc: lat = 1e6 * limit / rate - tick2time(buffer).
            let expected = 1e6 * Double(limit) / Double(t.rate.bytesPerSecond) - Double(UInt32(Double(ticks) / 15.625))
            XCTAssertEqual(lat, expected, accuracy: 2, "lat", file: file, line: line)
        }
    }

    func testTokenBucketAddReplaceDeleteList() throws {
        // A fresh veth: the kernel's noqueue (handle 0), which VethKit calls the kernel default.
        let before = try XCTUnwrap(ns.root(dev))
        XCTAssertEqual(before.kind, "noqueue")
        XCTAssertTrue(before.isKernelDefault)
        XCTAssertFalse(before.isVethKit)

        let t = TokenBucket(rate: try Rate(parsing: "100mbit"), burst: 32 * 1024, limit: .latency(TCTime(microseconds: 50_000)))
        try h.addQdisc(.tbf(t), link: .named(dev))
        var q = try XCTUnwrap(ns.root(dev))
        XCTAssertTrue(q.isVethKit)
        XCTAssertEqual(q.handle, .vethkit)
        XCTAssertEqual(q.parent, .root)
        XCTAssertEqual(q.linkIndex, try h.index(of: .named(dev)))
        guard case .tbf(let got) = q.options else { return XCTFail("\(q.options)") }
        XCTAssertEqual(got.rate, t.rate)
        XCTAssertEqual(got.burst, t.burst)
        XCTAssertEqual(got.limitBytes, t.limitBytes)
        var j = try XCTUnwrap(tcQdiscs(in: ns.name, dev: dev).first)
        assertAgrees(q, j, after: try ns.root(dev))
        XCTAssertEqual((j["options"] as? [String: Any])?["lat"] as? Int, 50_000)

        // add again: EEXIST; replace: changed in place.
        XCTAssertThrowsError(try h.addQdisc(.tbf(t), link: .named(dev))) { XCTAssertEqual(ErrorCategory.of($0), .exists, "\($0)") }
        let fast = TokenBucket(rate: try Rate(parsing: "1gbit"), burst: 256 * 1024, limit: .bytes(3_000_000),
                               peakRate: try Rate(parsing: "2gbit"), mtu: 65536)
        try h.addQdisc(.tbf(fast), link: .named(dev), replace: true)
        q = try XCTUnwrap(ns.root(dev))
        guard case .tbf(let got2) = q.options else { return XCTFail() }
        XCTAssertEqual(got2.rate, fast.rate)
        XCTAssertEqual(got2.burst, fast.burst)
        XCTAssertEqual(got2.limit, .bytes(3_000_000))
        XCTAssertEqual(got2.peakRate, fast.peakRate)
        XCTAssertEqual(got2.mtu, 65536)
        j = try XCTUnwrap(tcQdiscs(in: ns.name, dev: dev).first)
        assertAgrees(q, j, after: try ns.root(dev))
        // tc prints the peak bucket through whole µs too: 65536 B at 250 MB/s is 262.144 µs → 262 µs → 65500 B.
        XCTAssertEqual((j["options"] as? [String: Any])?["minburst"] as? Int, 65500)

        // A rate past 32 bits of bytes/s goes as TCA_TBF_RATE64 and reads back.
        let huge = TokenBucket(rate: try Rate(parsing: "50gbit"), burst: 1 << 20, limit: .latency(TCTime(microseconds: 10_000)))
        try h.addQdisc(.tbf(huge), link: .named(dev), replace: true)
        q = try XCTUnwrap(ns.root(dev))
        guard case .tbf(let got3) = q.options else { return XCTFail() }
        XCTAssertEqual(got3.rate.bytesPerSecond, 6_250_000_000)
        XCTAssertEqual(try XCTUnwrap(tcQdiscs(in: ns.name, dev: dev).first?["options"] as? [String: Any])["rate"] as? Int, 6_250_000_000)

        // Listed with the other qdiscs of the namespace.
        let all = try h.qdiscs()
        XCTAssertEqual(all.filter { $0.isVethKit }.count, 1)
        XCTAssertEqual(Set(all.map(\.linkIndex)), Set(try tcQdiscs(in: ns.name).compactMap { d -> Int32? in
            guard let name = d["dev"] as? String else { return nil }
            return try? h.index(of: .named(name))
        }))

        try h.deleteQdisc(link: .named(dev))
        XCTAssertEqual(try ns.root(dev)?.kind, "noqueue")
        XCTAssertEqual(try tcQdiscs(in: ns.name, dev: dev).first?["kind"] as? String, "noqueue")
        XCTAssertThrowsError(try h.deleteQdisc(link: .named(dev)))
    }

    /// tc reads VethKit's tcArguments to the same qdisc VethKit makes (tbf here; netem in the VM).
    func testTcReadsTcArgumentsToTheSameQdisc() throws {
        for pairs in [[("rate", "100mbit")], [("rate", "10gbit")], [("rate", "1500kbit")]] {
            var i = LinkImpairment()
            for (k, v) in pairs { try i.set(k, v) }
            try h.impair(.named(dev), i)
            let args = try XCTUnwrap(i.qdiscOptions).tcArguments
            try tc(in: ns.name, ["qdisc", "replace", "dev", "vkb0", "root", "handle", "564b:"] + args)
            XCTAssertEqual(try XCTUnwrap(ns.root(dev)).options, try XCTUnwrap(ns.root("vkb0")).options, "\(args)")
        }
    }

    /// Real packets through the tbf: the counters move, and VethKit reads what tc reads.
    func testStatisticsMoveWithTraffic() throws {
        try requirePing()
        try ip("netns", "exec", ns.name.rawValue, "ip", "addr", "add", "10.77.0.1/24", "dev", "vka0")
        try ip("netns", "exec", ns.name.rawValue, "ip", "addr", "add", "10.77.0.2/24", "dev", "vkb0")
        let peer = try NamespaceName("vk-tcp-\(uniqueSuffix())")
        _ = try NetworkNamespace.create(peer)
        defer { try? NetworkNamespace.delete(peer) }
        try ip("netns", "exec", ns.name.rawValue, "ip", "link", "set", "vkb0", "netns", peer.rawValue)
        try ip("netns", "exec", peer.rawValue, "ip", "addr", "add", "10.77.0.2/24", "dev", "vkb0")
        try ip("netns", "exec", peer.rawValue, "ip", "link", "set", "vkb0", "up")
        var i = LinkImpairment()
        try i.set("rate", "10mbit")
        try h.impair(.named(dev), i)
        XCTAssertEqual(ping(from: ns.name.rawValue, "10.77.0.2", count: 5, wait: 2), .reply)
        let q = try XCTUnwrap(ns.root(dev))
        XCTAssertGreaterThanOrEqual(q.statistics.packets, 5, "\(q.statistics)")
        XCTAssertGreaterThanOrEqual(q.statistics.bytes, 5 * 98, "\(q.statistics)")
        assertAgrees(q, try XCTUnwrap(tcQdiscs(in: ns.name, dev: dev).first), after: try ns.root(dev))
    }

    /// A user's root qdisc (tc qdisc add … root handle 1: tbf …): impair and clear refuse with
    /// notOurs, naming it, and it is byte-identical afterwards per tc -j -d.
    func testUsersQdiscIsNeverTouched() throws {
        try tc(in: ns.name, ["qdisc", "add", "dev", dev, "root", "handle", "1:", "tbf", "rate", "5mbit", "burst", "10kb", "latency", "30ms"])
        let before = try tcQdiscText(in: ns.name, dev: dev)
        var i = LinkImpairment()
        try i.set("rate", "100mbit")
        XCTAssertThrowsError(try h.impair(.named(dev), i)) { e in
            XCTAssertEqual(ErrorCategory.of(e), .notOurs)
            XCTAssertTrue("\(e)".contains("tbf 1:"), "\(e)")
            XCTAssertTrue("\(e)".contains(dev), "\(e)")
        }
        XCTAssertThrowsError(try h.clearImpairment(.named(dev))) { XCTAssertEqual(ErrorCategory.of($0), .notOurs) }
        // The raw delete with VethKit's handle: the kernel itself refuses another handle.
        XCTAssertThrowsError(try h.deleteQdisc(link: .named(dev)))
        var batch = NetworkBatch()
        batch.impair(try .named("vkb0"), i)
        batch.impair(try .named(dev), i)
        XCTAssertThrowsError(try h.perform(batch)) { XCTAssertEqual(ErrorCategory.of($0), .notOurs) }
        XCTAssertEqual(try ns.root("vkb0")?.kind, "noqueue", "nothing of the batch was sent")
        XCTAssertEqual(try tcQdiscText(in: ns.name, dev: dev), before)
        let q = try XCTUnwrap(ns.root(dev))
        XCTAssertFalse(q.isVethKit)
        XCTAssertFalse(q.isKernelDefault)
        XCTAssertNil(LinkImpairment(qdisc: q).flatMap { _ in nil as Int? })
    }

    /// impair → impair again → clear: VethKit's own root is replaced in place, the link never
    /// goes down (no RTM_NEWLINK for it; the monitor sees a real down/up afterwards, so it works).
    func testReplacingOursDoesNotFlapTheLink() throws {
        let monitor = try EventMonitor(namespace: ns.namespace)
        let index = try h.index(of: .named(dev))
        func linkEvents(for seconds: Double) throws -> [Link] {
            var out: [Link] = []
            let deadline = monotonicSeconds() + seconds
            while monotonicSeconds() < deadline, let events = try monitor.next(timeout: deadline - monotonicSeconds()) {
                for case .newLink(let l) in events where l.index == index { out.append(l) }
            }
            return out
        }
        _ = try linkEvents(for: 0.3)  // whatever the setup announced
        for r in ["10mbit", "20mbit", "1gbit", "10gbit"] {
            var i = LinkImpairment()
            try i.set("rate", r)
            try h.impair(.named(dev), i)
            let q = try XCTUnwrap(ns.root(dev))
            XCTAssertTrue(q.isVethKit)
            XCTAssertEqual(LinkImpairment(qdisc: q)?.rate, try Rate(parsing: r))
            XCTAssertTrue(i.matches(try XCTUnwrap(LinkImpairment(qdisc: q))))
        }
        try h.clearImpairment(.named(dev))
        try h.clearImpairment(.named(dev))  // nothing left: a no-op
        XCTAssertEqual(try linkEvents(for: 0.3).count, 0, "the link was not taken down or changed")
        let link = try h.link(named: InterfaceName(dev))
        XCTAssertTrue(link.isUp && link.flags.contains(.running))
        try h.setLink(.named(dev), LinkChange(up: false))
        try h.setLink(.named(dev), LinkChange(up: true))
        XCTAssertGreaterThan(try linkEvents(for: 0.5).count, 0, "the monitor sees a real down/up")
    }

    /// clearImpairment removes VethKit's root only; none or the kernel's default is a no-op.
    func testClearRemovesOnlyOurs() throws {
        try tc(in: ns.name, ["qdisc", "add", "dev", "vkb0", "root", "handle", "2:", "tbf", "rate", "1mbit", "burst", "10kb", "latency", "50ms"])
        var i = LinkImpairment()
        try i.set("rate", "50mbit")
        try h.impair(.named(dev), i)
        try h.clearImpairment(.named(dev))
        XCTAssertEqual(try ns.root(dev)?.kind, "noqueue")
        XCTAssertThrowsError(try h.clearImpairment(.named("vkb0")))
        XCTAssertEqual(try ns.root("vkb0")?.handle.description, "2:")
        try h.clearImpairment(.named(dev))
        try h.impair(.named(dev), LinkImpairment())   // empty: clears, here nothing
        XCTAssertThrowsError(try h.clearImpairment(.named("nosuch0"))) { XCTAssertEqual(ErrorCategory.of($0), .notFound) }
        XCTAssertThrowsError(try h.impair(.named("nosuch0"), i)) { XCTAssertEqual(ErrorCategory.of($0), .notFound) }
        XCTAssertThrowsError(try h.qdiscs(link: .named("nosuch0"))) { XCTAssertEqual(ErrorCategory.of($0), .notFound) }
        XCTAssertThrowsError(try h.impair(.index(99_999), i)) { XCTAssertEqual(ErrorCategory.of($0), .notFound, "\($0)") }
        var batch = NetworkBatch()
        batch.impair(try .named(dev), i)
        batch.impair(try .named("nosuch0"), i)
        XCTAssertThrowsError(try h.perform(batch)) { XCTAssertEqual(ErrorCategory.of($0), .notFound) }
        XCTAssertEqual(try ns.root(dev)?.kind, "noqueue", "nothing of a batch naming a missing link is sent")
    }

    /// Where the kernel has no sch_netem: the one clear message, before anything changes.
    func testNetemImpairmentFailsClearlyWithoutNetem() throws {
        try XCTSkipIf(TrafficControl.isAvailable(qdisc: "netem"), "this kernel has netem (NetemKernelTests cover it)")
        var ours = LinkImpairment()
        try ours.set("rate", "10mbit")
        try h.impair(.named(dev), ours)
        let before = try tcQdiscText(in: ns.name, dev: dev)
        var i = LinkImpairment()
        try i.set("delay", "20ms")
        try i.set("loss", "1%")
        XCTAssertThrowsError(try h.impair(.named(dev), i)) { e in
            XCTAssertEqual(ErrorCategory.of(e), .unsupported)
            XCTAssertTrue("\(e)".hasPrefix("this kernel has no sch_netem (delay, loss… need it; rate alone works with tbf)"), "\(e)")
        }
        var batch = NetworkBatch()
        batch.impair(try .named("vkb0"), ours)
        batch.impair(try .named(dev), i)
        XCTAssertThrowsError(try h.perform(batch)) { XCTAssertEqual(ErrorCategory.of($0), .unsupported) }
        XCTAssertEqual(try tcQdiscText(in: ns.name, dev: dev), before)
        XCTAssertEqual(try ns.root("vkb0")?.kind, "noqueue")
        XCTAssertThrowsError(try h.addQdisc(.netem(i.netem), link: .named("vkb0"))) { e in
            XCTAssertEqual((e as? KernelError)?.errno, .noSuchFileOrDirectory, "\(e)")
        }
    }

    /// The availability question: right for what this kernel has and lacks, and it attaches
    /// nothing anywhere.
    func testAvailabilityProbe() throws {
        let before = try tc(in: ns.name, ["-j", "qdisc", "show"]).stdout
        XCTAssertTrue(try h.namespace.run { TrafficControl.isAvailable(qdisc: "tbf") })
        for kind in ["htb", "pfifo", "bfifo", "ingress", "clsact"] {
            XCTAssertTrue(try h.namespace.run { TrafficControl.isAvailable(qdisc: kind) }, kind)
        }
        for kind in ["nosuchqdisc", "", "tbf\u{0}", String(repeating: "x", count: 100), "../tbf"] {
            XCTAssertFalse(try h.namespace.run { TrafficControl.isAvailable(qdisc: kind) }, kind)
        }
        let netem = try h.namespace.run { TrafficControl.isAvailable(qdisc: "netem") }
        XCTAssertEqual(netem, try KernelFeatures.qdisc("netem") == .present)
        XCTAssertEqual(try tc(in: ns.name, ["-j", "qdisc", "show"]).stdout, before, "the probes attached nothing")
        XCTAssertEqual(try tc(in: ns.name, ["-j", "qdisc", "show", "dev", "lo", "ingress"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[]")
        // A user's clsact (and a root) on lo: the answers stay right and both stay as they were.
        let other = try TrafficControlNamespace(prefix: "tcq", pairs: 0)
        defer { other.delete() }
        try tc(in: other.name, ["qdisc", "add", "dev", "lo", "clsact"])
        try tc(in: other.name, ["qdisc", "add", "dev", "lo", "root", "handle", "7:", "tbf", "rate", "1mbit", "burst", "10kb", "latency", "5ms"])
        let users = try tcQdiscText(in: other.name, dev: "lo")
        for (kind, present) in [("tbf", true), ("clsact", true), ("ingress", true), ("htb", true), ("nosuchqdisc", false), ("netem", netem)] {
            XCTAssertEqual(try other.namespace.run { TrafficControl.probe(kind, on: try NetlinkSocket(), remembered: false) }, present, kind)
        }
        XCTAssertEqual(try tcQdiscText(in: other.name, dev: "lo"), users)
    }

    /// The same link twice in one batch: the second is planned against the first (here: a
    /// change in place of VethKit's new tbf), and the last one wins.
    func testSameLinkTwiceInOneBatch() throws {
        var slow = LinkImpairment(), fast = LinkImpairment()
        try slow.set("rate", "1mbit")
        try fast.set("rate", "2mbit")
        var batch = NetworkBatch()
        batch.impair(try .named(dev), slow)
        batch.impair(try .named(dev), fast)
        batch.impair(try .named("vkb0"), slow)
        batch.impair(try .named("vkb0"), LinkImpairment())
        for r in try h.perform(batch) { try r.get() }
        XCTAssertEqual(LinkImpairment(qdisc: try XCTUnwrap(ns.root(dev)))?.rate, try Rate(parsing: "2mbit"))
        XCTAssertEqual(try ns.root("vkb0")?.kind, "noqueue")
    }

    /// 1000 veths impaired in one batch (a few sendmsg calls), checked from one dump and by tc;
    /// then changed, then cleared, in one batch each.
    func testBatchOfAThousandTokenBucketImpairments() throws {
        let big = try TrafficControlNamespace(prefix: "tcb", pairs: 500)
        defer { big.delete() }
        let names = (0..<500).flatMap { ["vka\($0)", "vkb\($0)"] }
        for (step, rate) in ["10mbit", "20mbit", ""].enumerated() {
            var i = LinkImpairment()
            if !rate.isEmpty { try i.set("rate", rate) }
            var batch = NetworkBatch()
            for n in names { batch.impair(try .named(n), i) }
            let start = monotonicSeconds()
            let results = try big.handle.perform(batch)
            let took = monotonicSeconds() - start
            print("TrafficControlKernelTests: 1000 impairments (\(rate.isEmpty ? "clear" : rate)) in \(took) s")
            XCTAssertEqual(results.count, 1000)
            for r in results { try r.get() }
            let ours = try big.handle.qdiscs().filter { $0.isRoot && $0.isVethKit }
            let tcOurs = try tcQdiscs(in: big.name).filter { $0["handle"] as? String == "564b:" }
            if rate.isEmpty {
                XCTAssertEqual(ours.count, 0, "step \(step)")
                XCTAssertEqual(tcOurs.count, 0)
            } else {
                XCTAssertEqual(ours.count, 1000, "step \(step)")
                XCTAssertEqual(tcOurs.count, 1000)
                let want = try Rate(parsing: rate).bytesPerSecond
                XCTAssertTrue(ours.allSatisfy { if case .tbf(let t) = $0.options { t.rate.bytesPerSecond == want } else { false } })
                XCTAssertTrue(tcOurs.allSatisfy { ($0["options"] as? [String: Any])?["rate"] as? UInt64 == want })
            }
        }
    }
}
