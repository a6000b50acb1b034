import CLinuxUAPI
import Netlink

/// One of a link kind's attributes as iproute2 names and shows it (`ip -j -d`'s `info_data` and
/// `info_slave_data`): for the kinds whose every attribute VethKit reports without modelling
/// each (a bridge, a bridge port). The order is the kernel's.
public struct KindField: Hashable, Sendable {
    public enum Value: Hashable, Sendable {
        case unsigned(UInt64)
        case bool(Bool)
        case string(String)
        /// A timer in seconds (the kernel sends hundredths).
        case seconds(Double)
    }

    /// iproute2's JSON key (`forward_delay`, `hairpin`…).
    public var name: String
    public var value: Value

    public init(_ name: String, _ value: Value) {
        self.name = name
        self.value = value
    }
}

/// How one attribute's payload reads, for the tables below.
enum KindFieldFormat {
    case u8, u16, u32, u64, flag, timer, hex16, bridgeID, mac, vlanProtocol, portState
}

extension KindField {
    /// Decodes `attributes` by `table` (attribute type → iproute2 name and format); attributes the
    /// table does not name are skipped, as iproute2 skips those it does not know.
    static func decode(_ attributes: ArraySlice<UInt8>, _ table: [Int: (String, KindFieldFormat)]) throws -> [KindField] {
        var out: [KindField] = []
        try AttributeList.scan(attributes) { a in
            guard let (name, format) = table[Int(a.type)] else { return }
            func u(_ v: (some FixedWidthInteger)?) -> Value? { v.map { .unsigned(UInt64($0)) } }
            let value: Value? = switch format {
            case .u8: u(a.uint8)
            case .u16: u(a.uint16)
            case .u32: u(a.uint32)
            case .u64: u(a.uint64)
            case .flag: a.uint8.map { .bool($0 != 0) }
            case .timer: a.uint64.map { .seconds(Double($0) / 100) }
            case .hex16: a.uint16.map { .string($0 == 0 ? "0" : "0x" + String($0, radix: 16)) }
            case .bridgeID: a.value.count >= 8 ? .string(bridgeID(Array(a.value.prefix(8)))) : nil
            case .mac: a.value.count == 6 ? .string(MACAddress(bytes: Array(a.value)).description) : nil
            case .vlanProtocol: a.uint16.map { .string(VLAN.TagProtocol(rawValue: $0.bigEndian).description) }
            case .portState: a.uint8.map { .string(portStateNames[Int($0)] ?? String($0)) }
            }
            if let value { out.append(KindField(name, value)) }
        }
        return out
    }

    /// `ifla_bridge_id` as iproute2 prints it: priority in hex, a dot, the MAC's bytes without
    /// leading zeros (`8000.62:c7:a4:7:a5:d4`).
    static func bridgeID(_ b: [UInt8]) -> String {
        let hex = { (x: UInt8) in String(x, radix: 16) }
        let prio = b[0..<2].map { x in (x < 16 ? "0" : "") + hex(x) }.joined()
        return prio + "." + b[2..<8].map(hex).joined(separator: ":")
    }

    static let portStateNames = [Int(BR_STATE_DISABLED): "disabled", Int(BR_STATE_LISTENING): "listening",
                                 Int(BR_STATE_LEARNING): "learning", Int(BR_STATE_FORWARDING): "forwarding",
                                 Int(BR_STATE_BLOCKING): "blocking"]

    /// A bridge's IFLA_INFO_DATA, with iproute2's names.
    static func bridge(_ data: ArraySlice<UInt8>) throws -> [KindField] {
        var fields = try decode(data, bridgeTable)
        // IFLA_BR_MULTI_BOOLOPT (struct br_boolopt_multi): the options the kernel reports (its mask).
        try AttributeList.scan(data) { a in
            guard a.type == UInt16(IFLA_BR_MULTI_BOOLOPT) else { return }
            let m = a.structure(br_boolopt_multi.self)
            for (bit, name) in [(Int(BR_BOOLOPT_NO_LL_LEARN.rawValue), "no_linklocal_learn"),
                                (Int(BR_BOOLOPT_MCAST_VLAN_SNOOPING.rawValue), "mcast_vlan_snooping")]
            where m.optmask & (1 << UInt32(bit)) != 0 {
                fields.append(KindField(name, .unsigned(UInt64((m.optval >> UInt32(bit)) & 1))))
            }
        }
        return fields
    }

