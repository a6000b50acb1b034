import CLinuxUAPI
import Glibc
import Netlink

/// In-process ICMP echo ("ping") from inside network namespaces: raw ICMP and ICMPv6 sockets opened
/// by a dedicated thread inside each namespace (a socket stays in the namespace it was opened in),
/// every probe in flight at once, one poll loop for all of them. No `ping` process.
///
/// Each probe has an identifier of its own (a random base per source plus the probe's index
/// there); an echo's sequence number is its number in the probe's series, from 1 as ping counts.
/// The payload carries a random token of the run and the send time, so a reply is matched to the
/// very copy it answers (identifier, sequence, token, sender address) and its round-trip time is
/// measured from that copy's send, resends included.
public enum ICMPEcho {
    /// One echo to send: from `source` (an index into the namespaces passed to ``run(_:namespaces:timeout:retry:window:)``)
    /// to `target`.
    public struct Probe: Sendable, Hashable {
        public var source: Int
        public var target: IPAddress
        public init(source: Int, target: IPAddress) {
            self.source = source
            self.target = target
        }
    }

    /// What became of a probe.
    public struct Result: Sendable, Hashable {
        public var probe: Probe
        /// Round-trip time in seconds, nil when no reply came in time.
        public var rtt: Double?
        /// Why it could not be sent (no route, unreachable), when it could not.
        public var error: String?
        public var ok: Bool { rtt != nil }
    }

    /// How ``measure(_:namespaces:options:)`` sends a probe's series of echoes.
    public struct Options: Sendable, Hashable {
        /// Echoes per probe (1...65535: the sequence number is 16 bits).
        public var count: Int
        /// Seconds between two echoes of one probe (all probes' echo k go out together, at k × interval).
        public var interval: Double
        /// Seconds an echo waits for its reply; a later reply is not counted.
        public var timeout: Double
        /// Resend an unanswered echo every `resend` seconds until its timeout (a reply to any copy
        /// counts): for reachability, not for measuring loss. Nil: every echo is sent once, as ping does.
        public var resend: Double?
        /// At most this many echoes in flight at once (across all sources).
        public var window: Int
        public init(count: Int = 1, interval: Double = 0.01, timeout: Double = 1, resend: Double? = nil, window: Int = 4096) {
            self.count = count
            self.interval = interval
            self.timeout = timeout
            self.resend = resend
            self.window = window
        }
        /// The largest `count`.
        public static let maximumCount = 65535
        /// The most echoes one call sends (probes × count): a bound on the memory the series take.
        public static let maximumEchoes = 4_000_000
    }

    /// A probe's series of echoes.
    public struct Series: Sendable, Hashable {
        public var probe: Probe
        /// Per echo (sequence number k + 1), its round-trip time in seconds, nil when lost.
        public var rtts: [Double?]
        /// Round-trip times of replies beyond the first for one echo (duplicates on the path, or a
        /// resent copy's answer), in seconds.
        public var duplicateRTTs: [Double]
        public var duplicates: Int { duplicateRTTs.count }
        /// Why echoes could not be sent (the first such error), when some could not.
        public var error: String?
        public var sent: Int { rtts.count }
        public var received: Int { rtts.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
        /// The sequence numbers (from 1) that got no reply.
        public var lostSequences: [Int] { rtts.indices.filter { rtts[$0] == nil }.map { $0 + 1 } }
    }

    /// Sockets of one namespace.
    final class Sockets {
        var v4: Int32 = -1
        var v6: Int32 = -1
        deinit {
            if v4 >= 0 { close(v4) }
            if v6 >= 0 { close(v6) }
        }
    }

    /// `struct icmp_filter` for SOL_RAW/ICMP_FILTER (linux/icmp.h, not included: it pulls in
    /// linux/in6.h, whose in6_addr clashes with glibc's): a bit set means that ICMP type is dropped.
    static let icmpFilterOption: Int32 = 1
    static let icmp6FilterOption: Int32 = 1   // ICMP6_FILTER, linux/icmpv6.h

