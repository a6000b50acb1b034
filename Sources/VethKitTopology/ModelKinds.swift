import VethKit

extension Topology {
    /// A link of one of the kinds built on (or beside) another link of the same node: a VLAN, a
    /// MACVLAN, an IPVLAN, a VXLAN or a dummy (`vlans:`, `macvlans:`, `ipvlans:`, `vxlans:`,
    /// `dummies:` of a node). Its parent (`link`, or a VXLAN's `dev`) is declared in the same node.
    public struct KindLink: Sendable, Equatable {
        /// The kind and its options, as the file gives them (nil: the kernel's default).
        public enum Options: Sendable, Equatable, CustomStringConvertible {
            case vlan(id: Int, protocol: VLANProtocol)
            case macvlan(mode: MACVLANMode)
            case ipvlan(mode: IPVLANMode)
            case vxlan(VXLANOptions)
            case dummy

            /// IFLA_INFO_KIND.
            public var kindName: String {
                switch self {
                case .vlan: "vlan"
                case .macvlan: "macvlan"
                case .ipvlan: "ipvlan"
                case .vxlan: "vxlan"
                case .dummy: "dummy"
                }
            }

            /// The options as the plan prints them: `id 10 protocol 802.1Q`, `mode bridge`.
            public var description: String {
                switch self {
                case .vlan(let id, let p): "id \(id) protocol \(p.rawValue)"
                case .macvlan(let m): "mode \(m.rawValue)"
                case .ipvlan(let m): "mode \(m.rawValue)"
                case .vxlan(let v): v.description
                case .dummy: ""
                }
            }
        }

        public var name: String
        public var options: Options
        /// The link it sits on (`link`, a VXLAN's `dev`), a link of the same node; nil for a dummy
        /// and a VXLAN without `dev`.
        public var parent: String?
        public var addresses: [IPNetwork]
        public var mac: MACAddress?
        public var mtu: Int?

        public init(name: String, options: Options, parent: String? = nil, addresses: [IPNetwork] = [],
                    mac: MACAddress? = nil, mtu: Int? = nil) {
            self.name = name
            self.options = options
            self.parent = parent
            self.addresses = addresses
            self.mac = mac
            self.mtu = mtu
        }

        public var kindName: String { options.kindName }

        /// One line of a node's picture (`graph`): `vxlan vx0 on eth1, id 42 … 10.52.0.1/24`.
        public var graphLabel: String {
            ([kindName, name, planText] + addresses.map(\.description)).filter { !$0.isEmpty }.joined(separator: " ")
        }

        /// Parent and options as a plan line shows them: `on eth0, mode bridge`.
        public var planText: String {
            let o = options.description
            guard let parent else { return o }
            return o.isEmpty ? "on \(parent)" : "on \(parent), \(o)"
        }
    }

    /// A VLAN's tag protocol (IFLA_VLAN_PROTOCOL).
    public enum VLANProtocol: String, Sendable, CaseIterable { case dot1Q = "802.1Q", dot1ad = "802.1ad" }
    /// A MACVLAN's mode (IFLA_MACVLAN_MODE), as iproute2 names it.
    public enum MACVLANMode: String, Sendable, CaseIterable { case `private`, vepa, bridge, passthru }
    /// An IPVLAN's mode (IFLA_IPVLAN_MODE).
    public enum IPVLANMode: String, Sendable, CaseIterable { case l2, l3, l3s }

    /// A VXLAN's options; nil fields are left to the kernel (and not compared with the live link).
    public struct VXLANOptions: Sendable, Equatable, CustomStringConvertible {
        /// The VNI, 0...16777215.
        public var id: Int
        /// The unicast remote (`remote`) or multicast group (`group`); at most one of them.
        public var remote: IPAddress?
        public var group: IPAddress?
        public var local: IPAddress?
        /// The UDP port (`dstport`); nil: ``defaultPort``.
        public var port: Int?
        /// Source-address learning; nil: the kernel's default (on).
        public var learning: Bool?

        /// The port when the file gives none: IANA's 4789 (VethKit's VXLAN default; the kernel's
        /// own, 8472, is the pre-standard Linux one).
        public static let defaultPort = 4789

        public init(id: Int, remote: IPAddress? = nil, group: IPAddress? = nil, local: IPAddress? = nil,
                    port: Int? = nil, learning: Bool? = nil) {
            self.id = id
            self.remote = remote
            self.group = group
            self.local = local
            self.port = port
            self.learning = learning
        }

        public var description: String {
            var s = "id \(id)"
            if let remote { s += " remote \(remote)" }
            if let group { s += " group \(group)" }
            if let local { s += " local \(local)" }
            if let port { s += " dstport \(port)" }
            if let learning { s += learning ? " learning" : " nolearning" }
            return s
        }

