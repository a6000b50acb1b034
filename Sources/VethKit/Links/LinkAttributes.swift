import CLinuxUAPI
import Netlink

/// The settable attributes of a device at creation: name, placement, MTU, address, group, alias,
/// master, state. Used for the link being created and for a veth's peer.
public struct LinkAttributes: Sendable {
    public var name: InterfaceName
    /// Create the device straight in this namespace (IFLA_NET_NS_FD); nil: the handle's namespace.
    public var namespace: NetworkNamespace?
    public var mtu: UInt32?
    public var address: MACAddress?
    /// Link group (IFLA_GROUP), used for bulk deletion.
    public var group: UInt32?
    /// IFLA_IFALIAS, free text up to 255 bytes.
    public var alias: String?
    /// The master (bridge), in the namespace where the device is created. A name is resolved
    /// (in that namespace) before the request is sent.
    public var master: LinkReference?
    /// Bring the device up at creation.
    public var up: Bool
    /// The transmit queue length.
    public var txQueueLength: UInt32?
    /// The interface index to give the new device (`ifi_index` at creation); nil lets the kernel
    /// choose. Knowing it up front saves a lookup before the next request about the device.
    public var index: Int32?

    public init(name: InterfaceName, namespace: NetworkNamespace? = nil, mtu: UInt32? = nil,
                address: MACAddress? = nil, group: UInt32? = nil, alias: String? = nil,
                master: LinkReference? = nil, up: Bool = false, txQueueLength: UInt32? = nil, index: Int32? = nil) {
        self.name = name
        self.namespace = namespace
        self.mtu = mtu
        self.address = address
        self.group = group
        self.alias = alias
        self.master = master
        self.up = up
        self.txQueueLength = txQueueLength
        self.index = index
    }

    /// Checks what can be checked before any syscall.
    public func validate() throws {
        if case .index(let i)? = master, i <= 0 { throw InvalidInput("master", "#\(i)", "an interface index is positive") }
        if let mtu, mtu < 68 || mtu > 65535 {
            throw InvalidInput("MTU", String(mtu), "must be 68...65535 for a veth, bridge or dummy")
        }
        if let alias, alias.utf8.count > 255 { throw InvalidInput("alias", alias, "longer than 255 bytes") }
    }

    /// The `ifinfomsg` that precedes the attributes at creation: the chosen index, and IFF_UP when
    /// `up` (honoured for a device, refused by the kernel for a veth peer: see NetHandle.addLink).
    func creationHeader(up: Bool) -> ifinfomsg {
        var info = ifinfomsg()
        info.ifi_family = UInt8(AF_UNSPEC)
        info.ifi_index = index ?? 0
        if up {
            info.ifi_flags = UInt32(IFF_UP.rawValue)
            info.ifi_change = UInt32(IFF_UP.rawValue)
        }
        return info
    }

    /// The master's index once resolved (a master named by name is resolved by ``NetHandle`` first).
    var masterIndex: Int32? { if case .index(let i)? = master { i } else { nil } }

    /// Writes the IFLA_* attributes (not the `ifinfomsg`).
    func encode(into m: inout MessageWriter) throws {
        m.linkAttributes(namespace: namespace, name: name, mtu: mtu, address: address, alias: alias, group: group,
                         masterIndex: masterIndex)
        if let txQueueLength { m.attribute(UInt16(IFLA_TXQLEN), uint32: txQueueLength) }
    }
}

extension MessageWriter {
    /// The IFLA_* attributes shared by link creation and change, each only when given.
    mutating func linkAttributes(namespace: NetworkNamespace?, name: InterfaceName?, mtu: UInt32?, address: MACAddress?,
                                 alias: String?, group: UInt32?, masterIndex: Int32?) {
        if let namespace { attribute(UInt16(IFLA_NET_NS_FD), uint32: UInt32(bitPattern: namespace.fileDescriptor)) }
        if let name { attribute(UInt16(IFLA_IFNAME), string: name.rawValue) }
        if let mtu { attribute(UInt16(IFLA_MTU), uint32: mtu) }
        if let address { attribute(UInt16(IFLA_ADDRESS), address.bytes) }
        if let alias { attribute(UInt16(IFLA_IFALIAS), string: alias) }
        if let group { attribute(UInt16(IFLA_GROUP), uint32: group) }
        if let masterIndex { attribute(UInt16(IFLA_MASTER), uint32: UInt32(bitPattern: masterIndex)) }
    }
}