    static func openSockets(needV4: Bool, needV6: Bool) throws -> Sockets {
        let s = Sockets()
        let flags = Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        /// Room for a whole burst of replies (and of requests waiting for a neighbour): FORCE as root, else what the limit allows.
        func buffers(_ fd: Int32) {
            var size: Int32 = 4 << 20
            for (force, plain) in [(SO_RCVBUFFORCE, SO_RCVBUF), (SO_SNDBUFFORCE, SO_SNDBUF)] {
                if setsockopt(fd, SOL_SOCKET, force, &size, 4) != 0 { _ = setsockopt(fd, SOL_SOCKET, plain, &size, 4) }
            }
        }
        /// The kernel's receive time on every datagram (SCM_TIMESTAMPNS).
        func timestamps(_ fd: Int32) {
            var on: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS_OLD, &on, 4)
        }
        if needV4 {
            s.v4 = try syscall("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)") { socket(AF_INET, flags, Int32(IPPROTO_ICMP)) }
            // Only echo replies reach the socket (not the echo requests other probes send to this namespace).
            var filter: UInt32 = ~(UInt32(1) << 0)
            _ = setsockopt(s.v4, Int32(SOL_RAW), icmpFilterOption, &filter, 4)
            buffers(s.v4)
            timestamps(s.v4)
        }
        if needV6 {
            s.v6 = try syscall("socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)") { socket(AF_INET6, flags, Int32(IPPROTO_ICMPV6)) }
            // Only echo replies (ICMP6_FILTER: a bit set = blocked).
            var filter = [UInt32](repeating: 0xffff_ffff, count: 8)
            filter[129 >> 5] &= ~(UInt32(1) << (129 & 31))
            _ = setsockopt(s.v6, Int32(IPPROTO_ICMPV6), icmp6FilterOption, &filter, socklen_t(32))
            buffers(s.v6)
            timestamps(s.v6)
        }
        return s
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 { bytes.withUnsafeBytes { checksum($0) } }

    /// Bytes of an echo request: 8 of header, then the payload (token, send time, marker).
    static let requestSize = 8 + 24
    static let marker = Array("vethkit-".utf8)

    /// Writes the echo request into `b` (``requestSize`` bytes): type, code 0, checksum (IPv4
    /// only: the kernel fills ICMPv6's), identifier, sequence, token, send time (ns), marker.
    static func fill(_ b: UnsafeMutableRawBufferPointer, v4: Bool, identifier: UInt16, sequence: UInt16, token: UInt64, sentNanoseconds: UInt64) {
        b[0] = v4 ? 8 : 128
        b[1] = 0; b[2] = 0; b[3] = 0
        b.storeBytes(of: identifier.bigEndian, toByteOffset: 4, as: UInt16.self)
        b.storeBytes(of: sequence.bigEndian, toByteOffset: 6, as: UInt16.self)
        b.storeBytes(of: token, toByteOffset: 8, as: UInt64.self)
        b.storeBytes(of: sentNanoseconds, toByteOffset: 16, as: UInt64.self)
        for (k, c) in marker.enumerated() { b[24 + k] = c }
        if v4 {
            let c = checksum(UnsafeRawBufferPointer(b))
            b.storeBytes(of: c.bigEndian, toByteOffset: 2, as: UInt16.self)
        }
    }

