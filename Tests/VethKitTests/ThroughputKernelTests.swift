import Foundation
@testable import VethKit
import VethKitTestSupport
import XCTest

/// Throughput between two namespaces on one veth (made with `ip`, the independent side), on the
/// real kernel: every byte the receivers count was sent, intervals add up to the totals, TCP
/// retransmits agree with the namespace's own counter, a UDP bit rate is met, loss under a rate
/// cap is real loss (tc counts the drops), and a target nobody receives on is one clear error
/// with no thread or descriptor left behind. Durations are 1–1.5 s.
final class ThroughputKernelTests: XCTestCase {
    /// Namespaces a<s> (10.203.0.1/24, fd03::1/64, veth ta<s>) and b<s> (10.203.0.2/24, fd03::2/64, tb<s>).
    struct Pair {
        let s = uniqueSuffix()
        var a: String { "tpa\(s)" }
        var b: String { "tpb\(s)" }
        var aEnd: String { "ta\(s)" }
        var bEnd: String { "tb\(s)" }
    }

    func makePair() throws -> (Pair, NetworkNamespace, NetworkNamespace) {
        try requireKernel()
        let p = Pair()
        addTeardownBlock {
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", p.a])
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", p.b])
        }
        try ip("netns", "add", p.a)
        try ip("netns", "add", p.b)
        try ip("link", "add", p.aEnd, "netns", p.a, "type", "veth", "peer", "name", p.bEnd, "netns", p.b)
        for (ns, dev, v4, v6) in [(p.a, p.aEnd, "10.203.0.1/24", "fd03::1/64"), (p.b, p.bEnd, "10.203.0.2/24", "fd03::2/64")] {
            try ip("-n", ns, "addr", "add", v4, "dev", dev)
            try ip("-n", ns, "addr", "add", v6, "dev", dev, "nodad")
            try ip("-n", ns, "link", "set", dev, "up")
            try ip("-n", ns, "link", "set", "lo", "up")
        }
        return (p, try NetworkNamespace.open(NamespaceName(p.a)), try NetworkNamespace.open(NamespaceName(p.b)))
    }

    /// A counter of /proc/net/snmp (`Tcp` `RetransSegs`, `Udp` `InDatagrams`…) inside namespace `ns`.
    func snmp(_ ns: String, _ group: String, _ field: String) throws -> UInt64 {
        let text = try runProcess("/usr/sbin/ip", ["netns", "exec", ns, "cat", "/proc/net/snmp"]).stdout
        let lines = text.split(separator: "\n").filter { $0.hasPrefix(group + ":") }
        guard lines.count == 2 else { XCTFail("no \(group) in /proc/net/snmp: \(text)"); return 0 }
        let names = lines[0].split(separator: " "), values = lines[1].split(separator: " ")
        guard let i = names.firstIndex(of: Substring(field)), let v = UInt64(values[i]) else { XCTFail("no \(group) \(field)"); return 0 }
        return v
    }

    /// The link's counters as `ip -s -j` reads them.
    func ipStats(_ ns: String, _ dev: String) throws -> (rxBytes: UInt64, rxPackets: UInt64) {
        let l = try parseJSONArray(try runProcess("/usr/sbin/ip", ["-n", ns, "-s", "-j", "link", "show", dev]).stdout)
        let rx = try XCTUnwrap((l.first?["stats64"] as? [String: Any])?["rx"] as? [String: Any])
        return (try XCTUnwrap((rx["bytes"] as? NSNumber)?.uint64Value), try XCTUnwrap((rx["packets"] as? NSNumber)?.uint64Value))
    }

