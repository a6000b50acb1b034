import CLinuxUAPI
import Netlink

/// An 802.1Q (or 802.1ad) VLAN device on a parent link
/// (`ip link add NAME link PARENT type vlan [protocol 802.1Q|802.1ad] id N`): frames it sends
/// leave the parent tagged with `id`; tagged frames arriving on the parent come out of it.
public struct VLAN: LinkKind, Hashable {
    /// The tag protocol (IFLA_VLAN_PROTOCOL, the EtherType in network order on the wire).
    public struct TagProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// 802.1Q (EtherType 0x8100), the kernel's default.
        public static let dot1Q = TagProtocol(rawValue: UInt16(ETH_P_8021Q))
        /// 802.1ad (EtherType 0x88a8), the service tag of Q-in-Q.
        public static let dot1AD = TagProtocol(rawValue: UInt16(ETH_P_8021AD))

        /// `802.1Q` / `802.1ad` (iproute2's names; accepted case-insensitively); nil for others.
        public init?(name: String) {
            switch name.lowercased() {
            case "802.1q": self = .dot1Q
            case "802.1ad": self = .dot1AD
            default: return nil
            }
        }

        /// iproute2's name, or the EtherType in hex for another protocol.
        public var description: String {
            switch self {
            case .dot1Q: "802.1Q"
            case .dot1AD: "802.1ad"
            default: "0x" + String(rawValue, radix: 16)
            }
        }
    }

    /// VLAN_FLAG_* (IFLA_VLAN_FLAGS).
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Hand frames up untagged (the kernel's default, on).
        public static let reorderHeader = Flags(rawValue: UInt32(VLAN_FLAG_REORDER_HDR.rawValue))
        /// Register the VLAN with GVRP.
        public static let gvrp = Flags(rawValue: UInt32(VLAN_FLAG_GVRP.rawValue))
        /// Do not follow the parent's operational state.
        public static let looseBinding = Flags(rawValue: UInt32(VLAN_FLAG_LOOSE_BINDING.rawValue))
        /// Register the VLAN with MVRP.
        public static let mvrp = Flags(rawValue: UInt32(VLAN_FLAG_MVRP.rawValue))
        /// Follow the state of bridge ports in this VLAN.
        public static let bridgeBinding = Flags(rawValue: UInt32(VLAN_FLAG_BRIDGE_BINDING.rawValue))
        static let all: Flags = [.reorderHeader, .gvrp, .looseBinding, .mvrp, .bridgeBinding]
    }

    /// The valid VLAN ids (0 is the priority tag, 4095 reserved).
    public static let idRange: ClosedRange<UInt16> = 1...4094

    /// The parent link (IFLA_LINK).
    public var parent: LinkReference?
    /// The VLAN id, 1...4094 (IFLA_VLAN_ID).
    public var id: UInt16
    /// The tag protocol (IFLA_VLAN_PROTOCOL).
    public var `protocol`: TagProtocol
    /// Flags to set at creation (nil: the kernel's default, reorder_hdr on). When decoded: the
    /// flags the kernel reports.
    public var flags: Flags?

    /// A VLAN `id` on `parent`.
    public init(parent: LinkReference, id: UInt16, protocol: TagProtocol = .dot1Q, flags: Flags? = nil) {
        self.parent = parent
        self.id = id
        self.protocol = `protocol`
        self.flags = flags
    }

    public var kindName: String { "vlan" }
    public var hasInfoData: Bool { true }

    public func validate() throws {
        guard parent != nil else { throw InvalidInput("vlan", "id \(id)", "needs a parent link") }
        try validateParent()
        guard Self.idRange.contains(id) else {
            throw InvalidInput("VLAN id", String(id), "must be \(Self.idRange.lowerBound)...\(Self.idRange.upperBound)")
        }
        guard `protocol` == .dot1Q || `protocol` == .dot1AD else {
            throw InvalidInput("VLAN protocol", `protocol`.description, "must be 802.1Q or 802.1ad")
        }
        if let flags { try Self.validate(flags) }
    }

    static func validate(_ flags: Flags) throws {
        guard Flags.all.isSuperset(of: flags) else {
            throw InvalidInput("VLAN flags", "0x" + String(flags.rawValue, radix: 16), "unknown flag bits")
        }
    }

    /// As iproute2 writes it: protocol, then id, then flags.
    public func encodeInfoData(into m: inout MessageWriter) throws {
        m.attribute(UInt16(IFLA_VLAN_PROTOCOL), bigEndian: `protocol`.rawValue)
        m.attribute(UInt16(IFLA_VLAN_ID), uint16: id)
        if let flags { m.vlanFlags(flags, mask: Flags.all) }
    }

    /// Decodes IFLA_INFO_DATA of a vlan; `parent` is the link's IFLA_LINK. Nil without an id.
    init?(infoData: ArraySlice<UInt8>, parent: Int32?) throws {
        var id: UInt16?, proto = TagProtocol.dot1Q, flags: Flags?
        try AttributeList.scan(infoData) { a in
            switch Int(a.type) {
            case Int(IFLA_VLAN_ID): id = a.uint16
            case Int(IFLA_VLAN_PROTOCOL): if let p = a.bigEndianUInt16 { proto = TagProtocol(rawValue: p) }
            case Int(IFLA_VLAN_FLAGS): if let f = a.uint32 { flags = Flags(rawValue: f) }
            default: break
            }
        }
        guard let id else { return nil }
        (self.parent, self.id, self.protocol, self.flags) = (parent.map { .index($0) }, id, proto, flags)
    }

    /// What the kernel can change on an existing vlan (`vlan_changelink` applies IFLA_VLAN_FLAGS
    /// and the QoS maps; it ignores a new id or protocol, so those are not offered: delete and
    /// create again).
    public struct Change: LinkKindChange, Hashable {
        /// Flags to turn on.
        public var set: Flags
        /// Flags to turn off.
        public var clear: Flags

        public init(set: Flags = [], clear: Flags = []) {
            self.set = set
            self.clear = clear
        }

        public var kindName: String { "vlan" }

        public func validate() throws {
            try VLAN.validate(set)
            try VLAN.validate(clear)
            if !set.intersection(clear).isEmpty {
                throw InvalidInput("VLAN flags", "0x" + String(set.intersection(clear).rawValue, radix: 16), "both set and cleared")
            }
        }

        public func encodeInfoData(into m: inout MessageWriter) throws {
            m.vlanFlags(set, mask: set.union(clear))
        }
    }
}

extension MessageWriter {
    /// IFLA_VLAN_FLAGS: `struct ifla_vlan_flags { __u32 flags; __u32 mask; }` (if_link.h), in host
    /// order. Written as two UInt32s, not through the imported C struct: Swift 6.3.1's release
    /// build (cross-module optimisation) crashes deserialising the struct's BitwiseCopyable
    /// conformance in modules that inline this.
    mutating func vlanFlags(_ flags: VLAN.Flags, mask: VLAN.Flags) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8)
        withUnsafeBytes(of: flags.rawValue) { bytes += $0 }
        withUnsafeBytes(of: mask.rawValue) { bytes += $0 }
        attribute(UInt16(IFLA_VLAN_FLAGS), bytes)
    }

    /// A 16-bit attribute in network byte order (as the kernel's `__be16` attributes).
    mutating func attribute(_ type: UInt16, bigEndian v: UInt16) {
        attribute(type, [UInt8(v >> 8), UInt8(v & 0xff)])
    }
}

extension Attribute {
    /// The payload as a `__be16`; nil when shorter.
    var bigEndianUInt16: UInt16? {
        guard value.count >= 2 else { return nil }
        return UInt16(value[value.startIndex]) << 8 | UInt16(value[value.startIndex + 1])
    }
}
