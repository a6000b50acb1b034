import CLinuxUAPI
import Netlink

/// A MAC-address-based virtual device on a parent link
/// (`ip link add NAME link PARENT type macvlan mode MODE`): its own MAC address on the parent's
/// wire; `mode` says whether macvlans of one parent reach each other.
public struct MACVLAN: LinkKind, Hashable {
    /// MACVLAN_MODE_* (IFLA_MACVLAN_MODE).
    public struct Mode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// No traffic between macvlans of the parent.
        public static let `private` = Mode(rawValue: MACVLAN_MODE_PRIVATE.rawValue)
        /// Traffic between macvlans goes out through the parent (to a reflective relay).
        public static let vepa = Mode(rawValue: MACVLAN_MODE_VEPA.rawValue)
        /// macvlans of the parent reach each other directly.
        public static let bridge = Mode(rawValue: MACVLAN_MODE_BRIDGE.rawValue)
        /// One macvlan takes the parent over (and its MAC address).
        public static let passthru = Mode(rawValue: MACVLAN_MODE_PASSTHRU.rawValue)
        /// Only frames from listed source MAC addresses.
        public static let source = Mode(rawValue: MACVLAN_MODE_SOURCE.rawValue)

        /// The modes `vethctl` and topology files accept, by iproute2's names.
        public static let named: [(String, Mode)] = [("private", .private), ("vepa", .vepa), ("bridge", .bridge), ("passthru", .passthru)]

        /// The mode iproute2 calls `name` (private, vepa, bridge, passthru, source).
        public init?(name: String) {
            if name == "source" { self = .source; return }
            guard let m = Self.named.first(where: { $0.0 == name }) else { return nil }
            self = m.1
        }

        public var description: String {
            if self == .source { return "source" }
            return Self.named.first { $0.1 == self }?.0 ?? String(rawValue)
        }
    }

    /// The parent link (IFLA_LINK).
    public var parent: LinkReference?
    /// The mode (IFLA_MACVLAN_MODE).
    public var mode: Mode

    /// A macvlan on `parent` in `mode`.
    public init(parent: LinkReference, mode: Mode = .bridge) {
        self.parent = parent
        self.mode = mode
    }

    public var kindName: String { "macvlan" }
    public var hasInfoData: Bool { true }

    public func validate() throws {
        guard parent != nil else { throw InvalidInput("macvlan", "mode \(mode)", "needs a parent link") }
        try validateParent()
        try Self.validate(mode)
    }

    static func validate(_ mode: Mode) throws {
        guard [.private, .vepa, .bridge, .passthru, .source].contains(mode) else {
            throw InvalidInput("macvlan mode", mode.description, "must be private, vepa, bridge, passthru or source")
        }
    }

    public func encodeInfoData(into m: inout MessageWriter) throws {
        m.attribute(UInt16(IFLA_MACVLAN_MODE), uint32: mode.rawValue)
    }

    /// Decodes IFLA_INFO_DATA of a macvlan; `parent` is the link's IFLA_LINK. Nil without a mode.
    init?(infoData: ArraySlice<UInt8>, parent: Int32?) throws {
        var mode: Mode?
        try AttributeList.scan(infoData) { a in
            if a.type == UInt16(IFLA_MACVLAN_MODE), let v = a.uint32 { mode = Mode(rawValue: v) }
        }
        guard let mode else { return nil }
        (self.parent, self.mode) = (parent.map { .index($0) }, mode)
    }

    /// A new mode for an existing macvlan (`macvlan_changelink` takes it, except into or out of
    /// passthru, which the kernel refuses with EINVAL).
    public struct Change: LinkKindChange, Hashable {
        public var mode: Mode
        public init(mode: Mode) { self.mode = mode }
        public var kindName: String { "macvlan" }
        public func validate() throws { try MACVLAN.validate(mode) }
        public func encodeInfoData(into m: inout MessageWriter) throws {
            m.attribute(UInt16(IFLA_MACVLAN_MODE), uint32: mode.rawValue)
        }
    }
}