    func assertIntervalsAddUp(_ r: Throughput.Report, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.intervals.isEmpty, file: file, line: line)
        XCTAssertEqual(r.intervals.first?.start, 0, file: file, line: line)
        for (x, y) in zip(r.intervals, r.intervals.dropFirst()) { XCTAssertEqual(x.end, y.start, "intervals are contiguous", file: file, line: line) }
        XCTAssertEqual(r.intervals.last?.end ?? -1, r.received.end, accuracy: 1e-9, "the last interval ends with the receivers", file: file, line: line)
        XCTAssertEqual(r.intervals.reduce(0) { $0 + $1.bytesReceived }, r.received.bytes, "intervals sum to the received total", file: file, line: line)
        XCTAssertEqual(r.intervals.reduce(0) { $0 + $1.bytesSent }, r.sent.bytes, "intervals sum to the sent total", file: file, line: line)
    }

    func testTCPCountsEveryByteAndIntervalsAddUp() throws {
        let (p, a, b) = try makePair()
        let before = try ipStats(p.b, p.bEnd)
        let retransBefore = try snmp(p.a, "Tcp", "RetransSegs")
        let home = currentNamespaceInode()
        var live: [Throughput.Interval] = []
        let r = try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "10.203.0.2"),
                                       options: .init(duration: 1.5, streams: 2, interval: 0.5)) { live.append($0) }
        XCTAssertEqual(currentNamespaceInode(), home, "the calling thread never changes namespace")
        XCTAssertEqual(r.streams.count, 2)
        XCTAssertEqual(r.errors, [])
        XCTAssertGreaterThan(r.received.bytes, 10_000_000, "a veth moves far more than 10 MB in 1.5 s")
        XCTAssertEqual(r.received.bytes, r.sent.bytes, "every byte sent was received and counted")
        for s in r.streams { XCTAssertEqual(s.received.bytes, s.sent.bytes); XCTAssertGreaterThan(s.sent.bytes, 0) }
        XCTAssertEqual(r.sent.end, 1.5, accuracy: 0.05, "the senders stop at the duration")
        XCTAssertGreaterThanOrEqual(r.received.end, r.sent.end - 0.01)
        XCTAssertLessThan(r.received.end, 2.0)
        assertIntervalsAddUp(r)
        XCTAssertEqual(r.intervals.count, 3, "\(r.intervals)")
        XCTAssertGreaterThanOrEqual(live.count, 2, "intervals are reported while the test runs")
        // The kernel's own counters: the receiving veth saw at least the payload, plus headers
        // (a few %, GRO merges segments so packets are few).
        let after = try ipStats(p.b, p.bEnd)
        let wire = after.rxBytes - before.rxBytes
        XCTAssertGreaterThanOrEqual(wire, r.received.bytes)
        XCTAssertLessThan(Double(wire), Double(r.received.bytes) * 1.1 + 100_000)
        // Retransmits are TCP_INFO's: the namespace's own count of retransmitted segments (only
        // this test's sockets live in it) agrees.
        let tcp = try XCTUnwrap(r.tcp)
        XCTAssertEqual(tcp.retransmits, try snmp(p.a, "Tcp", "RetransSegs") - retransBefore)
        XCTAssertEqual(r.intervals.reduce(0) { $0 + ($1.retransmits ?? 0) }, tcp.retransmits)
        XCTAssertGreaterThan(tcp.maxRTT, 0)
        XCTAssertGreaterThan(tcp.maxCongestionWindow, 0)
        XCTAssertEqual(r.received.bitsPerSecond, Double(r.received.bytes) * 8 / r.received.end, accuracy: 1)
    }

    /// Over a tbf with a short queue, TCP loses segments and retransmits them: TCP_INFO's count is
    /// not zero and equals the namespace's RetransSegs; the goodput stays under the cap.
    func testRetransmitsUnderARateCapAreRead() throws {
        let (p, a, b) = try makePair()
        try ip("-n", p.a, "link", "set", p.aEnd, "txqueuelen", "10")
        try runProcess("/usr/sbin/tc", ["-n", p.a, "qdisc", "add", "dev", p.aEnd, "root", "tbf", "rate", "50mbit", "burst", "16kb", "limit", "20kb"])
        let retransBefore = try snmp(p.a, "Tcp", "RetransSegs")
        let r = try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "10.203.0.2"), options: .init(duration: 1.5, streams: 2))
        let tcp = try XCTUnwrap(r.tcp)
        let tc = try runProcess("/usr/sbin/tc", ["-n", p.a, "-s", "-j", "qdisc", "show", "dev", p.aEnd]).stdout
        let drops = try XCTUnwrap(parseJSONArray(tc).first?["drops"] as? Int)
        XCTAssertGreaterThan(drops, 0, "tbf dropped: \(tc)")
        XCTAssertGreaterThan(tcp.retransmits, 0, "drops mean retransmits")
        XCTAssertEqual(tcp.retransmits, try snmp(p.a, "Tcp", "RetransSegs") - retransBefore)
        XCTAssertEqual(r.received.bytes, r.sent.bytes)
        // Losses cost some goodput: below the cap, but most of it.
        XCTAssertLessThan(r.received.bitsPerSecond, 50e6)
        XCTAssertGreaterThan(r.received.bitsPerSecond, 30e6)
    }

    func testTCPOverIPv6() throws {
        let (_, a, b) = try makePair()
        let r = try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "fd03::2"), options: .init(duration: 1))
        XCTAssertEqual(r.received.bytes, r.sent.bytes)
        XCTAssertGreaterThan(r.received.bytes, 10_000_000)
        assertIntervalsAddUp(r)
    }

    func testUDPBitrateIsMetAndEveryDatagramAccounted() throws {
        let (p, a, b) = try makePair()
        let inBefore = try snmp(p.b, "Udp", "InDatagrams")
        let r = try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "10.203.0.2"),
                                       options: .init(duration: 1.5, interval: 0.5, transport: .udp(bitsPerSecond: 50_000_000)))
        let u = try XCTUnwrap(r.udp)
        XCTAssertEqual(r.errors, [])
        XCTAssertEqual(r.sent.bitsPerSecond, 50e6, accuracy: 1.5e6, "the sender keeps to 50 Mbit/s")
        XCTAssertEqual(u.packetsSent, r.sent.bytes / 1448)
        XCTAssertEqual(Double(u.packetsSent), 50e6 * 1.5 / (1448 * 8), accuracy: 200)
        XCTAssertEqual(u.packetsReceived + u.lost, u.packetsSent)
        XCTAssertLessThan(u.lostPercent, 1, "an unimpaired veth loses (almost) nothing at 50 Mbit/s")
        XCTAssertEqual(u.duplicates, 0)
        XCTAssertGreaterThanOrEqual(u.jitter, 0)
        XCTAssertLessThan(u.jitter, 0.01)
        XCTAssertEqual(r.received.bytes, u.packetsReceived * 1448)
        // The namespace's UDP counter saw every datagram the receiver counted.
        XCTAssertGreaterThanOrEqual(try snmp(p.b, "Udp", "InDatagrams") - inBefore, u.packetsReceived)
        assertIntervalsAddUp(r)
        XCTAssertEqual(r.intervals.reduce(0) { $0 + ($1.packetsReceived ?? 0) }, u.packetsReceived)
        XCTAssertEqual(r.intervals.reduce(0) { $0 + ($1.packetsSent ?? 0) }, u.packetsSent)
    }

    /// 40 Mbit/s offered into a 10 Mbit/s cap: three quarters lost, and the loss is tbf's drops.
    func testUDPLossUnderLoadIsTheQdiscsDrops() throws {
        let (p, a, b) = try makePair()
        try runProcess("/usr/sbin/tc", ["-n", p.a, "qdisc", "add", "dev", p.aEnd, "root", "tbf", "rate", "10mbit", "burst", "16kb", "latency", "20ms"])
        let r = try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "10.203.0.2"),
                                       options: .init(duration: 1, transport: .udp(bitsPerSecond: 40_000_000)))
        let u = try XCTUnwrap(r.udp)
        let tc = try parseJSONArray(try runProcess("/usr/sbin/tc", ["-n", p.a, "-s", "-j", "qdisc", "show", "dev", p.aEnd]).stdout)
        let drops = try XCTUnwrap((tc.first?["drops"] as? NSNumber)?.uint64Value)
        XCTAssertEqual(u.lostPercent, 75, accuracy: 10, "\(u)")
        XCTAssertEqual(u.lost, drops, "every datagram lost was dropped by tbf")
        XCTAssertEqual(r.received.bitsPerSecond, 9.5e6, accuracy: 1e6)
    }

    func testSequenceCountingOfReorderingAndDuplicates() throws {
        // Through the public report only: a real stream over netem would be the natural check
        // (VM), here the counters' invariants on a clean path plus IPv6.
        let (_, a, b) = try makePair()
        let r = try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "fd03::2"),
                                       options: .init(duration: 1, streams: 2, transport: .udp(bitsPerSecond: 20_000_000, datagramSize: 1200)))
        let u = try XCTUnwrap(r.udp)
        XCTAssertEqual(r.streams.count, 2)
        XCTAssertEqual(r.sent.bitsPerSecond, 40e6, accuracy: 1.2e6, "the bit rate is per stream, as iperf3's -b")
        XCTAssertEqual(u.packetsReceived + u.lost, u.packetsSent)
        XCTAssertEqual(r.received.bytes, u.packetsReceived * 1200)
    }

    /// Descriptors and threads of this process.
    func openFileCount() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1 }
    func threadCount() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1 }

    func testAbsentReceiverIsOneClearErrorAndLeavesNothing() throws {
        let (p, a, b) = try makePair()
        // A gateway nobody answers for: the connection can never be made.
        try ip("-n", p.a, "route", "add", "10.99.0.0/24", "via", "10.203.0.77")
        try ip("-n", p.b, "addr", "add", "10.99.0.2/24", "dev", "lo")
        let fds = openFileCount(), threads = threadCount()
        // An address that is not the receiving namespace's.
        for transport in [Throughput.Transport.tcp, .udp(bitsPerSecond: 1_000_000)] {
            XCTAssertThrowsError(try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "10.203.0.9"),
                                                        options: .init(duration: 1, streams: 3, transport: transport))) { e in
                XCTAssertTrue(e is NotFound, "\(type(of: e)): \(e)")
                XCTAssertEqual("\(e)", "no address \"10.203.0.9\" in namespace \(p.b)")
            }
        }
        // No route from the sender at all.
        XCTAssertThrowsError(try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "fd03:99::2"), options: .init(duration: 1))) { e in
            XCTAssertTrue("\(e)".contains("not an address") || "\(e)".contains("no address"), "\(e)")
        }
        try ip("-n", p.b, "addr", "add", "fd09::2/64", "dev", "lo", "nodad")
        XCTAssertThrowsError(try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "fd09::2"), options: .init(duration: 1, streams: 2))) { e in
            XCTAssertEqual("\(e)", "connect to fd09::2 port \(self.portIn(e)): Network is unreachable (ENETUNREACH)")
        }
        // A route whose gateway never answers: no answer within the connect time limit.
        var o = Throughput.Options(duration: 1, streams: 4)
        o.connectTimeout = 0.5
        let t0 = monotonicSeconds()
        XCTAssertThrowsError(try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "10.99.0.2"), options: o)) { e in
            XCTAssertTrue(e is ConnectTimedOut, "\(type(of: e)): \(e)")
            XCTAssertTrue("\(e)".hasPrefix("connect to 10.99.0.2 port "), "\(e)")
            XCTAssertTrue("\(e)".hasSuffix(": no answer in 0.5 s"), "\(e)")
        }
        XCTAssertLessThan(monotonicSeconds() - t0, 1.5)
        XCTAssertEqual(openFileCount(), fds, "no descriptor left open")
        XCTAssertEqual(threadCount(), threads, "no thread left running")
        // And a good run after all that leaves nothing either.
        _ = try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "10.203.0.2"), options: .init(duration: 0.3, streams: 3))
        XCTAssertEqual(openFileCount(), fds)
        XCTAssertEqual(threadCount(), threads)
    }

    func portIn(_ e: Error) -> String {
        let s = "\(e)"
        guard let r = s.range(of: "port ") else { return "?" }
        return String(s[r.upperBound...].prefix { $0.isNumber })
    }

    /// Needs no kernel: the receiver's bookkeeping of sequence numbers.
    func testSequenceCountsReorderingDuplicatesAndGaps() {
        var s = ThroughputSequence()
        let fresh = [1, 2, 4, 3, 3, 5, 9, 0, 2].map { s.record(UInt64($0)) }
        XCTAssertEqual(fresh, [true, true, true, true, false, true, true, false, false])
        XCTAssertEqual(s.received, 6, "1 2 4 3 5 9")
        XCTAssertEqual(s.outOfOrder, 1, "3 after 4")
        XCTAssertEqual(s.duplicates, 2, "3 and 2 again")
        XCTAssertEqual(s.highest, 9)
        // Past the window: the old numbers are forgotten, a late one counts as reordered.
        XCTAssertTrue(s.record(100_000))
        XCTAssertTrue(s.record(99_999))
        XCTAssertFalse(s.record(99_999))
        XCTAssertTrue(s.record(7))
        XCTAssertEqual(s.received, 9)
        XCTAssertEqual(s.outOfOrder, 3)
        XCTAssertEqual(s.duplicates, 3)
        let u = Throughput.UDPStatistics(packetsSent: 10, packetsReceived: s.received, outOfOrder: s.outOfOrder, duplicates: s.duplicates, jitter: 0)
        XCTAssertEqual(u.lost, 1)
        XCTAssertEqual(u.lostPercent, 10)
    }

    /// Needs no kernel: a short tail joins the last interval; a long one stands alone.
    func testIntervalTailsJoinOrStand() {
        var r = ThroughputIntervals(length: 1, udp: false)
        r.add(.init(time: 1.0, sent: 100, received: 90, retransmits: 2))
        r.add(.init(time: 2.0, sent: 200, received: 180, retransmits: 3))
        XCTAssertNil(r.finish(.init(time: 2.1, sent: 200, received: 200, retransmits: 4)))
        XCTAssertEqual(r.intervals.map(\.end), [1.0, 2.1])
        XCTAssertEqual(r.intervals.map(\.bytesReceived), [90, 110])
        XCTAssertEqual(r.intervals.map(\.bytesSent), [100, 100])
        XCTAssertEqual(r.intervals.map(\.retransmits), [2, 2])
        var long = ThroughputIntervals(length: 1, udp: true)
        long.add(.init(time: 1.0, sent: 100, received: 90, packetsSent: 10, packetsReceived: 9))
        XCTAssertNotNil(long.finish(.init(time: 1.6, sent: 150, received: 150, packetsSent: 15, packetsReceived: 15)))
        XCTAssertEqual(long.intervals.map(\.bytesReceived), [90, 60])
        XCTAssertEqual(long.intervals.map(\.packetsReceived), [9, 6])
        XCTAssertEqual(long.intervals.map(\.retransmits), [nil, nil])
    }

    /// Needs no kernel: refused before any socket.
    func testOptionsOutOfRangeAreRefusedNamingThem() throws {
        let here: NetworkNamespace? = nil
        let target = try IPAddress(parsing: "127.0.0.1")
        func refused(_ o: Throughput.Options, _ words: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try Throughput.measure(from: here, to: here, target: target, options: o)) { e in
                XCTAssertTrue(e is InvalidInput, "\(type(of: e)): \(e)", file: file, line: line)
                XCTAssertTrue("\(e)".hasPrefix(words), "\(e)", file: file, line: line)
            }
        }
        refused(.init(duration: 0), "invalid duration \"0.0\"")
        refused(.init(duration: -1), "invalid duration \"-1.0\"")
        refused(.init(duration: .infinity), "invalid duration \"inf\"")
        refused(.init(duration: .nan), "invalid duration \"nan\"")
        refused(.init(duration: 86_401), "invalid duration \"86401.0\"")
        refused(.init(streams: 0), "invalid stream count \"0\"")
        refused(.init(streams: 100_000), "invalid stream count \"100000\"")
        refused(.init(interval: 0.01), "invalid interval \"0.01\"")
        refused(.init(transport: .udp(bitsPerSecond: 0)), "invalid bitrate \"0\"")
        refused(.init(transport: .udp(bitsPerSecond: 1_000_000, datagramSize: 8)), "invalid datagram size \"8\"")
        refused(.init(transport: .udp(bitsPerSecond: 1_000_000, datagramSize: 70_000)), "invalid datagram size \"70000\"")
        var o = Throughput.Options()
        o.writeSize = 0
        refused(o, "invalid write size \"0\"")
    }
}
