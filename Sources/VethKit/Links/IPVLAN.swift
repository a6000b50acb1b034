import CLinuxUAPI
import Netlink

/// An IP-address-based virtual device on a parent link
/// (`ip link add NAME link PARENT type ipvlan mode l2|l3|l3s`): it shares the parent's MAC
/// address; frames are told apart by IP address. A parent carries macvlans or ipvlans, not
/// both (the kernel answers EBUSY).
public struct IPVLAN: LinkKind, Hashable {
    /// IPVLAN_MODE_* (IFLA_IPVLAN_MODE).
    public struct Mode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// Layer 2: the ipvlan answers ARP/ND itself; broadcast and multicast reach it.
        public static let l2 = Mode(rawValue: UInt16(IPVLAN_MODE_L2.rawValue))
        /// Layer 3: routed by the parent's stack, no broadcast or multicast.
        public static let l3 = Mode(rawValue: UInt16(IPVLAN_MODE_L3.rawValue))
        /// Layer 3 with netfilter (connection tracking) on the parent.
        public static let l3s = Mode(rawValue: UInt16(IPVLAN_MODE_L3S.rawValue))

        /// `l2`, `l3`, `l3s`.
        public init?(name: String) {
            switch name {
            case "l2": self = .l2
            case "l3": self = .l3
            case "l3s": self = .l3s
            default: return nil
            }
        }

        public var description: String {
            switch self {
            case .l2: "l2"
            case .l3: "l3"
            case .l3s: "l3s"
            default: String(rawValue)
            }
        }
    }

    /// IPVLAN_F_* (IFLA_IPVLAN_FLAGS): how ipvlans of one parent reach each other.
    public struct Isolation: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// Directly (the default: no flag).
        public static let bridge = Isolation(rawValue: 0)
        /// Not at all.
        public static let `private` = Isolation(rawValue: UInt16(IPVLAN_F_PRIVATE))
        /// Through the parent's wire.
        public static let vepa = Isolation(rawValue: UInt16(IPVLAN_F_VEPA))

        public var description: String {
            switch self {
            case .bridge: "bridge"
            case .private: "private"
            case .vepa: "vepa"
            default: String(rawValue)
            }
        }
    }

    /// The parent link (IFLA_LINK).
    public var parent: LinkReference?
    /// The mode (IFLA_IPVLAN_MODE).
    public var mode: Mode
    /// IFLA_IPVLAN_FLAGS.
    public var isolation: Isolation

    /// An ipvlan on `parent` in `mode`.
    public init(parent: LinkReference, mode: Mode = .l3, isolation: Isolation = .bridge) {
        self.parent = parent
        self.mode = mode
        self.isolation = isolation
    }

    public var kindName: String { "ipvlan" }
    public var hasInfoData: Bool { true }

    public func validate() throws {
        guard parent != nil else { throw InvalidInput("ipvlan", "mode \(mode)", "needs a parent link") }
        try validateParent()
        try Self.validate(mode)
        guard [.bridge, .private, .vepa].contains(isolation) else {
            throw InvalidInput("ipvlan flags", isolation.description, "must be bridge, private or vepa")
        }
    }

    static func validate(_ mode: Mode) throws {
        guard [.l2, .l3, .l3s].contains(mode) else { throw InvalidInput("ipvlan mode", mode.description, "must be l2, l3 or l3s") }
    }

    /// As iproute2 writes it: mode, then flags.
    public func encodeInfoData(into m: inout MessageWriter) throws {
        m.attribute(UInt16(IFLA_IPVLAN_MODE), uint16: mode.rawValue)
        m.attribute(UInt16(IFLA_IPVLAN_FLAGS), uint16: isolation.rawValue)
    }

    /// Decodes IFLA_INFO_DATA of an ipvlan; `parent` is the link's IFLA_LINK. Nil without a mode.
    init?(infoData: ArraySlice<UInt8>, parent: Int32?) throws {
        var mode: Mode?, isolation = Isolation.bridge
        try AttributeList.scan(infoData) { a in
            if a.type == UInt16(IFLA_IPVLAN_MODE), let v = a.uint16 { mode = Mode(rawValue: v) }
            if a.type == UInt16(IFLA_IPVLAN_FLAGS), let v = a.uint16 { isolation = Isolation(rawValue: v) }
        }
        guard let mode else { return nil }
        (self.parent, self.mode, self.isolation) = (parent.map { .index($0) }, mode, isolation)
    }

    /// A new mode for an existing ipvlan (`ipvlan_nl_changelink` applies IFLA_IPVLAN_MODE to
    /// the parent's port: every ipvlan of that parent changes with it).
    public struct Change: LinkKindChange, Hashable {
        public var mode: Mode
        public init(mode: Mode) { self.mode = mode }
        public var kindName: String { "ipvlan" }
        public func validate() throws { try IPVLAN.validate(mode) }
        public func encodeInfoData(into m: inout MessageWriter) throws {
            m.attribute(UInt16(IFLA_IPVLAN_MODE), uint16: mode.rawValue)
        }
    }
}
