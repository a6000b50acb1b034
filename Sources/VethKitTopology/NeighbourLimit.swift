import VethKit

/// The kernel's neighbour tables (ARP, NDP) are one per address family for **all** namespaces
/// together, bounded by `net.ipv4.neigh.default.gc_thresh3` / `net.ipv6.neigh.default.gc_thresh3`
/// (1024 by default, writable only in the initial namespace). Past it, new entries are refused
/// ("neighbour table overflow") and echoes that need them are lost. This estimates how many
/// entries a set of claims needs — each on-link next hop of every hop of the way there and
/// back, counted once per node — so `check --all` and `up` can say so before a user chases
/// losses the topology itself does not cause.
public enum NeighbourLimit {
    /// Entries needed per family, and the kernel's limits (nil where unreadable).
    public struct Estimate: Sendable, Hashable {
        public var ipv4 = 0
        public var ipv6 = 0
    }

    /// The neighbour entries the claims need: for each claim, the walk from its source to its
    /// target (an on-link target is one entry; otherwise the longest-prefix route's via is one, and
    /// the walk goes on from the node that holds it) and back to the source's address.
    public static func estimate(_ t: Topology, claims: [Checker.Claim]) -> Estimate {
        let ifaces = t.interfacesByNode()
        var owner: [IPAddress: String] = [:]
        var networks: [String: [IPNetwork]] = [:]
        var routes: [String: [Topology.Route]] = [:]
        for n in t.nodes {
            for i in ifaces[n.name] ?? [] {
                for a in i.addresses {
                    if owner[a.address] == nil { owner[a.address] = n.name }
                    networks[n.name, default: []].append(a)
                }
            }
            routes[n.name] = n.routes.sorted { $0.to.prefixLength > $1.to.prefixLength }
        }
        struct Entry: Hashable { var node: String; var neighbour: IPAddress }
        var entries = Set<Entry>()
        /// The first hop from `node` toward `dest` (dest itself when on-link), with the source address it leaves from.
        func firstHop(_ node: String, _ dest: IPAddress) -> (hop: IPAddress, source: IPAddress?)? {
            if let n = networks[node]?.first(where: { $0.contains(dest) }) { return (dest, n.address) }
            guard let r = routes[node]?.first(where: { $0.to.contains(dest) }) else { return nil }
            return (r.via, networks[node]?.first { $0.contains(r.via) }?.address)
        }
        /// Walks from `start` to `dest`, adding an entry per hop; the source address of the first hop.
        @discardableResult
        func walk(_ start: String, _ dest: IPAddress) -> IPAddress? {
            var node = start
            var source: IPAddress?
            for hop in 0..<64 {
                if owner[dest] == node { break }
                guard let (next, src) = firstHop(node, dest) else { break }
                if hop == 0 { source = src }
                entries.insert(Entry(node: node, neighbour: next))
                if next == dest { break }
                guard let o = owner[next], o != node else { break }
                node = o
            }
            return source
        }
        for c in claims {
            guard owner[c.to] != c.from else { continue }
            if let back = walk(c.from, c.to), let target = owner[c.to] { walk(target, back) }
        }
        var e = Estimate()
        for x in entries { if x.neighbour.isIPv4 { e.ipv4 += 1 } else { e.ipv6 += 1 } }
        return e
    }

    /// `gc_thresh3` of a family, read in the calling thread's namespace (the value is global);
    /// nil when it cannot be read (it is not shown in namespaces of other user namespaces).
    public static func limit(ipv6: Bool) -> Int? {
        (try? Sysctl.read("net.\(ipv6 ? "ipv6" : "ipv4").neigh.default.gc_thresh3")).flatMap { Int($0) }
    }

    /// The kernel's default gc_thresh3.
    public static let defaultLimit = 1024

    /// A warning when the claims need more entries of a family than its gc_thresh3, naming `what`
    /// (`check --all`, `check`), the numbers, and what to do; nil when they fit.
    public static func warning(_ t: Topology, claims: [Checker.Claim], what: String,
                               limits: (ipv4: Int?, ipv6: Int?)? = nil) -> String? {
        let e = estimate(t, claims: claims)
        let l = limits ?? (limit(ipv6: false), limit(ipv6: true))
        var parts: [String] = []
        for (family, need, limit, key) in [("IPv4", e.ipv4, l.ipv4, "ipv4"), ("IPv6", e.ipv6, l.ipv6, "ipv6")] {
            let max = limit ?? defaultLimit
            if need > max {
                parts.append("\(need) \(family) neighbour entries, more than net.\(key).neigh.default.gc_thresh3 = \(max)\(limit == nil ? " (the kernel's default; not readable here)" : "")")
            }
        }
        guard !parts.isEmpty else { return nil }
        return "warning: \(t.name): \(what) needs about " + parts.joined(separator: " and ")
            + ": the neighbour table is one for all namespaces together, so probes past it fail with no fault in the topology"
            + " (raise gc_thresh1/2/3 in the initial namespace, or route instead of one big L2 domain)"
    }
}
