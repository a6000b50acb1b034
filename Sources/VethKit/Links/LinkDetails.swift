import CLinuxUAPI
import Glibc
import Netlink

/// What `ip -d link show` adds about a link itself (not its kind): promiscuity and allmulti
/// counts, link mode, queue counts, segmentation limits, the IPv6 address generation mode and
/// the carrier change count. Each is nil when the kernel did not send it.
public struct LinkDetails: Hashable, Sendable {
    /// IFLA_PROMISCUITY: how many users asked for promiscuous mode (a bridge port: 1).
    public var promiscuity: UInt32?
    /// IFLA_ALLMULTI: the same for all-multicast (kernels 6.0 and later).
    public var allmulti: UInt32?
    /// IFLA_LINKMODE as iproute2 names it: `DEFAULT`, `DORMANT` or `TESTING`.
    public var linkMode: String?
    public var transmitQueues: UInt32?
    public var receiveQueues: UInt32?
    public var gsoMaxSize: UInt32?
    public var gsoMaxSegments: UInt32?
    public var tsoMaxSize: UInt32?
    public var tsoMaxSegments: UInt32?
    public var groMaxSize: UInt32?
    /// IFLA_CARRIER_CHANGES: how often the carrier went up or down.
    public var carrierChanges: UInt32?
    /// IFLA_INET6_ADDR_GEN_MODE as iproute2 names it: `eui64`, `none`, `stable_secret`, `random`.
    public var inet6AddressGenerationMode: String?
    /// IFLA_PARENT_DEV_NAME and IFLA_PARENT_DEV_BUS_NAME (a hardware device's, as `0000:00:03.0`, `pci`).
    public var parentDevice: String?
    public var parentBus: String?

    public init() {}

    /// Takes `a` when it is one of the attributes above; false for any other.
    mutating func decode(_ a: Attribute) throws -> Bool {
        switch Int(a.type) {
        case Int(IFLA_PROMISCUITY): promiscuity = a.uint32
        case Int(IFLA_ALLMULTI): allmulti = a.uint32
        case Int(IFLA_LINKMODE):
            linkMode = a.uint8.map { m in
                switch Int(m) {
                case Int(IF_LINK_MODE_DEFAULT): "DEFAULT"
                case Int(IF_LINK_MODE_DORMANT): "DORMANT"
                case Int(IF_LINK_MODE_TESTING): "TESTING"
                default: String(m)
                }
            }
        case Int(IFLA_NUM_TX_QUEUES): transmitQueues = a.uint32
        case Int(IFLA_NUM_RX_QUEUES): receiveQueues = a.uint32
        case Int(IFLA_GSO_MAX_SIZE): gsoMaxSize = a.uint32
        case Int(IFLA_GSO_MAX_SEGS): gsoMaxSegments = a.uint32
        case Int(IFLA_TSO_MAX_SIZE): tsoMaxSize = a.uint32
        case Int(IFLA_TSO_MAX_SEGS): tsoMaxSegments = a.uint32
        case Int(IFLA_GRO_MAX_SIZE): groMaxSize = a.uint32
        case Int(IFLA_CARRIER_CHANGES): carrierChanges = a.uint32
        case Int(IFLA_PARENT_DEV_NAME): parentDevice = a.string
        case Int(IFLA_PARENT_DEV_BUS_NAME): parentBus = a.string
        case Int(IFLA_AF_SPEC):
            try AttributeList.scan(a.value) { family in
                guard family.type == UInt16(AF_INET6) else { return }
                try AttributeList.scan(family.value) { i in
                    guard i.type == UInt16(IFLA_INET6_ADDR_GEN_MODE), let m = i.uint8 else { return }
                    inet6AddressGenerationMode = switch Int32(m) {
                    case Int32(IN6_ADDR_GEN_MODE_EUI64.rawValue): "eui64"
                    case Int32(IN6_ADDR_GEN_MODE_NONE.rawValue): "none"
                    case Int32(IN6_ADDR_GEN_MODE_STABLE_PRIVACY.rawValue): "stable_secret"
                    case Int32(IN6_ADDR_GEN_MODE_RANDOM.rawValue): "random"
                    default: String(m)
                    }
                }
            }
        default: return false
        }
        return true
    }
}
