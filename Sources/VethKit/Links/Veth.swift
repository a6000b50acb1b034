import CLinuxUAPI
import Glibc
import Netlink

/// A veth pair: two Ethernet devices wired back to back. The link being created is one end; the
/// peer is described here (VETH_INFO_PEER: an `ifinfomsg` followed by IFLA_* attributes) and may be
/// created straight into another namespace, in the same request.
public struct Veth: LinkKind {
    /// The peer end.
    public var peer: LinkAttributes

    /// A veth whose other end is `peer` (its name, and optionally its namespace, MTU, address…).
    public init(peer: LinkAttributes) {
        self.peer = peer
    }

    /// A veth whose other end is called `peerName`, optionally placed in `namespace`.
    public init(peerName: InterfaceName, namespace: NetworkNamespace? = nil) {
        peer = LinkAttributes(name: peerName, namespace: namespace)
    }

    public var kindName: String { "veth" }
    public var hasInfoData: Bool { true }

    public func validate() throws {
        try peer.validate()
    }

    public func encodeInfoData(into m: inout MessageWriter) throws {
        try m.nested(UInt16(VETH_INFO_PEER)) { m in
            // No IFF_UP here: the kernel opens the peer before pairing it (ENOTCONN); see NetHandle.addLink.
            m.append(header: peer.creationHeader(up: false))
            try peer.encode(into: &m)
        }
    }
}
