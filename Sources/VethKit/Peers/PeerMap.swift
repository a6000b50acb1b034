import Netlink

/// One end of a veth pair: where it lives and what it is called.
public struct VethEnd: Sendable, Hashable {
    /// The named namespace holding it; nil for the namespace the caller runs in.
    public var namespace: NamespaceName?
    public var name: String
    public var index: Int32
    public var isUp: Bool
}

/// A veth pair as found in the kernel; `peer` is nil when the other end lives in a namespace that
/// is neither the caller's nor a named one (e.g. a container's).
public struct VethPair: Sendable, Hashable {
    public var end: VethEnd
    public var peer: VethEnd?
}

/// The veth peer map: every veth end in the caller's namespace and in every named namespace, with
/// where its peer is. The peer is found through IFLA_LINK (its ifindex) and IFLA_LINK_NETNSID (its
/// namespace, as an id local to the asking namespace), resolved with RTM_GETNSID.
public enum PeerMap {
    /// Scans the current namespace and every namespace under /run/netns.
    public static func discover() throws -> [VethPair] {
        var spaces: [(name: NamespaceName?, ns: NetworkNamespace)] = [(nil, try NetworkNamespace.current())]
        for name in try NetworkNamespace.list() {
            if let ns = try? NetworkNamespace.open(name) { spaces.append((name, ns)) }
        }
        return try discover(in: spaces)
    }

    /// Scans the given namespaces (nil name = the caller's).
    public static func discover(in spaces: [(name: NamespaceName?, ns: NetworkNamespace)]) throws -> [VethPair] {
        struct Found { var space: Int; var link: Link }
        var ends: [Found] = []
        // Namespaces mounted under several names (or the caller's, also named) are scanned once.
        var seenInodes: Set<UInt64> = []
        var kept: [Int] = []
        for (i, s) in spaces.enumerated() {
            let inode = try s.ns.inode()
            if seenInodes.insert(inode).inserted { kept.append(i) }
        }
        var handleOf: [Int: NetHandle] = [:]
        for i in kept {
            let h = try spaces[i].name == nil ? NetHandle() : NetHandle(namespace: spaces[i].ns)
            handleOf[i] = h
            for l in try h.links() where l.isVeth { ends.append(Found(space: i, link: l)) }
        }
        // Index ends by (space, ifindex) to find the peer.
        var byKey: [Int: [Int32: Int]] = [:]
        for (n, e) in ends.enumerated() { byKey[e.space, default: [:]][e.link.index] = n }
        // Resolve (space, nsid) -> space lazily, asking the kernel only about plausible candidates.
        var idCache: [Int: [Int32: Int?]] = [:]
        func spaceFor(_ space: Int, id: Int32, peerIndex: Int32, backIndex: Int32) throws -> Int? {
            if let cached = idCache[space]?[id] { return cached }
            var answer: Int?
            let candidates = kept.filter { $0 != space && byKey[$0]?[peerIndex].map { ends[$0].link.linkIndex == backIndex } == true }
            for c in candidates + kept.filter({ !candidates.contains($0) && $0 != space }) {
                if try handleOf[space]!.namespaceID(of: spaces[c].ns) == id { answer = c; break }
            }
            idCache[space, default: [:]][id] = answer
            return answer
        }
        func end(_ f: Found) -> VethEnd {
            VethEnd(namespace: spaces[f.space].name, name: f.link.name, index: f.link.index, isUp: f.link.isUp)
        }
        var done = Set<Int>()
        var pairs: [VethPair] = []
        for (n, e) in ends.enumerated() where !done.contains(n) {
            done.insert(n)
            var peer: VethEnd?
            if let peerIndex = e.link.linkIndex {
                let peerSpace: Int? = try e.link.linkNetnsID.map {
                    try spaceFor(e.space, id: $0, peerIndex: peerIndex, backIndex: e.link.index)
                } ?? e.space
                if let ps = peerSpace, let pn = byKey[ps]?[peerIndex] {
                    done.insert(pn)
                    peer = end(ends[pn])
                }
            }
            pairs.append(VethPair(end: end(e), peer: peer))
        }
        return pairs
    }
}
