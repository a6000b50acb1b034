import CLinuxUAPI
import Glibc
import Netlink
import Synchronization

/// One TCP stream of a throughput test: a connected pair of blocking sockets, the sender's opened
/// inside the sending namespace, the receiver's accepted from a listener opened inside the
/// receiving one. The sender writes `writeSize` bytes per call until the test's end, then shuts
/// its side down; the receiver reads until the end of the stream, counting every byte.
final class ThroughputTCPStream: ThroughputStream, @unchecked Sendable {
    let sender: Int32
    let receiver: Int32
    let counters = ThroughputCounters()
    // Written by the stream's own threads before they mark themselves done; read after the join.
    var sendEnd = 0.0
    var receiveEnd = 0.0
    var sendError: String?
    var receiveError: String?
    // Sampled by the reporting thread only.
    var retransmits: UInt64 = 0
    var maxCongestionWindow: UInt64 = 0
    var rtts: [UInt32] = []
    var retransmitCount: UInt64 { retransmits }

    init(sender: Int32, receiver: Int32) {
        self.sender = sender
        self.receiver = receiver
    }

    var fileDescriptors: [Int32] { [sender, receiver] }

    /// Opens `count` connected streams from `source` to `target` (an address of `destination`):
    /// a listener bound to target port `port` (0: any free one) inside `destination`, the
    /// senders connected at once within `timeout`, each accepted connection matched to its
    /// sender by port. On failure everything opened is closed.
    static func open(_ count: Int, from source: NetworkNamespace?, to destination: NetworkNamespace?, target: IPAddress,
                     port: UInt16, sourceAddress: IPAddress?, timeout: Double) throws -> [ThroughputTCPStream] {
        let listener = try ThroughputSockets.open(1, type: Int32(SOCK_STREAM.rawValue), family: target.family, in: destination)[0]
        defer { close(listener) }
        var one: Int32 = 1
        _ = setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        try ThroughputSockets.bind(listener, target, port: port, namespace: destination)
        try syscall("listen") { listen(listener, 128) }
        let listenPort = try ThroughputSockets.port(of: listener)
        let senders = try ThroughputSockets.open(count, type: Int32(SOCK_STREAM.rawValue), family: target.family, in: source)
        var accepted: [UInt16: Int32] = [:]
        do {
            if let sourceAddress { for fd in senders { try ThroughputSockets.bind(fd, sourceAddress, port: 0, namespace: source) } }
            try ThroughputSockets.connect(senders, to: target, port: listenPort, timeout: timeout)
            let ports = try senders.map { try ThroughputSockets.port(of: $0) }
            // Every connection is in the accept queue once connect() succeeded; anything else
            // that connected meanwhile is not ours and is closed.
            let deadline = monotonicSeconds() + timeout
            while accepted.count < count {
                var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                let left = deadline - monotonicSeconds()
                guard left > 0 else { throw ConnectTimedOut(address: target, port: listenPort, seconds: timeout) }
                if poll(&p, 1, Int32(max(1, left * 1000))) <= 0 { continue }
                let fd = try syscall("accept") { accept(listener, nil, nil) }
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                let peer = (try? ThroughputSockets.port(of: fd, peer: true)) ?? 0
                if ports.contains(peer), accepted[peer] == nil { accepted[peer] = fd } else { close(fd) }
            }
            return zip(senders, ports).map { ThroughputTCPStream(sender: $0, receiver: accepted[$1]!) }
        } catch {
            ThroughputSockets.closeAll(senders)
            ThroughputSockets.closeAll(Array(accepted.values))
            throw error
        }
    }

    func runSender(start: Double, duration: Double, options: Throughput.Options, control: ThroughputControl) {
        ThroughputSockets.setTimeout(sender, SO_SNDTIMEO, seconds: 0.2)
        let size = options.writeSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        for i in 0..<size { buffer[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        let end = start + duration
        var now = monotonicSeconds()
        while now < end && !control.aborted {
            let n = Glibc.send(sender, buffer.baseAddress, size, Int32(MSG_NOSIGNAL))
            if n > 0 {
                counters.sent.add(UInt64(n), ordering: .relaxed)
            } else if n < 0 && errno != EAGAIN && errno != EINTR {
                sendError = "send: \(Errno.current.messageAndName)"
                break
            }
            now = monotonicSeconds()
        }
        sendEnd = min(now, end) - start
        shutdown(sender, Int32(SHUT_WR))
        counters.senderDone.store(true, ordering: .releasing)
    }

    func runReceiver(start: Double, duration: Double, options: Throughput.Options, control: ThroughputControl) {
        ThroughputSockets.setTimeout(receiver, SO_RCVTIMEO, seconds: 0.2)
        let size = options.writeSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        var lastByte = monotonicSeconds()
        while !control.aborted {
            let n = recv(receiver, buffer.baseAddress, size, 0)
            if n > 0 {
                counters.received.add(UInt64(n), ordering: .relaxed)
                lastByte = monotonicSeconds()
            } else if n == 0 {
                lastByte = monotonicSeconds()
                break
            } else if errno == EAGAIN || errno == EINTR {
                // Nothing for a while: after the senders' end, a path that moves nothing for
                // `stallLimit` seconds ends the stream (what was sent but not received is reported).
                let now = monotonicSeconds()
                if now > start + duration && now - lastByte > options.stallLimit {
                    receiveError = "no data for \(options.stallLimit) s after the senders stopped"
                    break
                }
            } else {
                receiveError = "recv: \(Errno.current.messageAndName)"
                break
            }
        }
        receiveEnd = lastByte - start
        counters.receiverDone.store(true, ordering: .releasing)
    }

    /// TCP_INFO of the sender, at an interval's end.
    func sample() {
        guard let info = try? TCPInfo(socket: sender) else { return }
        retransmits = UInt64(info.totalRetransmits)
        maxCongestionWindow = max(maxCongestionWindow, info.congestionWindowBytes)
        if info.rtt > 0 { rtts.append(info.rtt) }
    }

    func report() -> Throughput.StreamReport {
        sample()
        let tcp = Throughput.TCPStatistics(retransmits: retransmits, maxCongestionWindow: maxCongestionWindow,
                                           minRTT: rtts.min() ?? 0, maxRTT: rtts.max() ?? 0,
                                           meanRTT: rtts.isEmpty ? 0 : UInt32(rtts.reduce(0) { $0 + UInt64($1) } / UInt64(rtts.count)))
        return Throughput.StreamReport(sent: .init(start: 0, end: sendEnd, bytes: counters.sent.load(ordering: .relaxed)),
                                       received: .init(start: 0, end: receiveEnd, bytes: counters.received.load(ordering: .relaxed)),
                                       tcp: tcp, udp: nil, error: sendError ?? receiveError)
    }
}
