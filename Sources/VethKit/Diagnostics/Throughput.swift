import CLinuxUAPI
import Glibc
import Synchronization

/// In-process throughput tests between network namespaces, as iperf3 measures them: senders in
/// one namespace, receivers in another, blocking sockets on dedicated pthreads (each socket
/// opened inside its namespace; no thread changes namespace to move data), goodput counted by the
/// receivers, per-interval reports, TCP retransmits from TCP_INFO, and for UDP a paced sender
/// with loss, reordering and jitter counted from sequence numbers.
///
/// ```swift
/// let a = try NetworkNamespace.open(NamespaceName("a")), b = try NetworkNamespace.open(NamespaceName("b"))
/// let r = try Throughput.measure(from: a, to: b, target: IPAddress(parsing: "10.0.0.2"),
///                                options: .init(duration: 2))
/// print(r.received.bitsPerSecond)   // goodput, receiver side
/// ```
public enum Throughput {
    /// TCP (as fast as the path goes) or UDP paced at a bit rate.
    public enum Transport: Sendable, Hashable {
        case tcp
        /// `bitsPerSecond` of UDP payload per stream (iperf3's `-b`), in datagrams of
        /// `datagramSize` payload bytes (iperf3's default for a 1500-byte MTU: 1448).
        case udp(bitsPerSecond: UInt64, datagramSize: Int = 1448)

        public var isUDP: Bool { if case .udp = self { return true } else { return false } }
    }

    /// How to run a test. Limits as iperf3's where it has them.
    public struct Options: Sendable, Hashable {
        /// Seconds the senders send (0 < duration ≤ 86 400).
        public var duration: Double
        /// Parallel streams, each its own connection (1…128).
        public var streams: Int
        /// Seconds per interval report (0.1…60).
        public var interval: Double
        public var transport: Transport
        /// Bytes per send and per receive call for TCP (iperf3: 128 KiB).
        public var writeSize: Int = 128 * 1024
        /// Seconds to wait for the connections (TCP).
        public var connectTimeout: Double = 3
        /// The receivers' port; 0 takes a free one.
        public var port: UInt16 = 0
        /// The senders' source address (an address of the sending namespace); nil lets routing choose.
        public var source: IPAddress?
        /// After the senders' end, a receiver that gets nothing for this long stops waiting.
        public var stallLimit: Double = 3

        public init(duration: Double = 10, streams: Int = 1, interval: Double = 1, transport: Transport = .tcp) {
            self.duration = duration
            self.streams = streams
            self.interval = interval
            self.transport = transport
        }

        public static let durationLimit: Double = 86_400
        public static let streamLimit = 128

        /// Throws ``InvalidInput`` naming the first option out of range.
        public func validate() throws {
            guard duration.isFinite, duration > 0, duration <= Self.durationLimit else {
                throw InvalidInput("duration", "\(duration)", "expected seconds, more than 0 and at most \(Int(Self.durationLimit))")
            }
            guard (1...Self.streamLimit).contains(streams) else {
                throw InvalidInput("stream count", "\(streams)", "expected 1 to \(Self.streamLimit)")
            }
            guard interval.isFinite, interval >= 0.1, interval <= 60 else {
                throw InvalidInput("interval", "\(interval)", "expected seconds from 0.1 to 60")
            }
            guard (1...(16 << 20)).contains(writeSize) else {
                throw InvalidInput("write size", "\(writeSize)", "expected 1 byte to 16 MiB")
            }
            guard connectTimeout.isFinite, connectTimeout > 0, stallLimit.isFinite, stallLimit > 0 else {
                throw InvalidInput("time limit", "\(connectTimeout)/\(stallLimit)", "expected seconds more than 0")
            }
            if case .udp(let rate, let size) = transport {
                guard rate > 0, rate <= 1_000_000_000_000 else {
                    throw InvalidInput("bitrate", "\(rate)", "expected more than 0 and at most 1 Tbit/s")
                }
                guard (ThroughputUDPStream.headerSize...65_507).contains(size) else {
                    throw InvalidInput("datagram size", "\(size)", "expected \(ThroughputUDPStream.headerSize) to 65507 bytes")
                }
            }
        }
    }

    /// Measures from namespace `source` to `target`, an address of namespace `destination` (nil:
    /// the calling thread's namespace, for either). The receivers listen on `target` itself, so an
    /// address that is not `destination`'s is refused (``NotFound``) before anything is sent.
    /// `onInterval` is called on the calling thread at each interval's end while the test runs.
    /// Returns when every stream has ended; every socket and thread it made is gone by then,
    /// whatever happened.
    public static func measure(from source: NetworkNamespace?, to destination: NetworkNamespace?, target: IPAddress,
                               options: Options = Options(), onInterval: ((Interval) -> Void)? = nil) throws -> Report {
        try options.validate()
        if target.isIPv6LinkLocal {
            throw InvalidInput("target address", target.description, "IPv6 link-local addresses are not supported (no interface to scope them to)")
        }
        if let s = options.source, s.isIPv4 != target.isIPv4 {
            throw InvalidInput("source address", s.description, "not of the target \(target)'s family")
        }
        let streams: [any ThroughputStream]
        switch options.transport {
        case .tcp:
            streams = try ThroughputTCPStream.open(options.streams, from: source, to: destination, target: target,
                                                   port: options.port, sourceAddress: options.source, timeout: options.connectTimeout)
        case .udp:
            streams = try ThroughputUDPStream.open(options.streams, from: source, to: destination, target: target, port: options.port,
                                                   sourceAddress: options.source)
        }
        defer { for s in streams { ThroughputSockets.closeAll(s.fileDescriptors) } }
        return try run(streams, options: options, onInterval: onInterval)
    }