        /// True when every option the file sets has the live value (unset ones are the kernel's).
        public func isSatisfied(by live: VXLANOptions) -> Bool {
            id == live.id && (remote == nil || remote == live.remote) && (group == nil || group == live.group)
                && (local == nil || local == live.local) && (port ?? Self.defaultPort) == (live.port ?? Self.defaultPort)
                && (learning == nil || learning == live.learning)
        }
    }
}

extension Topology.KindLink.Options {
    /// True when the live link's options (as ``LiveReader`` decoded them) are what the file asks.
    public func isSatisfied(by live: Topology.KindLink.Options?) -> Bool {
        switch (self, live) {
        case (.dummy, .dummy?): true
        case (.vlan(let id, let p), .vlan(let lid, let lp)?): id == lid && p == lp
        case (.macvlan(let m), .macvlan(let lm)?): m == lm
        case (.ipvlan(let m), .ipvlan(let lm)?): m == lm
        case (.vxlan(let v), .vxlan(let lv)?): v.isSatisfied(by: lv)
        default: false
        }
    }
}

extension Topology.KindLink.Options {
    /// The options the file asks for that differ from `live` but that the kernel changes in place
    /// (`changelink`): a macvlan's mode (not into or out of passthru), an ipvlan's mode, a vxlan's
    /// remote, group, local (each of the family it had) and learning. Nil when nothing differs, or
    /// when anything else differs (a VLAN id or protocol, a VNI, a port: the link is replaced).
    public func inPlaceChange(from live: Topology.KindLink.Options?) -> Topology.KindLink.Options? {
        guard let live, !isSatisfied(by: live) else { return nil }
        switch (self, live) {
        case (.macvlan(let m), .macvlan(let lm)): return m != .passthru && lm != .passthru ? self : nil
        case (.ipvlan, .ipvlan): return self
        case (.vxlan(let v), .vxlan(let lv)):
            guard v.id == lv.id, (v.port ?? Topology.VXLANOptions.defaultPort) == (lv.port ?? Topology.VXLANOptions.defaultPort) else { return nil }
            func sameFamily(_ a: IPAddress?, _ b: IPAddress?) -> Bool { a == nil || a == b || (b != nil && a!.isIPv4 == b!.isIPv4) }
            // A remote becoming a group (or back) changes the link's kind of forwarding: replaced.
            guard (v.remote == nil || lv.remote != nil), (v.group == nil || lv.group != nil),
                  sameFamily(v.remote, lv.remote), sameFamily(v.group, lv.group), sameFamily(v.local, lv.local) else { return nil }
            var c = Topology.VXLANOptions(id: v.id)
            if v.remote != lv.remote { c.remote = v.remote }
            if v.group != lv.group { c.group = v.group }
            if v.local != lv.local { c.local = v.local }
            if let l = v.learning, l != lv.learning { c.learning = l }
            return .vxlan(c)
        default: return nil
        }
    }
}

extension Topology.Node {
    /// The node's kind links in creation order: each after the link it sits on (the parser
    /// refused cycles, so the order exists; among independent links, file order).
    public var kindLinksInCreationOrder: [Topology.KindLink] {
        var placed = Set<String>()
        var out: [Topology.KindLink] = []
        let own = Set(kindLinks.map(\.name))
        var pending = kindLinks
        while !pending.isEmpty {
            var rest: [Topology.KindLink] = []
            for k in pending {
                if let p = k.parent, own.contains(p), !placed.contains(p) { rest.append(k); continue }
                out.append(k)
                placed.insert(k.name)
            }
            // A cycle (refused by the parser; a hand-built value): the rest in file order.
            if rest.count == pending.count { out += rest; break }
            pending = rest
        }
        return out
    }
}

extension Topology.KindLink.Options {
    /// A plan's `old -> new` for an in-place change (`change` from ``inPlaceChange(from:)``):
    /// `mode bridge -> vepa`, `remote 10.0.0.2 -> 10.0.0.3, learning -> nolearning`.
    func changeText(to change: Topology.KindLink.Options) -> String {
        switch (self, change) {
        case (.macvlan(let a), .macvlan(let b)): return "mode \(a.rawValue) -> \(b.rawValue)"
        case (.ipvlan(let a), .ipvlan(let b)): return "mode \(a.rawValue) -> \(b.rawValue)"
        case (.vxlan(let a), .vxlan(let b)):
            var parts: [String] = []
            if let r = b.remote { parts.append("remote \(a.remote?.description ?? "none") -> \(r)") }
            if let g = b.group { parts.append("group \(a.group?.description ?? "none") -> \(g)") }
            if let l = b.local { parts.append("local \(a.local?.description ?? "none") -> \(l)") }
            if let l = b.learning { parts.append(l ? "nolearning -> learning" : "learning -> nolearning") }
            return parts.joined(separator: ", ")
        default: return "\(self) -> \(change)"
        }
    }
}
