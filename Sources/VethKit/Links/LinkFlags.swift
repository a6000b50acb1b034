import CLinuxUAPI

/// The interface flags (`ifi_flags`: IFF_UP, IFF_LOWER_UP, …).
public struct LinkFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let up = LinkFlags(rawValue: UInt32(IFF_UP.rawValue))
    public static let running = LinkFlags(rawValue: UInt32(IFF_RUNNING.rawValue))
    public static let broadcast = LinkFlags(rawValue: UInt32(IFF_BROADCAST.rawValue))
    public static let loopback = LinkFlags(rawValue: UInt32(IFF_LOOPBACK.rawValue))
    public static let pointToPoint = LinkFlags(rawValue: UInt32(IFF_POINTOPOINT.rawValue))
    public static let noARP = LinkFlags(rawValue: UInt32(IFF_NOARP.rawValue))
    public static let promiscuous = LinkFlags(rawValue: UInt32(IFF_PROMISC.rawValue))
    public static let allMulticast = LinkFlags(rawValue: UInt32(IFF_ALLMULTI.rawValue))
    public static let multicast = LinkFlags(rawValue: UInt32(IFF_MULTICAST.rawValue))
    public static let lowerUp = LinkFlags(rawValue: UInt32(IFF_LOWER_UP.rawValue))
    public static let dormant = LinkFlags(rawValue: UInt32(IFF_DORMANT.rawValue))

    /// The flag names as iproute2 prints them, in its order.
    public var names: [String] {
        var out: [String] = []
        if contains(.up) && !contains(.running) { out.append("NO-CARRIER") }
        if contains(.loopback) { out.append("LOOPBACK") }
        if contains(.broadcast) { out.append("BROADCAST") }
        if contains(.pointToPoint) { out.append("POINTOPOINT") }
        if contains(.multicast) { out.append("MULTICAST") }
        if contains(.noARP) { out.append("NOARP") }
        if contains(.allMulticast) { out.append("ALLMULTI") }
        if contains(.promiscuous) { out.append("PROMISC") }
        if contains(.up) { out.append("UP") }
        if contains(.lowerUp) { out.append("LOWER_UP") }
        if contains(.dormant) { out.append("DORMANT") }
        return out
    }
}

/// RFC 2863 operational state (IFLA_OPERSTATE), named as iproute2 prints it.
public struct OperationalState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unknown = OperationalState(rawValue: UInt8(IF_OPER_UNKNOWN))
    public static let notPresent = OperationalState(rawValue: UInt8(IF_OPER_NOTPRESENT))
    public static let down = OperationalState(rawValue: UInt8(IF_OPER_DOWN))
    public static let lowerLayerDown = OperationalState(rawValue: UInt8(IF_OPER_LOWERLAYERDOWN))
    public static let testing = OperationalState(rawValue: UInt8(IF_OPER_TESTING))
    public static let dormant = OperationalState(rawValue: UInt8(IF_OPER_DORMANT))
    public static let up = OperationalState(rawValue: UInt8(IF_OPER_UP))

    public var description: String {
        switch self {
        case .notPresent: "NOTPRESENT"
        case .down: "DOWN"
        case .lowerLayerDown: "LOWERLAYERDOWN"
        case .testing: "TESTING"
        case .dormant: "DORMANT"
        case .up: "UP"
        default: "UNKNOWN"
        }
    }
}
