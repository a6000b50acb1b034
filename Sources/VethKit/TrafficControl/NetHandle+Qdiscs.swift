import CLinuxUAPI
import Netlink

extension NetHandle {
    /// Every qdisc of the namespace, or of `link`'s device, with counters (one RTM_GETQDISC
    /// dump, as `tc -s qdisc show [dev NAME]`). The kernel's built-in defaults that tc does
    /// not list either (a veth's `noqueue`) are not in it. Throws ``NotFound`` for a missing link.
    public func qdiscs(link: LinkReference? = nil) throws -> [Qdisc] {
        let index = try link.map { try self.index(of: $0) }
        let all = try socket.dump(Self.qdiscDumpRequest(linkIndex: index ?? 0)).compactMap { m in
            m.type == UInt16(RTM_NEWQDISC) ? try Qdisc(message: m) : nil
        }
        guard let index else { return all }
        return all.filter { $0.linkIndex == index }
    }

    /// The dump request: RTM_GETQDISC with a `tcmsg` naming the device (0: all; the kernel
    /// filters by it under NETLINK_GET_STRICT_CHK, and ``qdiscs(link:)`` filters again).
    static func qdiscDumpRequest(linkIndex: Int32) -> MessageWriter {
        var m = MessageWriter(type: UInt16(RTM_GETQDISC))
        var t = tcmsg()
        t.tcm_family = UInt8(AF_UNSPEC)
        t.tcm_ifindex = linkIndex
        m.append(header: t)
        return m
    }

    /// Attaches a qdisc (`tc qdisc add|replace dev LINK parent PARENT handle HANDLE KIND …`).
    /// `replace` sends NLM_F_CREATE|NLM_F_REPLACE (an existing qdisc with that handle and kind
    /// is changed in place; netem then gets every option, so nothing stale survives), otherwise
    /// NLM_F_CREATE|NLM_F_EXCL. The options are validated before anything is sent. This is the
    /// raw operation: it does not check ownership (``impair(_:_:)`` does).
    public func addQdisc(_ options: QdiscOptions, link: LinkReference, parent: QdiscHandle = .root,
                         handle: QdiscHandle = .vethkit, replace: Bool = false) throws {
        try options.validate()
        let index = try self.index(of: link)
        var m = MessageWriter(capacity: 1200)
        Self.encodeAddQdisc(options, linkIndex: index, parent: parent, handle: handle, replace: replace, complete: replace, into: &m)
        try socket.request(m)
    }

    /// Deletes a qdisc (`tc qdisc del dev LINK parent PARENT handle HANDLE`). The kernel refuses
    /// when the qdisc at `parent` has another handle ("Invalid handle", ENOENT: ``NotFound``),
    /// so the default handle deletes only VethKit's. Raw: no ownership check beyond that.
    public func deleteQdisc(link: LinkReference, parent: QdiscHandle = .root, handle: QdiscHandle = .vethkit) throws {
        let index = try self.index(of: link)
        var m = MessageWriter(capacity: 64)
        Self.encodeDeleteQdisc(linkIndex: index, parent: parent, handle: handle, into: &m)
        try socket.request(m)
    }

    /// RTM_NEWQDISC as the next message of `m` (`complete`: netem's every option, for a change in place).
    static func encodeAddQdisc(_ options: QdiscOptions, linkIndex: Int32, parent: QdiscHandle, handle: QdiscHandle,
                               replace: Bool, complete: Bool, into m: inout MessageWriter) {
        m.begin(type: UInt16(RTM_NEWQDISC), flags: Int32(NLM_F_CREATE) | (replace ? Int32(NLM_F_REPLACE) : Int32(NLM_F_EXCL)))
        var t = tcmsg()
        t.tcm_family = UInt8(AF_UNSPEC)
        t.tcm_ifindex = linkIndex
        t.tcm_handle = handle.rawValue
        t.tcm_parent = parent.rawValue
        m.append(header: t)
        options.encode(into: &m, complete: complete)
    }

    /// RTM_DELQDISC as the next message of `m`.
    static func encodeDeleteQdisc(linkIndex: Int32, parent: QdiscHandle, handle: QdiscHandle, into m: inout MessageWriter) {
        m.begin(type: UInt16(RTM_DELQDISC))
        var t = tcmsg()
        t.tcm_family = UInt8(AF_UNSPEC)
        t.tcm_ifindex = linkIndex
        t.tcm_handle = handle.rawValue
        t.tcm_parent = parent.rawValue
        m.append(header: t)
    }
}
