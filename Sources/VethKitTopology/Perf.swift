import VethKit

/// `perf`: a throughput test between two nodes of a topology that is up (VethKit's
/// ``Throughput``: senders inside FROM's namespace, receivers inside TO's), with the drop
/// counters of the veth ends on the path read before and after.
public enum Perf {
    /// Where the test runs: node names, the address the receivers listen on, and the source
    /// address when FROM was given as one.
    public struct Endpoints: Sendable, Hashable {
        public var from: String
        public var to: String
        public var target: IPAddress
        public var source: IPAddress?
    }

    /// One veth end on the path, with its drop counters before and after the test.
    public struct PathEnd: Sendable, Hashable {
        public var node: String
        public var interface: String
        public var before: LinkStatistics?
        public var after: LinkStatistics?
        /// rx_dropped and tx_dropped added during the test (nil when the link could not be read).
        public var rxDropped: UInt64? { delta(\.rxDropped) }
        public var txDropped: UInt64? { delta(\.txDropped) }
        func delta(_ k: KeyPath<LinkStatistics, UInt64>) -> UInt64? {
            guard let b = before?[keyPath: k], let a = after?[keyPath: k] else { return nil }
            return a >= b ? a - b : 0
        }
    }

    public struct Report: Sendable {
        public var topology: String
        public var endpoints: Endpoints
        public var throughput: Throughput.Report
        /// The veth ends packets cross from FROM to TO, in order (FROM's and TO's own ends when
        /// the path could not be followed through the file's addresses and routes).
        public var path: [PathEnd]
        /// True when ``path`` was followed hop by hop; false for the fallback.
        public var pathFollowed: Bool
    }

    /// Bad FROM/TO: not a node, not an address of any node, the same node twice.
    public struct EndpointError: CategorizedError, Sendable, CustomStringConvertible {
        public var description: String
        public var category: ErrorCategory { .invalidInput }
    }

    /// Resolves FROM and TO: a node name, or an address one of the nodes' interfaces has. TO given
    /// as a node: its address that FROM has a connected subnet for, else its first IPv4 address,
    /// else its first IPv6 one that is not link-local (file order).
    public static func endpoints(_ t: Topology, from: String, to: String) throws -> Endpoints {
        let ifaces = t.interfacesByNode()
        func owner(_ a: IPAddress) -> String? {
            for n in t.nodes where (ifaces[n.name] ?? []).contains(where: { $0.addresses.contains { $0.address == a } }) { return n.name }
            return nil
        }
        func node(_ text: String, _ role: String) throws -> (String, IPAddress?) {
            if t.node(text) != nil { return (text, nil) }
            if let a = IPAddress(text) {
                guard let n = owner(a) else {
                    throw EndpointError(description: "\(role) \"\(text)\": no node of topology \(t.name) has this address")
                }
                return (n, a)
            }
            let names = t.nodes.map(\.name).joined(separator: ", ")
            throw EndpointError(description: "\(role) \"\(text.debugEscapedForMessages)\": no node of that name in topology \(t.name) (nodes: \(names)), and not an address")
        }
        let (f, source) = try node(from, "FROM")
        let (n, given) = try node(to, "TO")
        guard f != n else { throw EndpointError(description: "FROM and TO are the same node (\(f)): perf measures between two nodes") }
        if let given {
            if let source, source.isIPv4 != given.isIPv4 {
                throw EndpointError(description: "FROM \(source) and TO \(given) are of different address families")
            }
            return Endpoints(from: f, to: n, target: given, source: source)
        }
        let candidates = (ifaces[n] ?? []).flatMap(\.addresses).map(\.address).filter { !$0.isIPv6LinkLocal && (source == nil || $0.isIPv4 == source!.isIPv4) }
        let near = (ifaces[f] ?? []).flatMap(\.addresses)
        guard let target = candidates.first(where: { a in near.contains { $0.contains(a) } })
                ?? candidates.first(where: \.isIPv4) ?? candidates.first else {
            throw EndpointError(description: "TO \"\(to)\": node \(n) has no address to send to")
        }
        return Endpoints(from: f, to: n, target: target, source: source)
    }

    /// Measures from FROM to TO (see ``endpoints(_:from:to:)``) with `options` (its `source` is
    /// set from FROM when FROM is an address). The topology must be up; `onInterval` is called at
    /// each interval's end.
    public static func run(_ t: Topology, from: String, to: String, options: Throughput.Options,
                           onInterval: ((Throughput.Interval) -> Void)? = nil) throws -> Report {
        try options.validate()
        let e = try endpoints(t, from: from, to: to)
        func namespace(_ node: String) throws -> NetworkNamespace? {
            guard let name = t.namespaceName(of: node) else { return nil }
            do { return try NetworkNamespace.open(NamespaceName(name)) } catch let error as NotFound {
                throw NotUp(topology: t.name, node: node, underlying: error)
            }
        }
        let source = try namespace(e.from), destination = try namespace(e.to)
        var o = options
        o.source = e.source ?? o.source
        let (ends, followed) = pathEnds(t, e)
        Checker.waitForBridgePorts(t)
        let before = statistics(t, ends)
        let r = try Throughput.measure(from: source, to: destination, target: e.target, options: o, onInterval: onInterval)
        let after = statistics(t, ends)
        let path = ends.enumerated().map { i, end in PathEnd(node: end.node, interface: end.name, before: before[i], after: after[i]) }
        return Report(topology: t.name, endpoints: e, throughput: r, path: path, pathFollowed: followed)
    }

