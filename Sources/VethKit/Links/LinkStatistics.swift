import CLinuxUAPI

/// A link's counters (IFLA_STATS64, the kernel's `rtnl_link_stats64`), every field of it.
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
    /// The detailed receive errors.
    public var rxLengthErrors: UInt64
    public var rxOverErrors: UInt64
    public var rxCRCErrors: UInt64
    public var rxFrameErrors: UInt64
    public var rxFIFOErrors: UInt64
    public var rxMissedErrors: UInt64
    /// The detailed transmit errors.
    public var txAbortedErrors: UInt64
    public var txCarrierErrors: UInt64
    public var txFIFOErrors: UInt64
    public var txHeartbeatErrors: UInt64
    public var txWindowErrors: UInt64
    public var rxCompressed: UInt64
    public var txCompressed: UInt64
    /// Packets dropped for want of a protocol handler.
    public var rxNoHandler: UInt64
    /// Packets dropped as addressed to another host (0 from kernels before 5.19, which lack it).
    public var rxOtherhostDropped: UInt64

    public init(_ s: rtnl_link_stats64) {
        rxPackets = s.rx_packets
        txPackets = s.tx_packets
        rxBytes = s.rx_bytes
        txBytes = s.tx_bytes
        rxErrors = s.rx_errors
        txErrors = s.tx_errors
        rxDropped = s.rx_dropped
        txDropped = s.tx_dropped
        multicast = s.multicast
        collisions = s.collisions
        rxLengthErrors = s.rx_length_errors
        rxOverErrors = s.rx_over_errors
        rxCRCErrors = s.rx_crc_errors
        rxFrameErrors = s.rx_frame_errors
        rxFIFOErrors = s.rx_fifo_errors
        rxMissedErrors = s.rx_missed_errors
        txAbortedErrors = s.tx_aborted_errors
        txCarrierErrors = s.tx_carrier_errors
        txFIFOErrors = s.tx_fifo_errors
        txHeartbeatErrors = s.tx_heartbeat_errors
        txWindowErrors = s.tx_window_errors
        rxCompressed = s.rx_compressed
        txCompressed = s.tx_compressed
        rxNoHandler = s.rx_nohandler
        rxOtherhostDropped = s.rx_otherhost_dropped
    }
}
