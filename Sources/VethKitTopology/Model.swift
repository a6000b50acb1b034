import VethKit

/// Where something was written in a topology file: 1-based line and column.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    public var description: String { "\(file):\(line):\(column)" }
}

/// A declared topology: the parsed and validated contents of one YAML file.
/// Every value here has been checked; nothing in it can be refused for syntax by the kernel.
public struct Topology: Sendable, Equatable {
    /// The topology name, `[a-z0-9-]`, 1–12 characters.
    public var name: String
    /// The nodes in file order. `host` (when declared) is the namespace vethctl runs in.
    public var nodes: [Node]
    /// The veth links in file order.
    public var links: [Link]
    /// Extra reachability claims (`checks:`).
    public var checks: [Check]
    /// The file it came from ("<string>" when parsed from text).
    public var file: String

    public init(name: String, nodes: [Node], links: [Link], checks: [Check] = [], file: String = "<memory>") {
        self.name = name
        self.nodes = nodes
        self.links = links
        self.checks = checks
        self.file = file
    }

    /// The reserved node name for the namespace vethctl runs in.
    public static let hostNode = "host"

    /// The node called `name`, if declared.
    public func node(_ name: String) -> Node? { nodes.first { $0.name == name } }

    /// The namespace a node lives in: nil for `host`, `<topology>-<node>` otherwise.
    public func namespaceName(of node: String) -> String? {
        node == Self.hostNode ? nil : "\(name)-\(node)"
    }

    /// The alias host-side links and bridges of this topology carry: `vethkit:<name>`.
    public var alias: String { Ownership.alias(for: name) }
    /// The link group host-side links and bridges of this topology carry.
    public var linkGroup: UInt32 { Ownership.group(for: name) }

    /// Every node's interfaces (bridges, kind links, veth ends, in file order), in one pass over the file.
    public func interfacesByNode() -> [String: [DeclaredInterface]] {
        var out: [String: [DeclaredInterface]] = [:]
        for n in nodes {
            out[n.name] = n.bridges.map { b in
                DeclaredInterface(node: n.name, name: b.name, kind: .bridge, addresses: b.addresses, master: nil, mac: b.mac, mtu: b.mtu, link: nil)
            } + n.kindLinks.map { DeclaredInterface(node: n.name, $0) }
        }
        for (i, l) in links.enumerated() {
            for e in l.endpoints {
                var d = DeclaredInterface(node: e.node, name: e.name, kind: .veth, addresses: e.addresses,
                                          master: e.master, mac: e.mac, mtu: e.mtu ?? l.mtu, link: i)
                d.impair = e.impair ?? l.impair
                out[e.node, default: []].append(d)
            }
        }
        return out
    }

    /// The indexes of the links touching each node.
    public func linksByNode() -> [String: [Int]] {
        var out: [String: [Int]] = [:]
        for (i, l) in links.enumerated() {
            out[l.a.node, default: []].append(i)
            if l.b.node != l.a.node { out[l.b.node, default: []].append(i) }
        }
        return out
    }

    /// Every interface of one node: veth ends and bridges, in file order.
    public func interfaces(of node: String) -> [DeclaredInterface] {
        var out: [DeclaredInterface] = []
        if let n = self.node(node) {
            for b in n.bridges { out.append(DeclaredInterface(node: node, name: b.name, kind: .bridge, addresses: b.addresses, master: nil, mac: b.mac, mtu: b.mtu, link: nil)) }
            for k in n.kindLinks { out.append(DeclaredInterface(node: node, k)) }
        }
        for (i, l) in links.enumerated() {
            for e in l.endpoints where e.node == node {
                var d = DeclaredInterface(node: node, name: e.name, kind: .veth, addresses: e.addresses, master: e.master, mac: e.mac, mtu: e.mtu ?? l.mtu, link: i)
                d.impair = e.impair ?? l.impair
                out.append(d)
            }
        }
        return out
    }
}

/// One interface as the file declares it (a veth end, a bridge or a kind link), with link-level MTU applied.
public struct DeclaredInterface: Sendable, Equatable {
    public enum Kind: String, Sendable { case veth, bridge, vlan, macvlan, ipvlan, vxlan, dummy }
    public var node: String
    public var name: String
    public var kind: Kind
    public var addresses: [IPNetwork]
    public var master: String?
    public var mac: MACAddress?
    public var mtu: Int?
    /// Index into `Topology.links` for a veth end.
    public var link: Int?
    /// For a kind link: its options and parent.
    public var kindLink: Topology.KindLink? = nil
    /// For a veth end: the impairment of its egress (the endpoint's own `impair`, else the link's).
    public var impair: LinkImpairment? = nil

    init(node: String, name: String, kind: Kind, addresses: [IPNetwork], master: String?, mac: MACAddress?, mtu: Int?, link: Int?) {
        (self.node, self.name, self.kind, self.addresses, self.master, self.mac, self.mtu, self.link) = (node, name, kind, addresses, master, mac, mtu, link)
    }

