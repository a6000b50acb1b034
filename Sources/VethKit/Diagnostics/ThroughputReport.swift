import CLinuxUAPI
/// What a throughput test measured (``Throughput/measure(from:to:target:options:onInterval:)``).
extension Throughput {
    /// Bytes moved over a span of the test, seen from one side. Times are seconds since the test
    /// started (the moment the senders began, all connections already established).
    public struct Span: Sendable, Hashable {
        public var start: Double
        public var end: Double
        public var bytes: UInt64
        public init(start: Double, end: Double, bytes: UInt64) {
            self.start = start
            self.end = end
            self.bytes = bytes
        }
        public var seconds: Double { end - start }
        /// bytes × 8 / seconds (0 for an empty span).
        public var bitsPerSecond: Double { seconds > 0 ? Double(bytes) * 8 / seconds : 0 }
    }

    /// TCP's view of the sending sockets (TCP_INFO), summed or extremes over the streams.
    public struct TCPStatistics: Sendable, Hashable {
        /// `tcpi_total_retrans` of the sender sockets at the end of the test.
        public var retransmits: UInt64
        /// The largest congestion window seen (bytes) and round-trip times (microseconds) over
        /// the samples taken at each interval's end.
        public var maxCongestionWindow: UInt64
        public var minRTT: UInt32
        public var maxRTT: UInt32
        public var meanRTT: UInt32
    }

    /// A UDP stream's fate, counted by the receiver from the sequence numbers the sender wrote.
    public struct UDPStatistics: Sendable, Hashable {
        /// Datagrams the sender handed to the kernel.
        public var packetsSent: UInt64
        /// Distinct datagrams that arrived.
        public var packetsReceived: UInt64
        /// Arrivals with a sequence number below the highest already seen.
        public var outOfOrder: UInt64
        /// Arrivals of a sequence number already seen.
        public var duplicates: UInt64
        /// RFC 3550's interarrival jitter as iperf3 computes it (|Δ transit|, smoothed by 1/16), seconds.
        public var jitter: Double
        /// Sent but never arrived (packetsSent − packetsReceived): losses at the end of the test count too.
        public var lost: UInt64 { packetsSent > packetsReceived ? packetsSent - packetsReceived : 0 }
        /// `lost` as a percentage of `packetsSent` (0 when nothing was sent).
        public var lostPercent: Double { packetsSent == 0 ? 0 : Double(lost) * 100 / Double(packetsSent) }
    }

    /// One stream's totals.
    public struct StreamReport: Sendable, Hashable {
        /// From the sender's side: bytes written, until the sender stopped.
        public var sent: Span
        /// From the receiver's side: bytes read, until the last byte (TCP: the end of the stream).
        public var received: Span
        public var tcp: TCPStatistics?
        public var udp: UDPStatistics?
        /// What went wrong, when something did (a reset, a stalled path).
        public var error: String?
    }

    /// One reporting interval: what the receivers read and the senders wrote in it.
    public struct Interval: Sendable, Hashable {
        public var start: Double
        public var end: Double
        public var bytesReceived: UInt64
        public var bytesSent: UInt64
        /// TCP: segments retransmitted in the interval (TCP_INFO deltas); nil for UDP.
        public var retransmits: UInt64?
        /// UDP: datagrams sent and received in the interval; nil for TCP.
        public var packetsSent: UInt64?
        public var packetsReceived: UInt64?
        public var seconds: Double { end - start }
        /// Goodput in the interval: bytes received × 8 / seconds.
        public var bitsPerSecond: Double { seconds > 0 ? Double(bytesReceived) * 8 / seconds : 0 }
    }

    /// The whole test.
    public struct Report: Sendable, Hashable {
        public var transport: Transport
        public var streams: [StreamReport]
        /// Consecutive intervals from 0 to the receivers' end; their bytes add up to the totals.
        public var intervals: [Interval]
        /// Summed over the streams, from the start to the last sender's stop.
        public var sent: Span
        /// Summed over the streams, from the start to the last receiver's end: the goodput.
        public var received: Span
        /// Summed over the streams (TCP).
        public var tcp: TCPStatistics?
        /// Summed over the streams (UDP; jitter is the streams' mean, as iperf3's).
        public var udp: UDPStatistics?
        /// The streams' errors, `stream N: …`.
        public var errors: [String] { streams.enumerated().compactMap { i, s in s.error.map { "stream \(i + 1): \($0)" } } }
    }
}