    /// A bridge port's IFLA_INFO_SLAVE_DATA, with iproute2's names.
    static func bridgePort(_ data: ArraySlice<UInt8>) throws -> [KindField] {
        var fields = try decode(data, bridgePortTable)
        if let mask = fields.firstIndex(where: { $0.name == "group_fwd_mask" }), case .string(let s) = fields[mask].value {
            fields.insert(KindField("group_fwd_mask_str", .string(s == "0" ? "0x0" : s)), at: mask + 1)
        }
        return fields
    }

    static let bridgeTable: [Int: (String, KindFieldFormat)] = [
        Int(IFLA_BR_FORWARD_DELAY): ("forward_delay", .u32), Int(IFLA_BR_HELLO_TIME): ("hello_time", .u32),
        Int(IFLA_BR_MAX_AGE): ("max_age", .u32), Int(IFLA_BR_AGEING_TIME): ("ageing_time", .u32),
        Int(IFLA_BR_STP_STATE): ("stp_state", .u32), Int(IFLA_BR_PRIORITY): ("priority", .u16),
        Int(IFLA_BR_VLAN_FILTERING): ("vlan_filtering", .u8), Int(IFLA_BR_VLAN_PROTOCOL): ("vlan_protocol", .vlanProtocol),
        Int(IFLA_BR_BRIDGE_ID): ("bridge_id", .bridgeID), Int(IFLA_BR_ROOT_ID): ("root_id", .bridgeID),
        Int(IFLA_BR_ROOT_PORT): ("root_port", .u16), Int(IFLA_BR_ROOT_PATH_COST): ("root_path_cost", .u32),
        Int(IFLA_BR_TOPOLOGY_CHANGE): ("topology_change", .u8),
        Int(IFLA_BR_TOPOLOGY_CHANGE_DETECTED): ("topology_change_detected", .u8),
        Int(IFLA_BR_HELLO_TIMER): ("hello_timer", .timer), Int(IFLA_BR_TCN_TIMER): ("tcn_timer", .timer),
        Int(IFLA_BR_TOPOLOGY_CHANGE_TIMER): ("topology_change_timer", .timer), Int(IFLA_BR_GC_TIMER): ("gc_timer", .timer),
        Int(IFLA_BR_VLAN_DEFAULT_PVID): ("vlan_default_pvid", .u16), Int(IFLA_BR_VLAN_STATS_ENABLED): ("vlan_stats_enabled", .u8),
        Int(IFLA_BR_VLAN_STATS_PER_PORT): ("vlan_stats_per_port", .u8),
        Int(IFLA_BR_GROUP_FWD_MASK): ("group_fwd_mask", .hex16), Int(IFLA_BR_GROUP_ADDR): ("group_addr", .mac),
        Int(IFLA_BR_MCAST_SNOOPING): ("mcast_snooping", .u8), Int(IFLA_BR_MCAST_ROUTER): ("mcast_router", .u8),
        Int(IFLA_BR_MCAST_QUERY_USE_IFADDR): ("mcast_query_use_ifaddr", .u8), Int(IFLA_BR_MCAST_QUERIER): ("mcast_querier", .u8),
        Int(IFLA_BR_MCAST_HASH_ELASTICITY): ("mcast_hash_elasticity", .u32), Int(IFLA_BR_MCAST_HASH_MAX): ("mcast_hash_max", .u32),
        Int(IFLA_BR_MCAST_LAST_MEMBER_CNT): ("mcast_last_member_cnt", .u32),
        Int(IFLA_BR_MCAST_STARTUP_QUERY_CNT): ("mcast_startup_query_cnt", .u32),
        Int(IFLA_BR_MCAST_LAST_MEMBER_INTVL): ("mcast_last_member_intvl", .u64),
        Int(IFLA_BR_MCAST_MEMBERSHIP_INTVL): ("mcast_membership_intvl", .u64),
        Int(IFLA_BR_MCAST_QUERIER_INTVL): ("mcast_querier_intvl", .u64), Int(IFLA_BR_MCAST_QUERY_INTVL): ("mcast_query_intvl", .u64),
        Int(IFLA_BR_MCAST_QUERY_RESPONSE_INTVL): ("mcast_query_response_intvl", .u64),
        Int(IFLA_BR_MCAST_STARTUP_QUERY_INTVL): ("mcast_startup_query_intvl", .u64),
        Int(IFLA_BR_MCAST_STATS_ENABLED): ("mcast_stats_enabled", .u8), Int(IFLA_BR_MCAST_IGMP_VERSION): ("mcast_igmp_version", .u8),
        Int(IFLA_BR_MCAST_MLD_VERSION): ("mcast_mld_version", .u8), Int(IFLA_BR_NF_CALL_IPTABLES): ("nf_call_iptables", .u8),
        Int(IFLA_BR_NF_CALL_IP6TABLES): ("nf_call_ip6tables", .u8), Int(IFLA_BR_NF_CALL_ARPTABLES): ("nf_call_arptables", .u8),
    ]

