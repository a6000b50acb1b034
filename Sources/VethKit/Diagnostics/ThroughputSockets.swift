import CLinuxUAPI
import Glibc
import Netlink

/// The socket calls a throughput test makes: sockets opened inside a namespace (on a dedicated
/// thread, when it is not the caller's), addresses of either family, a connect with a time limit.
enum ThroughputSockets {
    /// Opens `count` sockets of `type` (SOCK_STREAM, SOCK_DGRAM) for `family` inside `namespace`
    /// (nil: the calling thread's). All or none: a failure closes those already open.
    static func open(_ count: Int, type: Int32, family: AddressFamily, in namespace: NetworkNamespace?) throws -> [Int32] {
        func openAll() throws -> [Int32] {
            var fds: [Int32] = []
            do {
                for _ in 0..<count {
                    let domain = family == .inet ? AF_INET : AF_INET6
                    fds.append(try syscall("socket(\(family == .inet ? "AF_INET" : "AF_INET6"))") {
                        socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), 0)
                    })
                }
            } catch {
                closeAll(fds)
                throw error
            }
            return fds
        }
        if let namespace { return try namespace.run(openAll) }
        return try openAll()
    }

    static func closeAll(_ fds: [Int32]) {
        for fd in fds where fd >= 0 { close(fd) }
    }

    /// Calls `body` with `address:port` as a `sockaddr` of its family.
    static func withSocketAddress<T>(_ address: IPAddress, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        SocketAddress(address, port: port).withPointer(body)
    }

    /// Binds `fd` to `address:port`; EADDRNOTAVAIL reads as "not an address of that namespace".
    static func bind(_ fd: Int32, _ address: IPAddress, port: UInt16, namespace: NetworkNamespace?) throws {
        let rc = withSocketAddress(address, port: port) { Glibc.bind(fd, $0, $1) }
        if rc != 0 {
            let e = Errno.current
            if e == .addressNotAvailable {
                throw NotFound(.address, address.description, in: namespace?.description ?? "(this namespace)")
            }
            throw SystemCallError("bind \(address) port \(port)", e)
        }
    }

    /// The local (`peer` false) or remote port of a socket.
    static func port(of fd: Int32, peer: Bool = false) throws -> UInt16 {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try syscall(peer ? "getpeername" : "getsockname") {
            withUnsafeMutablePointer(to: &ss) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { peer ? getpeername(fd, $0, &len) : getsockname(fd, $0, &len) }
            }
        }
        // sin_port and sin6_port sit at the same offset.
        return withUnsafeBytes(of: &ss) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    /// Connects every socket in `fds` to `address:port` at once, waiting at most `timeout` seconds
    /// for all of them; the sockets are blocking again afterwards. Throws the first failure.
    static func connect(_ fds: [Int32], to address: IPAddress, port: UInt16, timeout: Double) throws {
        for fd in fds {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            let rc = withSocketAddress(address, port: port) { Glibc.connect(fd, $0, $1) }
            if rc != 0 && errno != EINPROGRESS {
                throw SystemCallError("connect to \(address) port \(port)", Errno.current)
            }
        }
        var waiting = fds.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
        let deadline = monotonicSeconds() + timeout
        while !waiting.isEmpty {
            let left = deadline - monotonicSeconds()
            if left <= 0 {
                throw ConnectTimedOut(address: address, port: port, seconds: timeout)
            }
            let n = poll(&waiting, nfds_t(waiting.count), Int32(max(1, left * 1000)))
            if n < 0 && errno != EINTR { throw SystemCallError("poll") }
            var still: [pollfd] = []
            for p in waiting {
                if p.revents == 0 { still.append(pollfd(fd: p.fd, events: p.events, revents: 0)); continue }
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len)
                if err != 0 { throw SystemCallError("connect to \(address) port \(port)", Errno(rawValue: err)) }
            }
            waiting = still
        }
        for fd in fds {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        }
    }

    /// SO_SNDTIMEO or SO_RCVTIMEO: a blocking call returns EAGAIN after `seconds`, so a worker
    /// thread looks at its deadline at least that often.
    static func setTimeout(_ fd: Int32, _ option: Int32, seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
}

/// No connection to the receiver within the time limit (nothing answered: no route, a filter, a
/// neighbour that never resolved).
public struct ConnectTimedOut: CategorizedError, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    public var seconds: Double
    public var category: ErrorCategory { .system }
    public var description: String { "connect to \(address) port \(port): no answer in \(seconds) s" }
}
