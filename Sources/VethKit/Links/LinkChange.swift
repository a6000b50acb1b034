import CLinuxUAPI
import Glibc
import Netlink

/// Changes to an existing link, applied in one RTM_NEWLINK request (`ip link set`).
public struct LinkChange: Sendable {
    /// Administrative state: true = up, false = down, nil = unchanged.
    public var up: Bool?
    /// A new MTU (IFLA_MTU).
    public var mtu: UInt32?
    /// A new hardware address (IFLA_ADDRESS).
    public var address: MACAddress?
    /// A new name.
    public var name: InterfaceName?
    /// A new alias (IFLA_IFALIAS, up to 255 bytes).
    public var alias: String?
    /// A new link group (IFLA_GROUP).
    public var group: UInt32?
    /// A new master, or none.
    public enum Master: Hashable, Sendable {
        /// Enslave to this bridge (`ip link set … master BR`).
        case set(LinkReference)
        /// Release from its master (`ip link set … nomaster`). Not called `none`, which
        /// `change.master = .none` would read as Optional's (no change at all).
        case nomaster
    }

    /// Enslave (``Master/set(_:)``) or release (``Master/nomaster``); nil leaves it alone.
    public var master: Master?
    /// Move the link into this namespace.
    public var namespace: NetworkNamespace?
    /// Promiscuous mode.
    public var promiscuous: Bool?
    /// A change to the kind's own options (``MACVLAN/Change``, ``VXLAN/Change``…): the link
    /// must be of that kind (the kernel refuses another with EOPNOTSUPP).
    public var kindChange: (any LinkKindChange)?

    /// A change of the given fields; nil fields stay as they are.
    public init(up: Bool? = nil, mtu: UInt32? = nil, address: MACAddress? = nil, name: InterfaceName? = nil,
                alias: String? = nil, group: UInt32? = nil, master: Master? = nil,
                namespace: NetworkNamespace? = nil, promiscuous: Bool? = nil, kindChange: (any LinkKindChange)? = nil) {
        self.up = up
        self.mtu = mtu
        self.address = address
        self.name = name
        self.alias = alias
        self.group = group
        self.master = master
        self.namespace = namespace
        self.promiscuous = promiscuous
        self.kindChange = kindChange
    }

    /// True when nothing would change.
    public var isEmpty: Bool {
        up == nil && mtu == nil && address == nil && name == nil && alias == nil && group == nil
            && master == nil && namespace == nil && promiscuous == nil && kindChange == nil
    }

    /// Checks what can be checked before any syscall.
    public func validate() throws {
        // The range is the device's own (Link.mtuRange, from the kernel: `lo` takes 65536 and
        // more); only what no device accepts is refused here (the kernel's MTU is an int).
        if let mtu, mtu > UInt32(Int32.max) { throw InvalidInput("MTU", String(mtu), "must be at most \(Int32.max)") }
        if let alias, alias.utf8.count > 255 { throw InvalidInput("alias", alias, "longer than 255 bytes") }
        if case .set(.index(let i))? = master, i <= 0 { throw InvalidInput("master", "#\(i)", "an interface index is positive") }
        try kindChange?.validate()
    }

    /// The master's index once resolved: 0 for nomaster, nil for no change or a name not resolved.
    var masterIndex: Int32? {
        switch master {
        case .set(.index(let i))?: i
        case .nomaster?: 0
        default: nil
        }
    }

    /// The RTM_NEWLINK request for the link with `index` (tests compare its bytes).
    func request(index: Int32) -> MessageWriter {
        var m = MessageWriter(capacity: 64)
        try? encode(index: index, into: &m)
        return m
    }

    /// Writes the RTM_NEWLINK request for the link with `index` as the next message of `m`
    /// (a master named by name is resolved by ``NetHandle`` first).
    func encode(index: Int32, into m: inout MessageWriter) throws {
        m.begin(type: UInt16(RTM_NEWLINK))
        var info = ifinfomsg()
        info.ifi_family = UInt8(AF_UNSPEC)
        info.ifi_index = index
        if let up {
            info.ifi_change |= UInt32(IFF_UP.rawValue)
            if up { info.ifi_flags |= UInt32(IFF_UP.rawValue) }
        }
        if let promiscuous {
            info.ifi_change |= UInt32(IFF_PROMISC.rawValue)
            if promiscuous { info.ifi_flags |= UInt32(IFF_PROMISC.rawValue) }
        }
        m.append(header: info)
        m.linkAttributes(namespace: namespace, name: name, mtu: mtu, address: address, alias: alias, group: group,
                         masterIndex: masterIndex)
        try kindChange?.encode(into: &m)
    }
}
