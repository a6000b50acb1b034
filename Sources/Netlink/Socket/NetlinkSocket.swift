import CLinuxUAPI
import Glibc
import SystemPackage
import Synchronization

/// A netlink socket (NETLINK_ROUTE by default) that sends requests and reads their answers:
/// ACKs, single replies and multi-part dumps, matched to requests by sequence number.
///
/// A socket belongs to the network namespace it was opened in, for its whole life, whichever
/// thread uses it later. Requests on one socket are serialised by an internal lock, so one socket
/// may be shared between threads.
public final class NetlinkSocket: Sendable {
    /// The file descriptor.
    public let fileDescriptor: Int32
    /// The port id the kernel assigned at bind.
    public let portID: UInt32
    let state: Mutex<State>

    struct State {
        var sequence: UInt32
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        /// Peek at each datagram's size before reading it (false for ``init(readingOnly:)``).
        var peeks = true

        init(sequence: UInt32 = UInt32.random(in: 1...0x7fff_ffff)) { self.sequence = sequence }
    }

    /// How often a dump interrupted by a concurrent change (NLM_F_DUMP_INTR) is retried.
    public static let dumpRetries = 10

    /// Opens and binds a socket in the calling thread's network namespace.
    /// - Parameters:
    ///   - protocol: the netlink family, NETLINK_ROUTE by default.
    ///   - groups: multicast groups to join (RTNLGRP_* numbers), for event monitoring.
    public init(protocol proto: Int32 = NETLINK_ROUTE, groups: [UInt32] = []) throws {
        state = Mutex(State())
        let fd = try syscall("socket(AF_NETLINK)") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
        }
        do {
            var one: Int32 = 1
            // Extended ACK: the kernel explains refusals. CAP_ACK: errors do not echo the request.
            _ = setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, 4)
            _ = setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, 4)
            _ = setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, 4)
            var size: Int32 = 1 << 20
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4)
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, 4)
            var addr = sockaddr_nl()
            addr.nl_family = sa_family_t(AF_NETLINK)
            try withUnsafePointer(to: &addr) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try syscall("bind(AF_NETLINK)") { bind(fd, sa, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
                }
            }
            for group in groups {
                var g = group
                try syscall("setsockopt(NETLINK_ADD_MEMBERSHIP \(group))") {
                    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, 4)
                }
            }
            var len = socklen_t(MemoryLayout<sockaddr_nl>.size)
            try withUnsafeMutablePointer(to: &addr) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try syscall("getsockname(AF_NETLINK)") { getsockname(fd, sa, &len) }
                }
            }
            portID = addr.nl_pid
        } catch {
            close(fd)
            throw error
        }
        fileDescriptor = fd
    }

    /// A socket for reads only (dumps and GET questions, as the machine-wide scan makes in
    /// every namespace): no options, no explicit bind (the kernel binds it at the first send;
    /// ``portID`` is 0), a fixed first sequence number, and each datagram read with one recv into
    /// a 64 KiB buffer (the kernel's dump datagrams are at most 32 KiB; a larger one is an error,
    /// never silently cut). About a third of the system calls of ``init(protocol:groups:)``.
    public init(readingOnly: Void, protocol proto: Int32 = NETLINK_ROUTE) throws {
        fileDescriptor = try syscall("socket(AF_NETLINK)") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
        }
        portID = 0
        var s = State(sequence: 1)
        s.buffer = [UInt8](repeating: 0, count: 64 * 1024)
        s.peeks = false
        state = Mutex(s)
    }

    deinit { close(fileDescriptor) }

    /// Sends one request with NLM_F_ACK and returns the replies that came before the ACK
    /// (none for most changes; the object for a GET or an NLM_F_ECHO request).
    /// Throws ``KernelError`` when the kernel refuses.
    @discardableResult
    public func request(_ message: MessageWriter) throws -> [NetlinkMessage] {
        try state.withLock { state in
            let seq = state.nextSequence()
            var bytes = message.encoded(sequence: seq)
            bytes.storeLE(message.flags | UInt16(NLM_F_ACK), at: 6)
            try send(bytes)
            var replies: [NetlinkMessage] = []
            while true {
                for m in try receive(&state) where m.sequence == seq {
                    if m.type == UInt16(NLMSG_ERROR) {
                        if let error = try Self.kernelError(m) { throw error }
                        return replies
                    }
                    if m.type == UInt16(NLMSG_DONE) { return replies }
                    replies.append(m)
                }
            }
        }
    }

    /// Sends a dump request (NLM_F_DUMP is added) and returns every part up to NLMSG_DONE.
    /// A dump the kernel marks interrupted (NLM_F_DUMP_INTR) is run again, up to ``dumpRetries`` times.
    public func dump(_ message: MessageWriter) throws -> [NetlinkMessage] {
        try state.withLock { state in
            try Self.collectDump(message, nextSequence: { state.nextSequence() }, send: send,
                                 receive: { try receive(&state) })
        }
    }

    /// The dump conversation, apart from the socket (so it can be tested with scripted replies):
    /// send the request, gather the parts of this sequence number up to NLMSG_DONE, and start over
    /// when any part carries NLM_F_DUMP_INTR. Replies to other sequence numbers are skipped.
    static func collectDump(_ message: MessageWriter, nextSequence: () -> UInt32, send: ([UInt8]) throws -> Void,
                            receive: () throws -> [NetlinkMessage]) throws -> [NetlinkMessage] {
        for _ in 0..<dumpRetries {
            let seq = nextSequence()
            var bytes = message.encoded(sequence: seq)
            bytes.storeLE(message.flags | UInt16(NLM_F_DUMP), at: 6)
            try send(bytes)
            var parts: [NetlinkMessage] = []
            var interrupted = false
            var done = false
            while !done {
                for m in try receive() where m.sequence == seq {
                    if m.isDumpInterrupted { interrupted = true }
                    switch Int32(m.type) {
                    case NLMSG_DONE: done = true
                    case NLMSG_ERROR:
                        if let error = try kernelError(m) { throw error }
                        done = true
                    default: parts.append(m)
                    }
                }
            }
            if !interrupted { return parts }
        }
        throw KernelError(errno: .interrupted, message: "dump interrupted \(dumpRetries) times by concurrent changes")
    }

    /// Sends `count` requests, `perSend` per `sendmsg`, each with NLM_F_ACK, and returns one
    /// result per request in order. `encode(i, &writer)` writes request `i` (starting it with
    /// ``MessageWriter/begin(type:flags:)``) straight into the datagram being built, so a batch
    /// costs one buffer, reused for every chunk. A refusal of one request does not stop the others.
    public func requestBatch(count: Int, perSend: Int = 64,
                             encode: (Int, inout MessageWriter) throws -> Void) throws -> [Result<Void, KernelError>] {
        try batch(count: count, perSend: perSend, bytesPerRequest: 160, keepingReplies: false, encode: encode)
            .map { $0.map { _ in () } }
    }

    /// The loop both batch calls share: `count` requests, `perSend` per `sendmsg`, each stamped
    /// with NLM_F_ACK, answered in order by its ACK or refusal, with (`keepingReplies`) the
    /// messages the kernel sent before it. `bytesPerRequest` sizes the one reused datagram buffer.
    func batch(count: Int, perSend: Int, bytesPerRequest: Int, keepingReplies: Bool,
               encode: (Int, inout MessageWriter) throws -> Void) throws -> [Result<[NetlinkMessage], KernelError>] {
        precondition(perSend > 0, "perSend must be positive")
        return try state.withLock { state in
            var results = [Result<[NetlinkMessage], KernelError>](repeating: .success([]), count: count)
            var replies = [[NetlinkMessage]](repeating: [], count: keepingReplies ? min(count, perSend) : 0)
            var datagram = MessageWriter(capacity: min(count, perSend) * bytesPerRequest)
            var start = 0
            while start < count {
                let end = min(start + perSend, count)
                datagram.removeAll()
                let firstSeq = state.sequence &+ 1
                for i in start..<end {
                    try encode(i, &datagram)
                    datagram.stamp(sequence: state.nextSequence(), addingFlags: UInt16(NLM_F_ACK))
                }
                try send(datagram.bytes)
                for k in replies.indices { replies[k].removeAll(keepingCapacity: true) }
                var answered = [Bool](repeating: false, count: end - start)
                var pending = end - start
                while pending > 0 {
                    for m in try receive(&state) {
                        let k = Int(m.sequence &- firstSeq)
                        guard k >= 0, k < end - start, !answered[k] else { continue }
                        if m.type == UInt16(NLMSG_ERROR) {
                            if let error = try Self.kernelError(m) { results[start + k] = .failure(error) }
                            else if keepingReplies { results[start + k] = .success(replies[k]) }
                            answered[k] = true
                            pending -= 1
                        } else if keepingReplies, m.type != UInt16(NLMSG_DONE) {
                            replies[k].append(m)
                        }
                    }
                }
                start = end
            }
            return results
        }
    }

    /// Reads the next datagram's messages (for event monitoring). Blocks.
    public func receiveMessages() throws -> [NetlinkMessage] {
        try state.withLock { state in try receive(&state) }
    }

    func send(_ bytes: [UInt8]) throws {
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let sent = try bytes.withUnsafeBytes { buf in
            try withUnsafePointer(to: &kernel) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try syscall("sendto(netlink)") {
                        sendto(fileDescriptor, buf.baseAddress, buf.count, 0, sa, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
        }
        guard sent == bytes.count else { throw SystemCallError("sendto(netlink): short write", .invalidArgument) }
    }

    /// Receives one datagram, growing the buffer first when the datagram is larger than it.
    func receive(_ state: inout State) throws -> [NetlinkMessage] {
        let fd = fileDescriptor
        if !state.peeks {
            let n = try state.buffer.withUnsafeMutableBytes { buf in
                try syscall("recv(netlink)") { recv(fd, buf.baseAddress, buf.count, Int32(MSG_TRUNC)) }
            }
            guard n <= state.buffer.count else {
                throw SystemCallError("recv(netlink): a \(n)-byte datagram does not fit \(state.buffer.count) bytes", .messageTooLong)
            }
            return try NetlinkMessage.parse(Array(state.buffer[0..<n]))
        }
        let size = try state.buffer.withUnsafeMutableBytes { buf in
            try syscall("recv(netlink)") { recv(fd, buf.baseAddress, buf.count, Int32(MSG_PEEK | MSG_TRUNC)) }
        }
        if size > state.buffer.count {
            state.buffer = [UInt8](repeating: 0, count: size)
        }
        let n = try state.buffer.withUnsafeMutableBytes { buf in
            try syscall("recv(netlink)") { recv(fd, buf.baseAddress, buf.count, 0) }
        }
        return try NetlinkMessage.parse(Array(state.buffer[0..<n]))
    }

    /// Decodes an NLMSG_ERROR: nil for an ACK (error 0), the kernel's refusal otherwise.
    /// Any error code is accepted: the kernel sends a negated errno, but a positive code or
    /// INT32_MIN (whose negation overflows) is kept as its magnitude instead of trapping.
    public static func kernelError(_ m: NetlinkMessage) throws -> KernelError? {
        let code: Int32 = try m.header(Int32.self)
        if code == 0 { return nil }
        let errnoValue = code == Int32.min ? Int32.max : (code < 0 ? -code : code)
        var text: String?
        var offset: UInt32?
        if m.flags & UInt16(NLM_F_ACK_TLVS) != 0 {
            // nlmsgerr = error + the request's nlmsghdr; the request payload too unless capped.
            var skip = MemoryLayout<nlmsgerr>.size
            if m.flags & UInt16(NLM_F_CAPPED) == 0, m.payload.count >= 8 {
                // The echoed request's nlmsg_len, clamped so a hostile length cannot overflow.
                let innerLen = min(Int(m.payload.loadLE(UInt32.self, at: m.payload.startIndex + 4)), m.payload.count)
                skip = 4 + Int(vk_nlmsg_align(UInt32(max(innerLen, 16))))
            }
            if m.payload.count > skip {
                let tlvs = try AttributeList(parsing: m.payload.dropFirst(skip))
                if let a = tlvs[UInt16(NLMSGERR_ATTR_MSG.rawValue)] { text = a.string }
                offset = tlvs[UInt16(NLMSGERR_ATTR_OFFS.rawValue)]?.uint32
            }
        }
        return KernelError(errno: Errno(rawValue: errnoValue), message: text, attributeOffset: offset)
    }
}

extension NetlinkSocket.State {
    mutating func nextSequence() -> UInt32 {
        sequence &+= 1
        if sequence == 0 { sequence = 1 }
        return sequence
    }
}