    /// A node of the topology has no namespace: the topology (or that node) is not up.
    public struct NotUp: CategorizedError, Sendable, CustomStringConvertible {
        public var topology: String
        public var node: String
        public var underlying: NotFound
        public var category: ErrorCategory { .notFound }
        public var description: String { "node \(node) of topology \(topology) is not up (\(underlying)); run vethctl up first" }
    }

    /// The counters of each end, one link dump per namespace (nil for an end that is not there).
    static func statistics(_ t: Topology, _ ends: [Topology.Endpoint]) -> [LinkStatistics?] {
        var byNode: [String: [String: LinkStatistics]] = [:]
        for node in Set(ends.map(\.node)) {
            let h = try? (node == Topology.hostNode ? NetHandle() : NetHandle(named: NamespaceName(t.namespaceName(of: node)!)))
            let links = (try? h?.links()) ?? []
            byNode[node] = Dictionary(links.compactMap { l in l.statistics.map { (l.name, $0) } }, uniquingKeysWith: { a, _ in a })
        }
        return ends.map { byNode[$0.node]?[$0.name] }
    }

    /// The veth ends from FROM to the target, following the file: at each node, a connected
    /// subnet holding the destination, else the longest matching route's gateway; across a
    /// bridge, the port whose far end has the next address. Falls back to every veth end of FROM
    /// and of TO when a hop cannot be followed (a gateway no node has, more than 32 hops).
    static func pathEnds(_ t: Topology, _ e: Endpoints) -> ([Topology.Endpoint], Bool) {
        let ifaces = t.interfacesByNode()
        func owns(_ node: String, _ a: IPAddress) -> Bool {
            (ifaces[node] ?? []).contains { $0.addresses.contains { $0.address == a } }
        }
        /// The veth ends (with their far ends) of `node`, optionally only the ports of `bridge`.
        func ends(of node: String, bridge: String? = nil) -> [(Topology.Endpoint, Topology.Endpoint)] {
            t.links.flatMap { l -> [(Topology.Endpoint, Topology.Endpoint)] in
                [(l.a, l.b), (l.b, l.a)].filter { $0.0.node == node && (bridge == nil || $0.0.master == bridge) }
            }
        }
        /// The far end leads to `next`: it has it, or it is a bridge port whose bridge or whose other
        /// ports' far ends have it. Returns the hops past the far end.
        func beyond(_ far: Topology.Endpoint, _ next: IPAddress) -> [Topology.Endpoint]? {
            if far.addresses.contains(where: { $0.address == next }) { return [] }
            if let m = far.master {
                if t.node(far.node)?.bridges.first(where: { $0.name == m })?.addresses.contains(where: { $0.address == next }) == true { return [] }
                for (port, other) in ends(of: far.node, bridge: m) where port.name != far.name && owns(other.node, next) { return [port, other] }
            }
            return owns(far.node, next) ? [] : nil
        }
        var out: [Topology.Endpoint] = []
        var node = e.from
        var hops = 0
        while node != e.to {
            hops += 1
            guard hops <= 32, let n = t.node(node) else { break }
            let mine = ifaces[node] ?? []
            var next: IPAddress?
            if mine.contains(where: { $0.addresses.contains { $0.contains(e.target) } }) {
                next = e.target
            } else {
                next = n.routes.filter { $0.to.contains(e.target) }.max { $0.to.prefixLength < $1.to.prefixLength }?.via
            }
            guard let hop = next, let iface = mine.first(where: { $0.addresses.contains { $0.contains(hop) } }) else { break }
            var found: [Topology.Endpoint]?
            let candidates = iface.kind == .bridge ? ends(of: node, bridge: iface.name) : ends(of: node).filter { $0.0.name == iface.name }
            for (mineEnd, far) in candidates {
                if let rest = beyond(far, hop) { found = [mineEnd, far] + rest; break }
            }
            guard let f = found, let last = f.last else { break }
            out += f
            node = last.node
        }
        if node == e.to && !out.isEmpty { return (out, true) }
        let fallback = ends(of: e.from).map(\.0) + ends(of: e.to).map(\.0)
        return (fallback, false)
    }
}

extension String {
    /// Control characters escaped, for a name quoted in a message; at most 64 characters of it.
    var debugEscapedForMessages: String {
        var out = ""
        let shown = count > 64 ? String(prefix(64)) + "…" : self
        for s in shown.unicodeScalars {
            if s.value < 0x20 || s.value == 0x7f { out += "\\u{\(String(s.value, radix: 16))}" } else { out.unicodeScalars.append(s) }
        }
        return out
    }
}
