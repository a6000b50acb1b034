import CLinuxUAPI
import Glibc
import Netlink

extension NetHandle {
    /// The id this handle's namespace uses for `other` (as in IFLA_LINK_NETNSID), or nil when it
    /// has none assigned (RTM_GETNSID with NETNSA_FD).
    public func namespaceID(of other: NetworkNamespace) throws -> Int32? {
        var m = MessageWriter(type: UInt16(RTM_GETNSID))
        var g = rtgenmsg()
        g.rtgen_family = UInt8(AF_UNSPEC)
        m.append(header: g)
        m.attribute(UInt16(NETNSA_FD), uint32: UInt32(bitPattern: other.fileDescriptor))
        for reply in try socket.request(m) where reply.type == UInt16(RTM_NEWNSID) {
            let attrs = try reply.attributes(after: rtgenmsg.self)
            if let id = attrs[UInt16(NETNSA_NSID)]?.int32, id >= 0 { return id }
        }
        return nil
    }
}
