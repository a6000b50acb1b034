extension TopologyGenerator {
    /// The kinds of generated topology (`vethctl gen KIND N`): one declaration for the verb's
    /// help, its check of N and what it prints, so a kind added here is in all three.
    public enum Kind: String, CaseIterable, Sendable {
        case star
        case chain
        case pairs
        case pairsNamespace = "pairs-ns"

        /// The sizes N the kind takes.
        public var sizes: ClosedRange<Int> {
            switch self {
            case .chain: 2...65000
            case .star, .pairs, .pairsNamespace: 1...65000
            }
        }

        /// One line saying what the generated file holds.
        public var summary: String {
            switch self {
            case .star: "a host bridge and N leaf namespaces h1..hN on it"
            case .chain: "N namespaces n1..nN in a line, routed end to end"
            case .pairs: "N veth pairs in the host, no addresses"
            case .pairsNamespace: "N veth pairs from the host into one namespace, far"
            }
        }

        /// The topology file of size `n` (in ``sizes``); `name` defaults to the kind and N.
        public func generate(_ n: Int, name: String? = nil) -> String {
            switch self {
            case .star: TopologyGenerator.star(n, name: name)
            case .chain: TopologyGenerator.chain(n, name: name)
            case .pairs: TopologyGenerator.pairs(n, name: name)
            case .pairsNamespace: TopologyGenerator.pairs(n, name: name, namespace: true)
            }
        }
    }
}
