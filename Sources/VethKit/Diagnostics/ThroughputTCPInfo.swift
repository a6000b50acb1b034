import CLinuxUAPI
import Glibc
import Netlink

/// What the kernel says about one TCP socket (`getsockopt(TCP_INFO)`, `struct tcp_info`): the
/// counters a throughput test reports, as iperf3 reads them.
public struct TCPInfo: Sendable, Hashable {
    /// `tcpi_total_retrans`: segments retransmitted over the connection's life.
    public var totalRetransmits: UInt32
    /// `tcpi_rtt` and `tcpi_rttvar`: the smoothed round-trip time and its variation, microseconds.
    public var rtt: UInt32
    public var rttVariance: UInt32
    /// `tcpi_snd_cwnd × tcpi_snd_mss`: the congestion window in bytes (iperf3's `snd_cwnd`).
    public var congestionWindowBytes: UInt64
    /// `tcpi_snd_mss`, `tcpi_pmtu`.
    public var sendMSS: UInt32
    public var pathMTU: UInt32

    /// Reads TCP_INFO of a connected TCP socket (from any thread: it is the socket's, not the thread's).
    public init(socket fd: Int32) throws {
        var info = tcp_info()
        var len = socklen_t(MemoryLayout<tcp_info>.size)
        try syscall("getsockopt(TCP_INFO)") { getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, &info, &len) }
        totalRetransmits = info.tcpi_total_retrans
        rtt = info.tcpi_rtt
        rttVariance = info.tcpi_rttvar
        congestionWindowBytes = UInt64(info.tcpi_snd_cwnd) * UInt64(info.tcpi_snd_mss)
        sendMSS = info.tcpi_snd_mss
        pathMTU = info.tcpi_pmtu
    }
}
