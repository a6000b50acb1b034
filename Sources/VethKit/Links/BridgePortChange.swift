import CLinuxUAPI
import Glibc
import Netlink

/// Changes to a bridge port's settings (`ip link set DEV type bridge_slave …`, or
/// `bridge link set dev DEV …`): sent as an AF_BRIDGE RTM_SETLINK with IFLA_PROTINFO.
public struct BridgePortChange: Sendable {
    /// Hairpin mode: frames may be sent back out of the port they came in on.
    public var hairpin: Bool?
    /// Learn source MAC addresses on this port.
    public var learning: Bool?
    /// Flood unknown-unicast frames to this port.
    public var unicastFlood: Bool?
    /// STP path cost.
    public var cost: UInt32?
    /// STP port priority.
    public var priority: UInt16?

    public init(hairpin: Bool? = nil, learning: Bool? = nil, unicastFlood: Bool? = nil,
                cost: UInt32? = nil, priority: UInt16? = nil) {
        self.hairpin = hairpin
        self.learning = learning
        self.unicastFlood = unicastFlood
        self.cost = cost
        self.priority = priority
    }

    /// The request for the port with `index`.
    public func request(index: Int32) -> MessageWriter {
        var m = MessageWriter(type: UInt16(RTM_SETLINK))
        var info = ifinfomsg()
        info.ifi_family = UInt8(AF_BRIDGE)
        info.ifi_index = index
        m.append(header: info)
        m.nested(UInt16(IFLA_PROTINFO)) { m in
            if let hairpin { m.attribute(UInt16(IFLA_BRPORT_MODE), uint8: hairpin ? 1 : 0) }
            if let learning { m.attribute(UInt16(IFLA_BRPORT_LEARNING), uint8: learning ? 1 : 0) }
            if let unicastFlood { m.attribute(UInt16(IFLA_BRPORT_UNICAST_FLOOD), uint8: unicastFlood ? 1 : 0) }
            if let cost { m.attribute(UInt16(IFLA_BRPORT_COST), uint32: cost) }
            if let priority { m.attribute(UInt16(IFLA_BRPORT_PRIORITY), uint16: priority) }
        }
        return m
    }
}

extension NetHandle {
    /// Changes the bridge-port settings of the link with `index` (it must be enslaved to a bridge).
    public func setBridgePort(index: Int32, _ change: BridgePortChange) throws {
        try socket.request(change.request(index: index))
    }
}
