import VethKit

/// What the kernel holds for one topology, read by ``LiveReader`` (or built by hand in tests).
/// The planner compares it with the file; `show` prints it.
public struct LiveState: Sendable, Equatable {
    /// One interface in a node.
    public struct Interface: Sendable, Equatable {
        public var name: String
        /// `veth`, `bridge`, `dummy`…; nil for plain devices (lo).
        public var kind: String?
        public var index: Int32
        public var mtu: Int?
        public var mac: MACAddress?
        /// The master bridge's name (same node).
        public var master: String?
        public var up: Bool
        public var operState: String
        public var alias: String?
        public var group: UInt32
        /// Addresses other than IPv6 link-local ones.
        public var addresses: [IPNetwork]
        /// For a veth: where its peer is (node nil = outside this topology).
        public var peer: PeerRef?
        public var statistics: LinkStatistics?
        /// A host veth without our alias (yet) whose peer is in one of the topology's marked
        /// namespaces (what a kill between creating it and aliasing it leaves): ours, because it
        /// goes with that namespace.
        public var markedByPeer: Bool = false
        /// The addresses (of ``addresses``) that vethkit did not add: neither IFA_PROTO
        /// ``Ownership/addressProtocol`` nor a record. Never removed; a conflict when the file wants one.
        public var foreignAddresses: [IPNetwork] = []
        /// For a VLAN, MACVLAN, IPVLAN or VXLAN: the link it sits on (same node), when there is one.
        public var parent: String? = nil
        /// For a kind link: its options as the kernel reports them.
        public var kindOptions: Topology.KindLink.Options? = nil
        /// What holds the root of its egress when it is not the kernel's default qdisc: VethKit's
        /// impairment or cut (root handle 564b:), or someone else's qdisc (never touched).
        public var egress: Egress? = nil
        /// The root qdisc's kind and handle as `tc -j` prints them (`tbf`, `564b:`), when not the default.
        public var rootQdisc: (kind: String, handle: String)? {
            get { rootQdiscKind.map { ($0, rootQdiscHandle ?? "") } }
            set { rootQdiscKind = newValue?.kind; rootQdiscHandle = newValue?.handle }
        }
        var rootQdiscKind: String? = nil
        var rootQdiscHandle: String? = nil
        /// The interface flags (`ip -j`'s `flags`), when read from the kernel.
        public var flags: LinkFlags? = nil
        /// The root qdisc's kind as the kernel reports it for the link (IFLA_QDISC: `noqueue`,
        /// `tbf`; `ip -j link`'s `qdisc`), when read from the kernel.
        public var qdisc: String? = nil

        public init(name: String, kind: String? = nil, index: Int32 = 0, mtu: Int? = 1500, mac: MACAddress? = nil,
                    master: String? = nil, up: Bool = true, operState: String = "UP", alias: String? = nil,
                    group: UInt32 = 0, addresses: [IPNetwork] = [], peer: PeerRef? = nil, statistics: LinkStatistics? = nil) {
            self.name = name
            self.kind = kind
            self.index = index
            self.mtu = mtu
            self.mac = mac
            self.master = master
            self.up = up
            self.operState = operState
            self.alias = alias
            self.group = group
            self.addresses = addresses
            self.peer = peer
            self.statistics = statistics
        }
    }

    /// A root qdisc that is not the kernel's default.
    public enum Egress: Sendable, Equatable, CustomStringConvertible {
        /// VethKit's (root handle 564b:), read back as an impairment.
        case impaired(LinkImpairment)
        /// VethKit's blackhole: the link is cut (`vethctl cut`, see Cut.swift).
        case cut
        /// VethKit's handle on a qdisc that is neither (someone changed it with `tc`): replaced
        /// or removed by `up` like a drifted impairment. The text says what it is (`pfifo`).
        case other(String)
        /// Someone else's root qdisc (`tbf 1:`): never changed or deleted.
        case foreign(String)

        /// True for the states VethKit may replace or remove (its handle).
        public var isOurs: Bool { if case .foreign = self { false } else { true } }

        public var description: String {
            switch self {
            case .impaired(let i): i.description
            case .cut: "cut"
            case .other(let k): "\(k) (not an impairment)"
            case .foreign(let q): "\(q) (not vethkit's)"
            }
        }
    }

    /// The other end of a veth.
    public struct PeerRef: Sendable, Hashable, CustomStringConvertible {
        /// The node holding it; nil when it is in a namespace outside the topology.
        public var node: String?
        public var name: String?
        public init(node: String?, name: String?) { self.node = node; self.name = name }
        public var description: String { "\(node ?? "?")/\(name ?? "?")" }
    }

