import CLinuxUAPI
import Glibc
import Synchronization

/// One UDP stream of a throughput test: a sender socket opened inside the sending namespace,
/// connected to a receiver socket bound to the target inside the receiving one. The sender paces
/// datagrams at the stream's bit rate (a schedule from the start, so a late wake-up is caught up
/// rather than lost), each carrying a sequence number, its send time and the test's cookie; the
/// receiver counts distinct sequence numbers, reordering, duplicates and jitter.
final class ThroughputUDPStream: ThroughputStream, @unchecked Sendable {
    /// Sequence number (8 bytes), send time in CLOCK_MONOTONIC nanoseconds (8), cookie (8); big-endian.
    static let headerSize = 24

    let sender: Int32
    let receiver: Int32
    let cookie: UInt64
    let counters = ThroughputCounters()
    // Written by the stream's own threads before they mark themselves done; read after the join.
    var sendEnd = 0.0
    var receiveEnd = 0.0
    var sendError: String?
    var receiveError: String?
    var sequence = ThroughputSequence()
    var jitter = 0.0

    init(sender: Int32, receiver: Int32, cookie: UInt64) {
        self.sender = sender
        self.receiver = receiver
        self.cookie = cookie
    }

    var fileDescriptors: [Int32] { [sender, receiver] }
    var retransmitCount: UInt64 { 0 }
    func sample() {}

    /// Opens `count` streams: receivers bound to `target` (port `port` + i, or free ports for 0)
    /// inside `destination`, senders inside `source` connected to them. All or nothing.
    static func open(_ count: Int, from source: NetworkNamespace?, to destination: NetworkNamespace?, target: IPAddress,
                     port: UInt16, sourceAddress: IPAddress?) throws -> [ThroughputUDPStream] {
        let type = Int32(SOCK_DGRAM.rawValue)
        let receivers = try ThroughputSockets.open(count, type: type, family: target.family, in: destination)
        var senders: [Int32] = []
        do {
            var ports: [UInt16] = []
            for (i, fd) in receivers.enumerated() {
                let p = port == 0 ? 0 : port &+ UInt16(truncatingIfNeeded: i)
                try ThroughputSockets.bind(fd, target, port: p, namespace: destination)
                ports.append(try ThroughputSockets.port(of: fd))
            }
            senders = try ThroughputSockets.open(count, type: type, family: target.family, in: source)
            if let sourceAddress { for fd in senders { try ThroughputSockets.bind(fd, sourceAddress, port: 0, namespace: source) } }
            for (fd, p) in zip(senders, ports) {
                let rc = ThroughputSockets.withSocketAddress(target, port: p) { Glibc.connect(fd, $0, $1) }
                if rc != 0 { throw SystemCallError("connect to \(target) port \(p)", Errno.current) }
            }
            let cookie = UInt64.random(in: 1...UInt64.max)
            return zip(senders, receivers).map { ThroughputUDPStream(sender: $0, receiver: $1, cookie: cookie) }
        } catch {
            ThroughputSockets.closeAll(receivers + senders)
            throw error
        }
    }

    func runSender(start: Double, duration: Double, options: Throughput.Options, control: ThroughputControl) {
        guard case .udp(let rate, let size) = options.transport else { return }
        ThroughputSockets.setTimeout(sender, SO_SNDTIMEO, seconds: 0.2)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        buffer.storeBytes(of: cookie.bigEndian, toByteOffset: 16, as: UInt64.self)
        let perPacket = Double(size) * 8 / Double(rate)
        let end = start + duration
        var sequence: UInt64 = 0
        var now = monotonicSeconds()
        while now < end && !control.aborted {
            let due = start + Double(sequence) * perPacket
            if due > now {
                ThroughputUDPStream.sleep(until: min(due, end))
                now = monotonicSeconds()
                continue
            }
            buffer.storeBytes(of: (sequence + 1).bigEndian, toByteOffset: 0, as: UInt64.self)
            buffer.storeBytes(of: ThroughputUDPStream.nanoseconds().bigEndian, toByteOffset: 8, as: UInt64.self)
            let n = Glibc.send(sender, buffer.baseAddress, size, Int32(MSG_NOSIGNAL))
            if n > 0 {
                sequence += 1
                counters.sent.add(UInt64(n), ordering: .relaxed)
                counters.packetsSent.add(1, ordering: .relaxed)
            } else {
                // Not sent (a full socket buffer, an earlier datagram's ICMP error reported now):
                // the same sequence number goes again, so no loss is invented.
                let e = errno
                if e != EAGAIN && e != EINTR && e != ENOBUFS && e != ECONNREFUSED {
                    sendError = "send: \(Errno(rawValue: e).messageAndName)"
                    break
                }
            }
            now = monotonicSeconds()
        }
        sendEnd = min(now, end) - start
        counters.senderDone.store(true, ordering: .releasing)
    }