    static let bridgePortTable: [Int: (String, KindFieldFormat)] = [
        Int(IFLA_BRPORT_STATE): ("state", .portState), Int(IFLA_BRPORT_PRIORITY): ("priority", .u16),
        Int(IFLA_BRPORT_COST): ("cost", .u32), Int(IFLA_BRPORT_MODE): ("hairpin", .flag), Int(IFLA_BRPORT_GUARD): ("guard", .flag),
        Int(IFLA_BRPORT_PROTECT): ("root_block", .flag), Int(IFLA_BRPORT_FAST_LEAVE): ("fastleave", .flag),
        Int(IFLA_BRPORT_LEARNING): ("learning", .flag), Int(IFLA_BRPORT_UNICAST_FLOOD): ("flood", .flag),
        Int(IFLA_BRPORT_ID): ("id", .hex16), Int(IFLA_BRPORT_NO): ("no", .hex16),
        Int(IFLA_BRPORT_DESIGNATED_PORT): ("designated_port", .u16), Int(IFLA_BRPORT_DESIGNATED_COST): ("designated_cost", .u16),
        Int(IFLA_BRPORT_BRIDGE_ID): ("bridge_id", .bridgeID), Int(IFLA_BRPORT_ROOT_ID): ("root_id", .bridgeID),
        Int(IFLA_BRPORT_HOLD_TIMER): ("hold_timer", .timer), Int(IFLA_BRPORT_MESSAGE_AGE_TIMER): ("message_age_timer", .timer),
        Int(IFLA_BRPORT_FORWARD_DELAY_TIMER): ("forward_delay_timer", .timer),
        Int(IFLA_BRPORT_TOPOLOGY_CHANGE_ACK): ("topology_change_ack", .u8), Int(IFLA_BRPORT_CONFIG_PENDING): ("config_pending", .u8),
        Int(IFLA_BRPORT_PROXYARP): ("proxy_arp", .flag), Int(IFLA_BRPORT_PROXYARP_WIFI): ("proxy_arp_wifi", .flag),
        Int(IFLA_BRPORT_MULTICAST_ROUTER): ("multicast_router", .u8), Int(IFLA_BRPORT_MCAST_FLOOD): ("mcast_flood", .flag),
        Int(IFLA_BRPORT_BCAST_FLOOD): ("bcast_flood", .flag), Int(IFLA_BRPORT_MCAST_TO_UCAST): ("mcast_to_unicast", .flag),
        Int(IFLA_BRPORT_NEIGH_SUPPRESS): ("neigh_suppress", .flag), Int(IFLA_BRPORT_GROUP_FWD_MASK): ("group_fwd_mask", .hex16),
        Int(IFLA_BRPORT_VLAN_TUNNEL): ("vlan_tunnel", .flag), Int(IFLA_BRPORT_ISOLATED): ("isolated", .flag),
        Int(IFLA_BRPORT_LOCKED): ("locked", .flag),
    ]
}
