import CLinuxUAPI
import Netlink

/// A VXLAN tunnel endpoint (`ip link add NAME type vxlan id VNI remote|group IP [local IP]
/// [dev PARENT] dstport PORT [no]learning`): Ethernet frames carried in UDP to `remote` (one
/// peer) or to the multicast `group` (many), optionally bound to an underlay device `parent`.
public struct VXLAN: LinkKind, Hashable {
    /// The largest VXLAN network identifier (24 bits).
    public static let maxID: UInt32 = (1 << 24) - 1
    /// The IANA port (the kernel's own default is Linux's older 8472, so VethKit always sends one).
    public static let ianaPort: UInt16 = 4789

    /// The VXLAN network identifier, 0...2^24-1 (IFLA_VXLAN_ID).
    public var id: UInt32
    /// The one unicast peer (IFLA_VXLAN_GROUP/GROUP6), or nil.
    public var remote: IPAddress?
    /// The multicast group for flooding (IFLA_VXLAN_GROUP/GROUP6), or nil. Not with `remote`.
    public var group: IPAddress?
    /// The source address (IFLA_VXLAN_LOCAL/LOCAL6), or nil: chosen by routing.
    public var local: IPAddress?
    /// The UDP destination port (IFLA_VXLAN_PORT).
    public var port: UInt16
    /// The underlay device (IFLA_VXLAN_LINK), or nil.
    public var parent: LinkReference?
    /// Learn remote MAC addresses from received packets (IFLA_VXLAN_LEARNING; the kernel's default is on).
    public var learning: Bool

    /// A VXLAN with network identifier `id`. Give `remote` or `group`, not both (neither: the
    /// forwarding entries come from `bridge fdb`).
    public init(id: UInt32, remote: IPAddress? = nil, group: IPAddress? = nil, local: IPAddress? = nil,
                port: UInt16 = VXLAN.ianaPort, parent: LinkReference? = nil, learning: Bool = true) {
        self.id = id
        self.remote = remote
        self.group = group
        self.local = local
        self.port = port
        self.parent = parent
        self.learning = learning
    }

    public var kindName: String { "vxlan" }
    public var hasInfoData: Bool { true }
    public var parentIsIFLALink: Bool { false }

    public func validate() throws {
        try validateParent()
        guard id <= Self.maxID else { throw InvalidInput("VXLAN id", String(id), "must be 0...\(Self.maxID) (24 bits)") }
        guard port != 0 else { throw InvalidInput("VXLAN port", "0", "must be 1...65535") }
        try Self.validate(remote: remote, group: group, local: local)
    }

    /// remote xor group, group multicast, remote and local unicast, one address family.
    static func validate(remote: IPAddress?, group: IPAddress?, local: IPAddress?) throws {
        if let remote, group != nil {
            throw InvalidInput("VXLAN remote", remote.description, "give a remote or a group, not both")
        }
        if let group, !group.isMulticast {
            throw InvalidInput("VXLAN group", group.description, "must be a multicast address (224.0.0.0/4 or ff00::/8)")
        }
        if let remote, remote.isMulticast {
            throw InvalidInput("VXLAN remote", remote.description, "must be a unicast address (a multicast one is a group)")
        }
        if let local, local.isMulticast {
            throw InvalidInput("VXLAN local", local.description, "must be a unicast address")
        }
        if let local, let other = remote ?? group, local.family != other.family {
            throw InvalidInput("VXLAN local", local.description, "is not of the same address family as \(other)")
        }
    }

    /// As iproute2 writes it: link, id, local, remote/group, learning, port.
    public func encodeInfoData(into m: inout MessageWriter) throws {
        if let parentIndex { m.attribute(UInt16(IFLA_VXLAN_LINK), uint32: UInt32(bitPattern: parentIndex)) }
        m.attribute(UInt16(IFLA_VXLAN_ID), uint32: id)
        m.vxlanEndpoints(remote: remote ?? group, local: local)
        m.attribute(UInt16(IFLA_VXLAN_LEARNING), uint8: learning ? 1 : 0)
        m.attribute(UInt16(IFLA_VXLAN_PORT), bigEndian: port)
    }

