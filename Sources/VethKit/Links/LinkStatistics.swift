import CLinuxUAPI

/// A link's counters (IFLA_STATS64, the kernel's `rtnl_link_stats64`).
public struct LinkStatistics: Hashable, Sendable {
    public var rxPackets: UInt64
    public var txPackets: UInt64
    public var rxBytes: UInt64
    public var txBytes: UInt64
    public var rxErrors: UInt64
    public var txErrors: UInt64
    public var rxDropped: UInt64
    public var txDropped: UInt64
    public var multicast: UInt64
    public var collisions: UInt64

    public init(_ s: rtnl_link_stats64) {
        rxPackets = UInt64(s.rx_packets)
        txPackets = UInt64(s.tx_packets)
        rxBytes = UInt64(s.rx_bytes)
        txBytes = UInt64(s.tx_bytes)
        rxErrors = UInt64(s.rx_errors)
        txErrors = UInt64(s.tx_errors)
        rxDropped = UInt64(s.rx_dropped)
        txDropped = UInt64(s.tx_dropped)
        multicast = UInt64(s.multicast)
        collisions = UInt64(s.collisions)
    }
}