    /// The echo request as bytes (for tests and the single-probe path).
    static func request(v4: Bool, identifier: UInt16, sequence: UInt16, token: UInt64 = 0, sentNanoseconds: UInt64 = 0) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: requestSize)
        b.withUnsafeMutableBytes { fill($0, v4: v4, identifier: identifier, sequence: sequence, token: token, sentNanoseconds: sentNanoseconds) }
        return b
    }

    /// CLOCK_REALTIME in nanoseconds: the clock of the kernel's receive timestamps (SO_TIMESTAMPNS).
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// recvmsg(2) of one datagram into `buf`, its sender into `from`; with the time the kernel
    /// received it (SCM_TIMESTAMPNS, CLOCK_REALTIME ns), so that a busy or late poll loop does not
    /// add to the round trip. Nil time when the kernel gave none.
    static func receive(_ fd: Int32, _ buf: UnsafeMutableRawBufferPointer, _ from: UnsafeMutablePointer<sockaddr_storage>,
                        _ control: UnsafeMutableRawBufferPointer) -> (count: Int, kernelTime: UInt64?) {
        var iov = iovec(iov_base: buf.baseAddress, iov_len: buf.count)
        let (count, controlLength): (Int, Int) = withUnsafeMutablePointer(to: &iov) { iovp in
            var msg = msghdr()
            msg.msg_name = UnsafeMutableRawPointer(from)
            msg.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            msg.msg_iov = iovp
            msg.msg_iovlen = 1
            msg.msg_control = control.baseAddress
            msg.msg_controllen = control.count
            return (recvmsg(fd, &msg, 0), Int(msg.msg_controllen))
        }
        guard count >= 0 else { return (-1, nil) }
        // struct cmsghdr { size_t len; int level; int type; } then the data, aligned to 8.
        var off = 0
        while off + 16 <= controlLength {
            let len = control.loadUnaligned(fromByteOffset: off, as: Int.self)
            let level = control.loadUnaligned(fromByteOffset: off + 8, as: Int32.self)
            let type = control.loadUnaligned(fromByteOffset: off + 12, as: Int32.self)
            guard len >= 16, off + len <= controlLength else { break }
            if level == SOL_SOCKET, type == SO_TIMESTAMPNS_OLD, len >= 16 + 16 {
                let sec = control.loadUnaligned(fromByteOffset: off + 16, as: Int.self)
                let nsec = control.loadUnaligned(fromByteOffset: off + 24, as: Int.self)
                if sec > 0, nsec >= 0 { return (count, UInt64(sec) * 1_000_000_000 + UInt64(nsec)) }
            }
            off += (len + 7) & ~7
        }
        return (count, nil)
    }

    /// Sends every probe and waits up to `timeout` seconds for the replies; unanswered probes are
    /// sent again every `retry` seconds (a reply to any copy counts). `namespaces[i]` is the
    /// namespace of source i; nil means the caller's own. The caller's thread never changes namespace.
    /// At most `window` probes are in flight at once.
    public static func run(_ probes: [Probe], namespaces: [NetworkNamespace?], timeout: Double = 1, retry: Double = 0.25,
                           window: Int = 4096) throws -> [Result] {
        let series = try measure(probes, namespaces: namespaces,
                                 options: Options(count: 1, interval: 0, timeout: timeout, resend: retry, window: window))
        return series.map { s in
            let rtt = s.rtts.first ?? nil
            return Result(probe: s.probe, rtt: rtt, error: rtt == nil ? s.error : nil)
        }
    }

    /// Sends `options.count` echoes per probe, `options.interval` apart (echo k of every probe at
    /// k × interval from the start), and returns each probe's series: which sequence numbers were
    /// answered and in how long. Sockets are opened by one dedicated thread that enters each
    /// source namespace in turn (nil: the caller's namespace, opened on the caller's thread); the
    /// caller's thread never changes namespace. Probes of different sources are interleaved, and
    /// replies are read between bursts of sends, so a big fan-out never overruns a socket.
    public static func measure(_ probes: [Probe], namespaces: [NetworkNamespace?], options: Options = Options()) throws -> [Series] {
        guard (1...Options.maximumCount).contains(options.count) else {
            throw InvalidInput("echo count", String(options.count), "must be 1...\(Options.maximumCount)")
        }
        guard probes.count <= Options.maximumEchoes / options.count else {
            throw InvalidInput("echo count", String(options.count), "\(probes.count) probes × \(options.count) echoes is more than \(Options.maximumEchoes)")
        }
        guard options.interval >= 0, options.interval <= 3600, options.timeout > 0, options.timeout <= 3600 else {
            throw InvalidInput("echo timing", "interval \(options.interval) s, timeout \(options.timeout) s", "must be 0...3600 s and 0 < timeout ≤ 3600 s")
        }
        var series = probes.map { Series(probe: $0, rtts: [], duplicateRTTs: [], error: nil) }
        guard !probes.isEmpty else { return series }
        let count = options.count

        // Probes per source, and each probe's identifier (a random base per source + its index there).
        var bySource: [Int: [Int]] = [:]
        for (i, p) in probes.enumerated() { bySource[p.source, default: []].append(i) }
        let sources = bySource.keys.sorted()
        var identifier = [UInt16](repeating: 0, count: probes.count)
        var probeOfIdentifier: [Int: [UInt16: [Int]]] = [:]
        for src in sources {
            let base = UInt16.random(in: 0...0xffff)
            var map: [UInt16: [Int]] = [:]
            for (j, i) in bySource[src]!.enumerated() {
                let id = base &+ UInt16(truncatingIfNeeded: j)
                identifier[i] = id
                map[id, default: []].append(i)
            }
            probeOfIdentifier[src] = map
        }

        // Sockets per source namespace, opened inside it.
        var sockets: [Int: Sockets] = [:]
        func need(_ src: Int) -> (Bool, Bool) {
            let idxs = bySource[src]!
            return (idxs.contains { probes[$0].target.isIPv4 }, idxs.contains { !probes[$0].target.isIPv4 })
        }
        let inside = sources.filter { src in namespaces.indices.contains(src) && namespaces[src] != nil }
        for src in sources where !inside.contains(src) {
            let (v4, v6) = need(src)
            sockets[src] = try openSockets(needV4: v4, needV6: v6)
        }
        if !inside.isEmpty {
            let opened: [(Int, Sockets)] = try onDedicatedThread {
                var out: [(Int, Sockets)] = []
                for src in inside {
                    try namespaces[src]!.enterOnCallingThread()
                    let (v4, v6) = need(src)
                    out.append((src, try openSockets(needV4: v4, needV6: v6)))
                }
                return out
            }
            for (src, s) in opened { sockets[src] = s }
        }

        // Probes interleaved across sources (round robin), so each namespace's echoes spread out.
        var order: [Int] = []
        order.reserveCapacity(probes.count)
        var depth = 0
        while order.count < probes.count {
            for src in sources { let l = bySource[src]!; if depth < l.count { order.append(l[depth]) } }
            depth += 1
        }
        for i in series.indices { series[i].rtts = [Double?](repeating: nil, count: count) }

        // Echo e = probe * count + k. State: first send time, done (answered or given up).
        let total = probes.count * count
        var firstSent = [Double](repeating: 0, count: total)
        var done = [Bool](repeating: false, count: total)
        var outstanding: [(echo: Int, deadline: Double)] = []
        var head = 0
        var inFlight = 0
        var scheduled = 0
        let token = UInt64.random(in: 1...UInt64.max)
        let t0 = monotonicSeconds()
        let burst = 64
        var packet = [UInt8](repeating: 0, count: requestSize)

        /// Sends echo `e`; false when the socket's buffer is full (EAGAIN: try again shortly).
        func send(_ e: Int, now: Double) -> Bool {
            let p = e / count, k = e % count
            let probe = probes[p]
            let s = sockets[probe.source]!
            let v4 = probe.target.isIPv4
            let fd = v4 ? s.v4 : s.v6
            let rc: Int = packet.withUnsafeMutableBytes { b in
                fill(b, v4: v4, identifier: identifier[p], sequence: UInt16(k + 1), token: token, sentNanoseconds: nanoseconds())
                // Built per send: 128 bytes per probe kept would add up.
                return SocketAddress(probe.target).withPointer { sendto(fd, b.baseAddress, b.count, 0, $0, $1) }
            }
            if rc < 0 {
                let err = errno
                if err == EAGAIN || err == ENOBUFS { return false }
                if series[p].error == nil { series[p].error = Errno(rawValue: err).messageAndName }
                if firstSent[e] == 0 { firstSent[e] = now; inFlight += 1 }
                finish(e)
                return true
            }
            if firstSent[e] == 0 { firstSent[e] = now; inFlight += 1 }
            let retryAt = options.resend.map { now + $0 } ?? .infinity
            outstanding.append((e, min(firstSent[e] + options.timeout, retryAt)))
            return true
        }
        func finish(_ e: Int) {
            guard !done[e] else { return }
            done[e] = true
            inFlight -= 1
        }

        var fds: [pollfd] = []
        var fdInfo: [(source: Int, v4: Bool)] = []
        for src in sources {
            let s = sockets[src]!
            if s.v4 >= 0 { fds.append(pollfd(fd: s.v4, events: Int16(POLLIN), revents: 0)); fdInfo.append((src, true)) }
            if s.v6 >= 0 { fds.append(pollfd(fd: s.v6, events: Int16(POLLIN), revents: 0)); fdInfo.append((src, false)) }
        }
        var buf = [UInt8](repeating: 0, count: 2048)
        var control = [UInt8](repeating: 0, count: 128)

        /// Reads every reply waiting (poll with `wait` ms first).
        func receive(wait: Int32) {
            let n = poll(&fds, nfds_t(fds.count), wait)
            guard n > 0 else { return }
            for k in fds.indices where fds[k].revents & Int16(POLLIN) != 0 {
                let (src, v4) = fdInfo[k]
                let fd = fds[k].fd
                while true {
                    var from = sockaddr_storage()
                    let (got, kernelTime) = buf.withUnsafeMutableBytes { b in
                        control.withUnsafeMutableBytes { c in ICMPEcho.receive(fd, b, &from, c) }
                    }
                    if got <= 0 { break }
                    let arrived = kernelTime ?? nanoseconds()
                    let off = v4 ? Int(buf[0] & 0x0f) * 4 : 0
                    guard got >= off + requestSize, buf[off] == (v4 ? 0 : 129) else { continue }
                    let (id, seq, tok, sentNs): (UInt16, Int, UInt64, UInt64) = buf.withUnsafeBytes { b in
                        (UInt16(bigEndian: b.loadUnaligned(fromByteOffset: off + 4, as: UInt16.self)),
                         Int(UInt16(bigEndian: b.loadUnaligned(fromByteOffset: off + 6, as: UInt16.self))),
                         b.loadUnaligned(fromByteOffset: off + 8, as: UInt64.self),
                         b.loadUnaligned(fromByteOffset: off + 16, as: UInt64.self))
                    }
                    guard tok == token, seq >= 1, seq <= count, let candidates = probeOfIdentifier[src]?[id] else { continue }
                    // The reply must come from the target itself.
                    let sender: IPAddress? = withUnsafeBytes(of: &from) { raw in
                        v4 ? IPAddress(bytes: raw[4..<8]) : IPAddress(bytes: raw[8..<24])
                    }
                    guard let p = candidates.first(where: { probes[$0].target == sender }) else { continue }
                    let e = p * count + seq - 1
                    let rtt = Double(arrived &- sentNs) / 1e9
                    guard firstSent[e] != 0, rtt >= 0, rtt <= options.timeout else { continue }
                    if done[e] {
                        if series[p].rtts[seq - 1] != nil { series[p].duplicateRTTs.append(rtt) }
                        continue
                    }
                    series[p].rtts[seq - 1] = rtt
                    finish(e)
                }
            }
        }

        while scheduled < total || inFlight > 0 {
            var now = monotonicSeconds()
            // Give up on (or resend) echoes whose time is up.
            while head < outstanding.count, outstanding[head].deadline <= now {
                let e = outstanding[head].echo
                head += 1
                if done[e] { continue }
                if options.resend != nil, now - firstSent[e] < options.timeout {
                    if !send(e, now: now) { outstanding.append((e, now + 0.001)) }
                } else {
                    finish(e)
                }
            }
            if head > 4096, head * 2 > outstanding.count {
                outstanding.removeFirst(head)
                head = 0
            }
            // Send what is due, a burst at a time, reading replies in between.
            var blocked = false
            var sentNow = 0
            while scheduled < total, inFlight < options.window, sentNow < burst {
                let round = scheduled / probes.count
                if t0 + Double(round) * options.interval > now { break }
                let e = order[scheduled % probes.count] * count + round
                if !send(e, now: now) { blocked = true; break }
                scheduled += 1
                sentNow += 1
            }
            now = monotonicSeconds()
            let moreDue = !blocked && scheduled < total && inFlight < options.window
                && t0 + Double(scheduled / probes.count) * options.interval <= now
            if moreDue { receive(wait: 0); continue }
            var next = Double.infinity
            if head < outstanding.count { next = outstanding[head].deadline }
            if scheduled < total, inFlight < options.window { next = min(next, t0 + Double(scheduled / probes.count) * options.interval) }
            if blocked { next = min(next, now + 0.001) }
            if next == .infinity && inFlight == 0 && scheduled >= total { break }
            let waitMs = next == .infinity ? 10 : max(0, min(1000, (next - now) * 1000))
            receive(wait: Int32(waitMs.rounded(.up)))
        }
        withExtendedLifetime(sockets) {}
        return series
    }
}