    /// Starts the receivers, then the senders, samples the counters at each interval's end until
    /// every stream has ended, joins the threads and reports.
    static func run(_ streams: [any ThroughputStream], options: Options, onInterval: ((Interval) -> Void)?) throws -> Report {
        let control = ThroughputControl()
        let threads = ThroughputThreads()
        let start = monotonicSeconds()
        do {
            for s in streams { try threads.start { s.runReceiver(start: start, duration: options.duration, options: options, control: control) } }
            for s in streams { try threads.start { s.runSender(start: start, duration: options.duration, options: options, control: control) } }
        } catch {
            control.abort()
            threads.joinAll()
            throw error
        }
        var recorder = ThroughputIntervals(length: options.interval, udp: options.transport.isUDP)
        func sample(at time: Double) -> ThroughputIntervals.Sample {
            var s = ThroughputIntervals.Sample(time: time)
            for st in streams {
                st.sample()
                s.sent += st.counters.sent.load(ordering: .relaxed)
                s.received += st.counters.received.load(ordering: .relaxed)
                s.packetsSent += st.counters.packetsSent.load(ordering: .relaxed)
                s.packetsReceived += st.counters.packetsReceived.load(ordering: .relaxed)
                s.retransmits += st.retransmitCount
            }
            return s
        }
        var next = 1
        while !streams.allSatisfy({ $0.counters.receiverDone.load(ordering: .acquiring) && $0.counters.senderDone.load(ordering: .acquiring) }) {
            let boundary = start + Double(next) * options.interval
            let now = monotonicSeconds()
            if now >= boundary {
                let i = recorder.add(sample(at: now - start))
                onInterval?(i)
                next += 1
            } else {
                usleep(UInt32(max(1_000, min(20_000, (boundary - now) * 1_000_000))))
            }
        }
        threads.joinAll()
        let reports = streams.map { $0.report() }
        let end = reports.map(\.received.end).max() ?? 0
        // The counters are final now: the last sample, at the receivers' end (or at the last
        // interval's, when that was sampled a moment after the last byte).
        var last = sample(at: 0)
        last.time = max(end, recorder.intervals.last?.end ?? 0)
        if let tail = recorder.finish(last) { onInterval?(tail) }
        return Report(streams: reports, intervals: recorder.intervals, transport: options.transport, end: last.time)
    }
}

/// Counters a stream's threads update and the reporting thread reads while the test runs.
final class ThroughputCounters: Sendable {
    let sent = Atomic<UInt64>(0)
    let received = Atomic<UInt64>(0)
    let packetsSent = Atomic<UInt64>(0)
    let packetsReceived = Atomic<UInt64>(0)
    let senderDone = Atomic<Bool>(false)
    let receiverDone = Atomic<Bool>(false)
}

/// Tells every worker thread to stop (a failure while starting them).
final class ThroughputControl: Sendable {
    private let flag = Atomic<Bool>(false)
    var aborted: Bool { flag.load(ordering: .relaxed) }
    func abort() { flag.store(true, ordering: .relaxed) }
}

/// One stream of either transport: its sockets, its two thread bodies, its report.
protocol ThroughputStream: AnyObject, Sendable {
    var counters: ThroughputCounters { get }
    var fileDescriptors: [Int32] { get }
    func runSender(start: Double, duration: Double, options: Throughput.Options, control: ThroughputControl)
    func runReceiver(start: Double, duration: Double, options: Throughput.Options, control: ThroughputControl)
    /// Called by the reporting thread at each interval's end (TCP reads TCP_INFO).
    func sample()
    /// TCP's retransmits as of the last sample; 0 for UDP.
    var retransmitCount: UInt64 { get }
    /// After the threads are joined.
    func report() -> Throughput.StreamReport
}

extension Throughput.Report {
    /// Sums the streams; the received span ends at `end`, where the intervals end.
    init(streams: [Throughput.StreamReport], intervals: [Throughput.Interval], transport: Throughput.Transport, end: Double) {
        self.transport = transport
        self.streams = streams
        self.intervals = intervals
        sent = Throughput.Span(start: 0, end: streams.map(\.sent.end).max() ?? 0, bytes: streams.reduce(0) { $0 + $1.sent.bytes })
        received = Throughput.Span(start: 0, end: end, bytes: streams.reduce(0) { $0 + $1.received.bytes })
        let tcps = streams.compactMap(\.tcp)
        tcp = tcps.isEmpty ? nil : Throughput.TCPStatistics(
            retransmits: tcps.reduce(0) { $0 + $1.retransmits }, maxCongestionWindow: tcps.map(\.maxCongestionWindow).max() ?? 0,
            minRTT: tcps.map(\.minRTT).filter { $0 > 0 }.min() ?? 0, maxRTT: tcps.map(\.maxRTT).max() ?? 0,
            meanRTT: UInt32(tcps.reduce(0) { $0 + UInt64($1.meanRTT) } / UInt64(tcps.count)))
        let udps = streams.compactMap(\.udp)
        udp = udps.isEmpty ? nil : Throughput.UDPStatistics(
            packetsSent: udps.reduce(0) { $0 + $1.packetsSent }, packetsReceived: udps.reduce(0) { $0 + $1.packetsReceived },
            outOfOrder: udps.reduce(0) { $0 + $1.outOfOrder }, duplicates: udps.reduce(0) { $0 + $1.duplicates },
            jitter: udps.reduce(0) { $0 + $1.jitter } / Double(udps.count))
    }
}
