import CLinuxUAPI
import Netlink

/// A qdisc's counters, as `tc -s qdisc show` prints them (TCA_STATS2's TCA_STATS_BASIC and
/// TCA_STATS_QUEUE, TCA_STATS_PKT64 for packets past 2^32; the older TCA_STATS when a kernel
/// sends nothing else).
public struct QdiscStatistics: Hashable, Sendable {
    /// Bytes sent.
    public var bytes: UInt64 = 0
    /// Packets sent.
    public var packets: UInt64 = 0
    /// Packets dropped.
    public var drops: UInt32 = 0
    /// Times the qdisc was over its limit (tbf: a packet had to wait for tokens).
    public var overlimits: UInt32 = 0
    /// Packets requeued.
    public var requeues: UInt32 = 0
    /// Bytes queued now.
    public var backlog: UInt32 = 0
    /// Packets queued now.
    public var qlen: UInt32 = 0

    public init() {}

    /// Decodes TCA_STATS2's nest.
    init(stats2: ArraySlice<UInt8>) throws {
        try AttributeList.scan(stats2) { a in
            switch Int(a.type) {
            case Int(TCA_STATS_BASIC):
                let b = a.structure(gnet_stats_basic.self)
                bytes = b.bytes
                if packets == 0 { packets = UInt64(b.packets) }
            case Int(TCA_STATS_PKT64):
                if let p = a.uint64 { packets = p }
            case Int(TCA_STATS_QUEUE):
                let q = a.structure(gnet_stats_queue.self)
                (qlen, backlog, drops, requeues, overlimits) = (q.qlen, q.backlog, q.drops, q.requeues, q.overlimits)
            default: break
            }
        }
    }

    /// Decodes the legacy TCA_STATS (`struct tc_stats`).
    init(legacy: Attribute) {
        let s = legacy.structure(tc_stats.self)
        (bytes, packets, drops, overlimits, qlen, backlog) = (s.bytes, UInt64(s.packets), s.drops, s.overlimits, s.qlen, s.backlog)
    }
}
