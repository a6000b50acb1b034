import CLinuxUAPI
import Glibc
import Netlink

/// In-process ICMP echo ("ping") from inside network namespaces: raw ICMP and ICMPv6 sockets opened
/// by a dedicated thread inside each namespace (a socket stays in the namespace it was opened in),
/// every probe in flight at once, one poll loop for all of them. No `ping` process.
public enum ICMPEcho {
    /// One echo to send: from `source` (an index into the namespaces passed to ``run(_:timeout:)``)
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

    /// Sockets of one namespace.
    final class Sockets {
        var v4: Int32 = -1
        var v6: Int32 = -1
        let identifier: UInt16
        init(identifier: UInt16) { self.identifier = identifier }
        deinit {
            if v4 >= 0 { close(v4) }
            if v6 >= 0 { close(v6) }
        }
    }

    static func openSockets(needV4: Bool, needV6: Bool, identifier: UInt16) throws -> Sockets {
        let s = Sockets(identifier: identifier)
        if needV4 {
            s.v4 = try syscall("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)") {
                socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMP))
            }
        }
        if needV6 {
            s.v6 = try syscall("socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)") {
                socket(AF_INET6, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMPV6))
            }
            // Only echo replies (ICMP6_FILTER: a bit set = blocked).
            var filter = [UInt32](repeating: 0xffff_ffff, count: 8)
            filter[129 >> 5] &= ~(UInt32(1) << (129 & 31))
            _ = setsockopt(s.v6, Int32(IPPROTO_ICMPV6), 1 /* ICMP6_FILTER */, &filter, socklen_t(32))
        }
        return s
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// The echo request: type, code 0, checksum (IPv4 only: the kernel fills ICMPv6's), id, seq, payload.
    static func request(v4: Bool, identifier: UInt16, sequence: UInt16) -> [UInt8] {
        var b: [UInt8] = [v4 ? 8 : 128, 0, 0, 0,
                          UInt8(identifier >> 8), UInt8(identifier & 0xff), UInt8(sequence >> 8), UInt8(sequence & 0xff)]
        b += Array("vethkit-check-v1".utf8)
        if v4 {
            let c = checksum(b)
            b[2] = UInt8(c >> 8)
            b[3] = UInt8(c & 0xff)
        }
        return b
    }

    static func send(_ fd: Int32, _ bytes: [UInt8], to target: IPAddress) -> Int32 {
        /// sendto(2) with a socket address of either family.
        func send<Address>(to address: Address) -> Int {
            withUnsafePointer(to: address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<Address>.size))
                }
            }
        }
        let t = target.bytes
        let rc: Int
        if target.isIPv4 {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            withUnsafeMutableBytes(of: &sa.sin_addr) { $0.copyBytes(from: t) }
            rc = send(to: sa)
        } else {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &sa.sin6_addr) { $0.copyBytes(from: t) }
            rc = send(to: sa)
        }
        return rc < 0 ? errno : 0
    }

    /// Sends every probe and waits up to `timeout` seconds for the replies; unanswered probes are
    /// sent again every `retry` seconds (a reply to any copy counts). `namespaces[i]` is the
    /// namespace of source i; nil means the caller's own. The caller's thread never changes namespace.
    /// At most `window` probes are in flight at once (a big L2 domain answers ARP for each).
    public static func run(_ probes: [Probe], namespaces: [NetworkNamespace?], timeout: Double = 1, retry: Double = 0.25,
                           window: Int = 256) throws -> [Result] {
        var results = probes.map { Result(probe: $0, rtt: nil, error: nil) }
        guard !probes.isEmpty else { return results }
        // Sockets per source namespace, opened inside it.
        var sockets: [Int: Sockets] = [:]
        var bySource: [Int: [Int]] = [:]
        for (i, p) in probes.enumerated() { bySource[p.source, default: []].append(i) }
        for (src, idxs) in bySource {
            let v4 = idxs.contains { probes[$0].target.isIPv4 }
            let v6 = idxs.contains { !probes[$0].target.isIPv4 }
            let id = UInt16.random(in: 1...0xffff)
            if let ns = namespaces[src] {
                sockets[src] = try ns.run { try openSockets(needV4: v4, needV6: v6, identifier: id) }
            } else {
                sockets[src] = try openSockets(needV4: v4, needV6: v6, identifier: id)
            }
        }
        // Sequence numbers index the probes of one source.
        var pending = Set(probes.indices)
        var sentAt = [Double](repeating: 0, count: probes.count)
        var firstSent = [Double](repeating: 0, count: probes.count)
        func sendOne(_ i: Int, now: Double) {
            let p = probes[i]
            let s = sockets[p.source]!
            let seq = UInt16(truncatingIfNeeded: bySource[p.source]!.firstIndex(of: i)!)
            let fd = p.target.isIPv4 ? s.v4 : s.v6
            let e = send(fd, request(v4: p.target.isIPv4, identifier: s.identifier, sequence: seq), to: p.target)
            if e != 0 && e != EAGAIN { results[i].error = Errno(rawValue: e).messageAndName }
            if firstSent[i] == 0 { firstSent[i] = now }
            sentAt[i] = now
        }
        // At most `window` probes in flight; each has `timeout` from its first send.
        var queue = Array(probes.indices.reversed())
        pending = []
        func refill(_ now: Double) {
            while pending.count < window, let i = queue.popLast() {
                sendOne(i, now: now)
                if results[i].error == nil { pending.insert(i) }
            }
        }
        refill(monotonicSeconds())
        var fds: [pollfd] = []
        var fdInfo: [(source: Int, v4: Bool)] = []
        for (src, s) in sockets {
            if s.v4 >= 0 { fds.append(pollfd(fd: s.v4, events: Int16(POLLIN), revents: 0)); fdInfo.append((src, true)) }
            if s.v6 >= 0 { fds.append(pollfd(fd: s.v6, events: Int16(POLLIN), revents: 0)); fdInfo.append((src, false)) }
        }
        var buf = [UInt8](repeating: 0, count: 2048)
        while !pending.isEmpty || !queue.isEmpty {
            var now = monotonicSeconds()
            for i in pending where now - firstSent[i] >= timeout { pending.remove(i) }
            refill(now)
            if pending.isEmpty { continue }
            now = monotonicSeconds()
            for i in pending where now - sentAt[i] >= retry { sendOne(i, now: now) }
            let nextDeadline = pending.map { min(firstSent[$0] + timeout, sentAt[$0] + retry) }.min() ?? now
            let n = poll(&fds, nfds_t(fds.count), Int32(max(1, min(retry, nextDeadline - now) * 1000)))
            if n <= 0 { continue }
            for (k, f) in fds.enumerated() where f.revents & Int16(POLLIN) != 0 {
                let (src, v4) = fdInfo[k]
                let s = sockets[src]!
                while true {
                    var from = sockaddr_storage()
                    var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    let got = withUnsafeMutablePointer(to: &from) { p in
                        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(f.fd, &buf, buf.count, 0, $0, &len) }
                    }
                    if got <= 0 { break }
                    var off = 0
                    if v4 { off = Int(buf[0] & 0x0f) * 4 }
                    guard got >= off + 8 else { continue }
                    let type = buf[off]
                    guard type == (v4 ? 0 : 129) else { continue }
                    let id = UInt16(buf[off + 4]) << 8 | UInt16(buf[off + 5])
                    let seq = Int(UInt16(buf[off + 6]) << 8 | UInt16(buf[off + 7]))
                    guard id == s.identifier, let list = bySource[src], seq < list.count else { continue }
                    let i = list[seq]
                    // The reply must come from the target itself.
                    let sender: IPAddress? = withUnsafeBytes(of: &from) { raw in
                        if v4 { return IPAddress(bytes: raw[4..<8]) }
                        return IPAddress(bytes: raw[8..<24])
                    }
                    guard sender == probes[i].target, pending.contains(i) else { continue }
                    results[i].rtt = monotonicSeconds() - firstSent[i]
                    results[i].error = nil
                    pending.remove(i)
                }
            }
        }
        withExtendedLifetime(sockets) {}
        return results
    }
}
