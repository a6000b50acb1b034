import CLinuxUAPI

/// A policy routing rule (FIB rule, `ip rule`): a selector (source and destination prefixes,
/// TOS, firewall mark, devices, user ids, IP protocol and ports), optionally inverted, and what
/// to do with the packets it selects (``RuleAction``). Rules are tried in priority order.
public struct Rule: Hashable, Sendable {
    /// AF_INET or AF_INET6.
    public var family: AddressFamily
    /// FRA_PRIORITY: lower is tried first. nil when adding lets the kernel pick one (just
    /// before the first rule after priority 0, as `ip rule add` without `priority`).
    public var priority: UInt32?
    /// FRA_SRC and src_len: the packets from this prefix (nil: from all).
    public var source: IPNetwork?
    /// FRA_DST and dst_len: the packets to this prefix (nil: to all).
    public var destination: IPNetwork?
    /// FIB_RULE_INVERT: the rule applies to the packets the selector does not select (`not`).
    public var invert: Bool
    /// The TOS (DS field) to match; 0 for any.
    public var tos: UInt8
    /// FRA_FWMARK: the firewall mark to match.
    public var mark: UInt32?
    /// FRA_FWMASK: the bits of the mark compared (nil: all of them).
    public var markMask: UInt32?
    /// FRA_IIFNAME: the device packets come in on (`iif`; "lo" for locally made packets).
    public var inputInterface: String?
    /// FRA_OIFNAME: the device a socket is bound to (`oif`).
    public var outputInterface: String?
    /// FRA_UID_RANGE: the socket owners' user ids.
    public var uidRange: ClosedRange<UInt32>?
    /// FRA_IP_PROTO: the IP protocol (6 tcp, 17 udp…).
    public var ipProtocol: UInt8?
    /// FRA_SPORT_RANGE and FRA_DPORT_RANGE: the ports.
    public var sourcePorts: ClosedRange<UInt16>?
    public var destinationPorts: ClosedRange<UInt16>?
    /// FRA_L3MDEV: look up the table of the L3 master device (VRF) of the packet's device.
    public var l3mdev: Bool
    /// What the rule does.
    public var action: RuleAction
    /// FRA_SUPPRESS_PREFIXLEN: ignore a route found with a prefix this long or shorter.
    public var suppressPrefixLength: Int32?
    /// FRA_SUPPRESS_IFGROUP: ignore a route found out of a device of this group.
    public var suppressInterfaceGroup: Int32?
    /// FRA_PROTOCOL: who made the rule (unspec when nobody said, kernel for the default rules).
    public var `protocol`: RouteProtocol
    /// FIB_RULE_* flags as the kernel reports them (invert, unresolved goto, detached devices).
    public var flags: UInt32

    /// A rule to add or delete: `.lookup(.main)` by default, as `ip rule add`. To delete without
    /// naming the action or table (`ip rule del priority N`), give `.other(0)` (FR_ACT_UNSPEC).
    public init(family: AddressFamily = .inet, priority: UInt32? = nil, source: IPNetwork? = nil, destination: IPNetwork? = nil,
                invert: Bool = false, tos: UInt8 = 0, mark: UInt32? = nil, markMask: UInt32? = nil,
                inputInterface: String? = nil, outputInterface: String? = nil, uidRange: ClosedRange<UInt32>? = nil,
                ipProtocol: UInt8? = nil, sourcePorts: ClosedRange<UInt16>? = nil, destinationPorts: ClosedRange<UInt16>? = nil,
                l3mdev: Bool = false, action: RuleAction = .lookup(.main), suppressPrefixLength: Int32? = nil,
                suppressInterfaceGroup: Int32? = nil, protocol: RouteProtocol = .unspecified) {
        self.family = family
        self.priority = priority
        self.source = source
        self.destination = destination
        self.invert = invert
        self.tos = tos
        self.mark = mark
        self.markMask = markMask
        self.inputInterface = inputInterface
        self.outputInterface = outputInterface
        self.uidRange = uidRange
        self.ipProtocol = ipProtocol
        self.sourcePorts = sourcePorts
        self.destinationPorts = destinationPorts
        self.l3mdev = l3mdev
        self.action = action
        self.suppressPrefixLength = suppressPrefixLength
        self.suppressInterfaceGroup = suppressInterfaceGroup
        self.protocol = `protocol`
        flags = invert ? UInt32(FIB_RULE_INVERT) : 0
    }

    /// FIB_RULE_UNRESOLVED: a goto whose target rule does not exist.
    public var isUnresolved: Bool { flags & UInt32(FIB_RULE_UNRESOLVED) != 0 }
    /// FIB_RULE_IIF_DETACHED / FIB_RULE_OIF_DETACHED: the named device does not exist (now).
    public var inputInterfaceDetached: Bool { flags & UInt32(FIB_RULE_IIF_DETACHED) != 0 }
    public var outputInterfaceDetached: Bool { flags & UInt32(FIB_RULE_OIF_DETACHED) != 0 }
}