    /// A route (main table).
    public struct RouteEntry: Sendable, Hashable, CustomStringConvertible {
        public var to: IPNetwork
        public var via: IPAddress?
        public var dev: String?
        public var metric: Int?
        /// rtm_protocol; ``Ownership/routeProtocol`` for vethkit's.
        public var proto: UInt8
        public init(to: IPNetwork, via: IPAddress?, dev: String? = nil, metric: Int? = nil, proto: UInt8 = Ownership.routeProtocol) {
            self.to = to
            self.via = via
            self.dev = dev
            self.metric = metric
            self.proto = proto
        }
        public var description: String {
            var s = to.prefixLength == 0 ? "default" : to.masked.description
            if let via { s += " via \(via)" }
            if let dev { s += " dev \(dev)" }
            if let metric { s += " metric \(metric)" }
            return s
        }
    }

    /// One node as found.
    public struct NodeState: Sendable, Equatable {
        public var name: String
        /// The namespace name; nil for host.
        public var namespace: String?
        /// The namespace exists (always true for host).
        public var exists: Bool
        /// The namespace carries this topology's mark (lo's alias). A namespace, or a plain file,
        /// under the topology's name without it is the user's (`owned` false, `exists` true).
        public var owned: Bool
        /// Interfaces: in a namespace, all of them but lo; in the host, those carrying the topology's
        /// mark plus those whose names the file uses (to detect collisions).
        public var interfaces: [Interface]
        /// Routes: in a namespace, every route not made by the kernel; in the host, vethkit's and
        /// the user's to a destination the file routes. Only those with ``RouteEntry/proto``
        /// ``Ownership/routeProtocol`` are vethkit's.
        public var routes: [RouteEntry]
        /// The values of the sysctls the file declares for this node.
        public var sysctls: [String: String]
        /// Masqueraded source prefixes (host's nftables, vethkit's table).
        public var masquerade: [IPNetwork]

        public init(name: String, namespace: String?, exists: Bool = true, owned: Bool = true, interfaces: [Interface] = [],
                    routes: [RouteEntry] = [], sysctls: [String: String] = [:], masquerade: [IPNetwork] = []) {
            self.name = name
            self.namespace = namespace
            self.exists = exists
            self.owned = owned
            self.interfaces = interfaces
            self.routes = routes
            self.sysctls = sysctls
            self.masquerade = masquerade
        }

        public func interface(_ name: String) -> Interface? { interfaces.first { $0.name == name } }
    }

    /// Nodes by name: every declared node, plus namespaces of this topology no longer declared.
    public var nodes: [String: NodeState]

    /// Names under /run/netns that only an interrupted `up` of this topology leaves (temporary
    /// files and placeholders, see ``NamespacePublisher``): `up` and `down` remove them.
    public var staleNamespaces: [String] = []
    /// Host links under a temporary name of this topology (see ``Ownership/temporaryLinkName(topology:serial:)``).
    public var staleLinks: [String] = []
    /// Host sysctls `up` changed, with the value each had before (``TopologyRecords``).
    public var recordedSysctls: [String: String] = [:]
    /// Addresses recorded as vethkit's (kernels without IFA_PROTO).
    var addressRecords: Set<TopologyRecords.AddressRecord> = []
    /// How this kernel lets `up` mark addresses.
    var addressMarking: AddressMarking = .kernel
    /// Qdisc kinds the file's impairments need that this kernel lacks (`netem`): asked only when
    /// the file wants them. The plan refuses those impairments, once, before any change.
    public var missingQdiscs: Set<String> = []
    /// Why this kernel cannot do a netem seed the file asks for (it would ignore it: before Linux
    /// 6.6), nil when it can or none is asked for. The plan refuses those impairments, once.
    public var seedUnsupported: String? = nil

    public init(nodes: [String: NodeState] = [:]) { self.nodes = nodes }

    /// True when something of the topology exists: a marked namespace, a host link of ours,
    /// a masquerade rule, a recorded sysctl.
    public func hasAnything(of topology: String) -> Bool {
        nodes.values.contains { n in
            (n.namespace != nil && n.exists && n.owned)
                || (n.namespace == nil && (!n.masquerade.isEmpty || n.interfaces.contains { Ownership.owns(alias: $0.alias, topology: topology) || $0.markedByPeer }))
        } || !recordedSysctls.isEmpty
    }

    /// An empty machine for `topology`: host exists, no namespace does.
    public static func empty(for topology: Topology) -> LiveState {
        var s = LiveState()
        s.nodes[Topology.hostNode] = NodeState(name: Topology.hostNode, namespace: nil)
        for n in topology.nodes where !n.isHost {
            s.nodes[n.name] = NodeState(name: n.name, namespace: topology.namespaceName(of: n.name), exists: false, owned: false)
        }
        return s
    }
}