    /// A kind link of `node`.
    init(node: String, _ k: Topology.KindLink) {
        self.init(node: node, name: k.name, kind: Kind(rawValue: k.kindName)!, addresses: k.addresses, master: nil, mac: k.mac, mtu: k.mtu, link: nil)
        kindLink = k
    }
}

extension Topology {
    /// A node: a network namespace (or the host's own, for `host`).
    public struct Node: Sendable, Equatable {
        public var name: String
        public var bridges: [Bridge]
        /// VLANs, MACVLANs, IPVLANs, VXLANs and dummies, in file order (see ``kindLinksInCreationOrder``).
        public var kindLinks: [KindLink] = []
        /// Source prefixes NATed when they leave by any other interface.
        public var masquerade: [IPNetwork]
        public var routes: [Route]
        /// sysctl key (dotted, e.g. `net.ipv4.ip_forward`) and value, in file order.
        public var sysctls: [Sysctl]
        public var location: SourceLocation?

        public init(name: String, bridges: [Bridge] = [], masquerade: [IPNetwork] = [], routes: [Route] = [], sysctls: [Sysctl] = [], location: SourceLocation? = nil) {
            self.name = name
            self.bridges = bridges
            self.masquerade = masquerade
            self.routes = routes
            self.sysctls = sysctls
            self.location = location
        }

        public var isHost: Bool { name == Topology.hostNode }

        public static func == (a: Node, b: Node) -> Bool {
            a.name == b.name && a.bridges == b.bridges && a.kindLinks == b.kindLinks && a.masquerade == b.masquerade && a.routes == b.routes && a.sysctls == b.sysctls
        }
    }

    public struct Sysctl: Sendable, Equatable {
        public var key: String
        public var value: String
        public init(_ key: String, _ value: String) { self.key = key; self.value = value }
        /// The file under /proc/sys.
        public var path: String { "/proc/sys/" + String(String.UnicodeScalarView(key.unicodeScalars.map { $0 == "." ? "/" : $0 })) }
    }

    /// A bridge inside a node.
    public struct Bridge: Sendable, Equatable {
        public var name: String
        public var addresses: [IPNetwork]
        public var mac: MACAddress?
        public var mtu: Int?
        public init(name: String, addresses: [IPNetwork] = [], mac: MACAddress? = nil, mtu: Int? = nil) {
            self.name = name
            self.addresses = addresses
            self.mac = mac
            self.mtu = mtu
        }
    }

    /// A static route inside a node.
    public struct Route: Sendable, Hashable, CustomStringConvertible {
        /// The destination; `0.0.0.0/0` or `::/0` for `default`.
        public var to: IPNetwork
        public var via: IPAddress
        public var dev: String?
        public var metric: Int?
        public init(to: IPNetwork, via: IPAddress, dev: String? = nil, metric: Int? = nil) {
            self.to = to
            self.via = via
            self.dev = dev
            self.metric = metric
        }
        public var isDefault: Bool { to.prefixLength == 0 }
        public var description: String {
            var s = "\(isDefault ? "default" : to.masked.description) via \(via)"
            if let dev { s += " dev \(dev)" }
            if let metric { s += " metric \(metric)" }
            return s
        }
    }

    /// One end of a veth link.
    public struct Endpoint: Sendable, Equatable {
        public var node: String
        public var name: String
        public var addresses: [IPNetwork]
        /// A bridge of the same node this end is a port of.
        public var master: String?
        public var mac: MACAddress?
        public var mtu: Int?
        /// The impairment of this end's egress (`impair:` on the endpoint); it wins over the link's.
        public var impair: LinkImpairment?
        public init(node: String, name: String, addresses: [IPNetwork] = [], master: String? = nil, mac: MACAddress? = nil, mtu: Int? = nil,
                    impair: LinkImpairment? = nil) {
            self.node = node
            self.name = name
            self.addresses = addresses
            self.master = master
            self.mac = mac
            self.mtu = mtu
            self.impair = impair
        }
    }

    /// A veth pair.
    public struct Link: Sendable, Equatable {
        public var endpoints: [Endpoint]
        public var mtu: Int?
        /// The impairment of both ends' egress (`impair:` on the link: each direction), unless an
        /// endpoint sets its own.
        public var impair: LinkImpairment?
        public init(_ a: Endpoint, _ b: Endpoint, mtu: Int? = nil, impair: LinkImpairment? = nil) {
            endpoints = [a, b]
            self.mtu = mtu
            self.impair = impair
        }
        public var a: Endpoint { endpoints[0] }
        public var b: Endpoint { endpoints[1] }
        /// The impairment of end `k`'s egress: its own, else the link's.
        public func impairment(of k: Int) -> LinkImpairment? { endpoints[k].impair ?? impair }
    }

    /// A reachability claim: an ICMP echo from a node to an address.
    public struct Check: Sendable, Hashable {
        public var from: String
        public var to: IPAddress
        public init(from: String, to: IPAddress) { self.from = from; self.to = to }
    }
}