    /// The receivers' socket buffer: 4 MiB (SO_RCVBUFFORCE where allowed), so that a receiver
    /// thread the scheduler keeps waiting for a few milliseconds does not add loss of its own
    /// (the default 208 KiB is 34 ms at 50 Mbit/s).
    static let receiveBuffer: Int32 = 4 << 20

    func runReceiver(start: Double, duration: Double, options: Throughput.Options, control: ThroughputControl) {
        ThroughputSockets.setTimeout(receiver, SO_RCVTIMEO, seconds: 0.05)
        var size = ThroughputUDPStream.receiveBuffer
        if setsockopt(receiver, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(receiver, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
        defer { buffer.deallocate() }
        var lastPacket = monotonicSeconds()
        var previousTransit: Double?
        while !control.aborted {
            let n = recv(receiver, buffer.baseAddress, buffer.count, 0)
            let now = monotonicSeconds()
            if n >= ThroughputUDPStream.headerSize,
               UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) == cookie {
                let seq = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
                let sentAt = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                if sequence.record(seq) {
                    counters.received.add(UInt64(n), ordering: .relaxed)
                    counters.packetsReceived.add(1, ordering: .relaxed)
                    lastPacket = now
                }
                // RFC 3550 §6.4.1, as iperf3: both clocks are this machine's CLOCK_MONOTONIC.
                let transit = (Double(ThroughputUDPStream.nanoseconds()) - Double(sentAt)) / 1e9
                if let p = previousTransit { jitter += (abs(transit - p) - jitter) / 16 }
                previousTransit = transit
            } else if n < 0, errno != EAGAIN, errno != EINTR, errno != ECONNREFUSED {
                receiveError = "recv: \(Errno.current.messageAndName)"
                break
            }
            // The senders' last datagrams are in flight for a moment after they stop: wait until
            // the stream has been quiet for a quarter of a second, at most `stallLimit`.
            if counters.senderDone.load(ordering: .acquiring) {
                let stopped = start + sendEnd
                if now - max(lastPacket, stopped) > 0.25 || now - stopped > options.stallLimit { break }
            }
        }
        receiveEnd = lastPacket - start
        counters.receiverDone.store(true, ordering: .releasing)
    }

    func report() -> Throughput.StreamReport {
        let udp = Throughput.UDPStatistics(packetsSent: counters.packetsSent.load(ordering: .relaxed), packetsReceived: sequence.received,
                                           outOfOrder: sequence.outOfOrder, duplicates: sequence.duplicates, jitter: jitter)
        return Throughput.StreamReport(sent: .init(start: 0, end: sendEnd, bytes: counters.sent.load(ordering: .relaxed)),
                                       received: .init(start: 0, end: max(receiveEnd, 0), bytes: counters.received.load(ordering: .relaxed)),
                                       tcp: nil, udp: udp, error: sendError ?? receiveError)
    }

    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Sleeps until `seconds` on CLOCK_MONOTONIC (an absolute deadline: no drift).
    static func sleep(until seconds: Double) {
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}

/// Which sequence numbers (1, 2, …) arrived: the distinct count, reordering and duplicates, with
/// a window of the last 65 536 numbers below the highest seen (older arrivals count as reordered).
struct ThroughputSequence {
    static let window: UInt64 = 65_536
    private(set) var highest: UInt64 = 0
    private(set) var received: UInt64 = 0
    private(set) var outOfOrder: UInt64 = 0
    private(set) var duplicates: UInt64 = 0
    private var seen = [UInt64](repeating: 0, count: Int(window / 64))

    private func isSeen(_ s: UInt64) -> Bool { seen[Int((s % Self.window) / 64)] & (1 << (s % 64)) != 0 }
    private mutating func mark(_ s: UInt64, _ on: Bool) {
        let i = Int((s % Self.window) / 64)
        if on { seen[i] |= 1 << (s % 64) } else { seen[i] &= ~(1 << (s % 64)) }
    }

    /// Records an arrival; true when `s` is new (not a duplicate, not 0).
    mutating func record(_ s: UInt64) -> Bool {
        guard s > 0 else { return false }
        if s > highest {
            if s - highest >= Self.window {
                for i in seen.indices { seen[i] = 0 }
            } else {
                var k = highest + 1
                while k < s { mark(k, false); k += 1 }
            }
            mark(s, true)
            highest = s
        } else if highest - s >= Self.window {
            outOfOrder += 1
        } else if isSeen(s) {
            duplicates += 1
            return false
        } else {
            mark(s, true)
            outOfOrder += 1
        }
        received += 1
        return true
    }
}
