import CLinuxUAPI
import Glibc
import Netlink

/// What one read of one namespace found: its veths, how many links it has, the alias of its
/// `lo`, and the id it uses for the caller's namespace (the IFLA_LINK_NETNSID its ends with a
/// peer there carry).
struct MachineScanReading {
    var veths: [Link]
    var linkCount: Int
    var loopbackAlias: String?
    /// This namespace's id for the caller's namespace (RTM_GETNSID), nil when it has none.
    var callersID: Int32?
    /// Kept open only when some veth here has its peer neither here nor in the caller's
    /// namespace: that peer's namespace is then found by asking (``MachineScanResolution``).
    var namespace: NetworkNamespace?

    /// True when the veth's peer is in this same namespace.
    static func peerIsLocal(_ l: Link) -> Bool { l.linkNetnsID == nil }
}

enum MachineScanRead {
    /// Reads `d` on the calling worker thread, which it moves into the namespace (setns): one
    /// netlink socket opened there, and one datagram sent: an RTM_GETLINK dump without counters
    /// and (except in the caller's namespace) an RTM_GETNSID for the caller's namespace. Nothing is created or changed (RTM_GETNSID answers from the kernel's table and
    /// never allocates an id). Only for the scan's own worker threads.
    static func read(_ d: DiscoveredNamespace, isCallers: Bool, callers: NetworkNamespace) throws -> MachineScanReading {
        // The caller's own namespace through the scan's open file: its paths may be relative to a
        // thread (/proc/thread-self) that is not this worker.
        let ns = isCallers ? callers : try NamespaceInventory.open(d)
        try ns.enterOnCallingThread()
        let socket = try NetlinkSocket(readingOnly: ())
        // The dump and the question for the caller's namespace go out in one datagram.
        let (parts, answers) = try socket.dump(NetHandle.leanLinkDumpRequest(), withQuestions: isCallers ? 0 : 1) { _, m in
            encodeNamespaceIDQuestion(callers, into: &m)
        }
        var veths: [Link] = []
        var count = 0
        var loopbackAlias: String?
        for m in parts where m.type == UInt16(RTM_NEWLINK) {
            let l = try Link(message: m, statistics: false)
            count += 1
            if l.isVeth { veths.append(l) }
            if l.hardwareType == UInt16(ARPHRD_LOOPBACK) { loopbackAlias = l.alias }
        }
        var reading = MachineScanReading(veths: veths, linkCount: count, loopbackAlias: loopbackAlias)
        if let reply = answers.first {
            reading.callersID = try Self.answer(reply.get())
        }
        if !isCallers, veths.contains(where: { !MachineScanReading.peerIsLocal($0) && $0.linkNetnsID != reading.callersID }) {
            reading.namespace = ns
        }
        return reading
    }

    /// RTM_GETNSID with NETNSA_FD, as the next message of `m`.
    static func encodeNamespaceIDQuestion(_ other: NetworkNamespace, into m: inout MessageWriter) {
        m.begin(type: UInt16(RTM_GETNSID))
        var g = rtgenmsg()
        g.rtgen_family = UInt8(AF_UNSPEC)
        m.append(header: g)
        m.attribute(UInt16(NETNSA_FD), uint32: UInt32(bitPattern: other.fileDescriptor))
    }

    /// The id in an RTM_GETNSID answer (nil for NETNSA_NSID_NOT_ASSIGNED, -1).
    static func answer(_ replies: [NetlinkMessage]) throws -> Int32? {
        for reply in replies { if let id = try answer(reply) { return id } }
        return nil
    }

    static func answer(_ reply: NetlinkMessage) throws -> Int32? {
        guard reply.type == UInt16(RTM_NEWNSID) else { return nil }
        if let id = try reply.attributes(after: rtgenmsg.self)[UInt16(NETNSA_NSID)]?.int32, id >= 0 { return id }
        return nil
    }
}
