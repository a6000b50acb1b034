import CLinuxUAPI

extension NetlinkSocket {
    /// Sends `count` requests, `perSend` per `sendmsg`, each with NLM_F_ACK, and returns for each
    /// (in order) the replies the kernel sent before its ACK — or its refusal. Like
    /// ``requestBatch(count:perSend:encode:)``, for questions whose answers matter (RTM_GETNSID
    /// for many namespaces: one datagram out, the answers back together). A refusal of one
    /// request does not stop the others.
    public func requestBatchWithReplies(count: Int, perSend: Int = 64,
                                        encode: (Int, inout MessageWriter) throws -> Void) throws -> [Result<[NetlinkMessage], KernelError>] {
        try batch(count: count, perSend: perSend, bytesPerRequest: 64, keepingReplies: true, encode: encode)
    }
}

extension NetlinkSocket {
    /// Sends a dump request and `count` single-object GET requests in one datagram, and returns
    /// the dump's parts and each request's answer: its one reply message, or the kernel's refusal.
    /// The requests carry no NLM_F_ACK (a GET of one object is answered by exactly one message),
    /// so the whole exchange is one `sendmsg` and the fewest reads. A dump the kernel marks
    /// interrupted (NLM_F_DUMP_INTR) is run again alone, as ``dump(_:)`` does.
    public func dump(_ message: MessageWriter, withQuestions count: Int,
                     encode: (Int, inout MessageWriter) throws -> Void) throws -> (parts: [NetlinkMessage], answers: [Result<NetlinkMessage, KernelError>]) {
        let (parts, answers, interrupted): ([NetlinkMessage], [Result<NetlinkMessage, KernelError>], Bool) = try state.withLock { state in
            let dumpSeq = state.nextSequence()
            var datagram = MessageWriter(capacity: message.bytes.count + count * 64)
            datagram.append(messagesOf: message)
            datagram.stamp(sequence: dumpSeq, addingFlags: UInt16(NLM_F_DUMP))
            let firstSeq = state.sequence &+ 1
            for i in 0..<count {
                try encode(i, &datagram)
                datagram.stamp(sequence: state.nextSequence(), addingFlags: 0)
            }
            try send(datagram.bytes)
            var parts: [NetlinkMessage] = []
            var answers = [Result<NetlinkMessage, KernelError>?](repeating: nil, count: count)
            var pending = count
            var done = false, interrupted = false
            while !done || pending > 0 {
                for m in try receive(&state) {
                    if m.sequence == dumpSeq, !done {
                        if m.isDumpInterrupted { interrupted = true }
                        switch Int32(m.type) {
                        case NLMSG_DONE: done = true
                        case NLMSG_ERROR:
                            if let error = try Self.kernelError(m) { throw error }
                            done = true
                        default: parts.append(m)
                        }
                        continue
                    }
                    let k = Int(m.sequence &- firstSeq)
                    guard k >= 0, k < count, answers[k] == nil else { continue }
                    if m.type == UInt16(NLMSG_ERROR), let error = try Self.kernelError(m) {
                        answers[k] = .failure(error)
                    } else {
                        answers[k] = .success(m)
                    }
                    pending -= 1
                }
            }
            return (parts, answers.map { $0! }, interrupted)
        }
        if interrupted { return (try dump(message), answers) }
        return (parts, answers)
    }
}