    /// Decodes IFLA_INFO_DATA of a vxlan (a multicast IFLA_VXLAN_GROUP is the group, another the
    /// remote). Nil without an id.
    init?(infoData: ArraySlice<UInt8>) throws {
        var id: UInt32?, peer: IPAddress?, local: IPAddress?, port: UInt16 = 0, parent: Int32?, learning = true
        try AttributeList.scan(infoData) { a in
            switch Int(a.type) {
            case Int(IFLA_VXLAN_ID): id = a.uint32
            case Int(IFLA_VXLAN_GROUP) where a.value.count == 4, Int(IFLA_VXLAN_GROUP6) where a.value.count == 16:
                peer = IPAddress(bytes: a.value)
            case Int(IFLA_VXLAN_LOCAL) where a.value.count == 4, Int(IFLA_VXLAN_LOCAL6) where a.value.count == 16:
                local = IPAddress(bytes: a.value)
            case Int(IFLA_VXLAN_PORT): port = a.bigEndianUInt16 ?? 0
            case Int(IFLA_VXLAN_LINK): parent = a.int32
            case Int(IFLA_VXLAN_LEARNING): learning = (a.uint8 ?? 1) != 0
            default: break
            }
        }
        guard let id else { return nil }
        let isGroup = peer?.isMulticast ?? false
        self.init(id: id, remote: isGroup ? nil : peer, group: isGroup ? peer : nil, local: local, port: port,
                  parent: parent.flatMap { $0 > 0 ? .index($0) : nil }, learning: learning)
    }

    /// What the kernel can change on an existing vxlan (`vxlan_nl2conf` with changelink in 6.1
    /// takes learning, and a new remote, group or local address of the same family; it refuses
    /// a new id or port with EOPNOTSUPP "Cannot change VNI"/"Cannot change port", so those are
    /// not offered: delete and create again).
    public struct Change: LinkKindChange, Hashable {
        /// Learning on or off.
        public var learning: Bool?
        /// A new unicast peer (of the link's address family).
        public var remote: IPAddress?
        /// A new multicast group (of the link's address family). Not with `remote`.
        public var group: IPAddress?
        /// A new source address (of the link's address family).
        public var local: IPAddress?

        public init(learning: Bool? = nil, remote: IPAddress? = nil, group: IPAddress? = nil, local: IPAddress? = nil) {
            self.learning = learning
            self.remote = remote
            self.group = group
            self.local = local
        }

        public var kindName: String { "vxlan" }

        public func validate() throws {
            try VXLAN.validate(remote: remote, group: group, local: local)
            if learning == nil && remote == nil && group == nil && local == nil {
                throw InvalidInput("VXLAN change", "", "changes nothing")
            }
        }

        /// In iproute2's order: local, remote/group, learning.
        public func encodeInfoData(into m: inout MessageWriter) throws {
            m.vxlanEndpoints(remote: remote ?? group, local: local)
            if let learning { m.attribute(UInt16(IFLA_VXLAN_LEARNING), uint8: learning ? 1 : 0) }
        }
    }
}

extension MessageWriter {
    /// IFLA_VXLAN_LOCAL(6) then IFLA_VXLAN_GROUP(6), by family.
    mutating func vxlanEndpoints(remote: IPAddress?, local: IPAddress?) {
        if let local { attribute(UInt16(local.isIPv4 ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6), local.bytes) }
        if let remote { attribute(UInt16(remote.isIPv4 ? IFLA_VXLAN_GROUP : IFLA_VXLAN_GROUP6), remote.bytes) }
    }
}

extension IPAddress {
    /// True for 224.0.0.0/4 and ff00::/8.
    public var isMulticast: Bool {
        switch self {
        case .v4(let v): v >> 28 == 0xe
        case .v6(let hi, _): hi >> 56 == 0xff
        }
    }
}
