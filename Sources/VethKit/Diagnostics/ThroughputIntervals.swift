import CLinuxUAPI
/// Interval reports: cumulative counters sampled at each interval's end turned into consecutive
/// intervals whose bytes add up to the totals.
struct ThroughputIntervals {
    /// The streams' counters summed at one moment.
    struct Sample {
        var time: Double
        var sent: UInt64 = 0
        var received: UInt64 = 0
        var retransmits: UInt64 = 0
        var packetsSent: UInt64 = 0
        var packetsReceived: UInt64 = 0
    }

    let length: Double
    let udp: Bool
    private(set) var intervals: [Throughput.Interval] = []
    private var last = Sample(time: 0)

    init(length: Double, udp: Bool) {
        self.length = length
        self.udp = udp
    }

    /// The interval from the previous sample to `s`.
    @discardableResult
    mutating func add(_ s: Sample) -> Throughput.Interval {
        let i = Throughput.Interval(start: last.time, end: s.time,
                                    bytesReceived: s.received &- last.received, bytesSent: s.sent &- last.sent,
                                    retransmits: udp ? nil : s.retransmits &- last.retransmits,
                                    packetsSent: udp ? s.packetsSent &- last.packetsSent : nil,
                                    packetsReceived: udp ? s.packetsReceived &- last.packetsReceived : nil)
        intervals.append(i)
        last = s
        return i
    }

    /// The last sample, at the receivers' end: a tail shorter than half an interval (the streams
    /// draining after the senders stopped) joins the interval before it instead of standing alone.
    /// Returns the interval it added, nil when it merged the tail.
    @discardableResult
    mutating func finish(_ s: Sample) -> Throughput.Interval? {
        if s.time - last.time < length / 2, var previous = intervals.popLast() {
            let tail = Throughput.Interval(start: last.time, end: s.time,
                                           bytesReceived: s.received &- last.received, bytesSent: s.sent &- last.sent,
                                           retransmits: nil, packetsSent: nil, packetsReceived: nil)
            previous.end = s.time
            previous.bytesReceived += tail.bytesReceived
            previous.bytesSent += tail.bytesSent
            if !udp { previous.retransmits = (previous.retransmits ?? 0) + (s.retransmits &- last.retransmits) }
            else {
                previous.packetsSent = (previous.packetsSent ?? 0) + (s.packetsSent &- last.packetsSent)
                previous.packetsReceived = (previous.packetsReceived ?? 0) + (s.packetsReceived &- last.packetsReceived)
            }
            intervals.append(previous)
            last = s
            return nil
        }
        return add(s)
    }
}
