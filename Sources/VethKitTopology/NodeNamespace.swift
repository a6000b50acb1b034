import VethKit

/// The network namespace a node of a topology that is up lives in, found through VethKit's own
/// record of the topology (its marks, docs/topology.md), never by guessing a name: a namespace
/// named `<topology>-<node>` without the topology's mark on its lo (a user's `ip netns add`, or
/// another topology's) is not the node's. For `vethctl exec`.
public enum NodeNamespace {
    /// Where a node is.
    public enum Location: Sendable {
        /// The `host` node: the namespace the caller runs in (vethctl's `-n NS`).
        case host
        /// A namespace of the topology, opened (the descriptor whose mark was checked: entering it
        /// enters the namespace that was checked, even if the name is re-bound meanwhile).
        case namespace(NetworkNamespace, name: NamespaceName)
    }

    /// The node `node` of topology `topology`. Throws ``NotUp`` (naming the topologies that are
    /// up) when nothing of the topology exists, and `InvalidInput` naming the node and listing
    /// the topology's nodes when it has no such node.
    public static func locate(topology: String, node: String) throws -> Location {
        let (owned, hasHostLinks) = try members(of: topology)
        let nodes = owned.map(\.node) + (hasHostLinks ? [Topology.hostNode] : [])
        func unknown() -> InvalidInput {
            InvalidInput("node", node, "is not a node of topology \(topology) (nodes: \(nodes.sorted().joined(separator: ", ")))")
        }
        if node == Topology.hostNode, hasHostLinks { return .host }
        guard let found = owned.first(where: { $0.node == node }) else { throw unknown() }
        let name = try NamespaceName(found.namespace)
        let ns = try NetworkNamespace.open(name)
        // The mark, read again through the descriptor that will be entered.
        guard try NetHandle(namespace: ns).link(index: 1).alias == Ownership.alias(for: topology) else { throw unknown() }
        return .namespace(ns, name: name)
    }

    /// The names of the nodes of topology `topology` that is up (`host` when it has host links),
    /// sorted; throws ``NotUp`` when nothing of it exists. For completion and error messages.
    public static func nodes(of topology: String) throws -> [String] {
        let (owned, hasHostLinks) = try members(of: topology)
        return (owned.map(\.node) + (hasHostLinks ? [Topology.hostNode] : [])).sorted()
    }

    /// The topology's marked namespaces and whether it has links in the caller's namespace.
    static func members(of topology: String) throws -> (owned: [(node: String, namespace: String)], hasHostLinks: Bool) {
        try validateTopologyName(topology)
        let hostLinks = try NetHandle().links()
        let hasHostLinks = hostLinks.contains { Ownership.owns(alias: $0.alias, topology: topology) }
        let owned = try LiveReader.ownedNamespaces(of: topology, hostLinks: hostLinks).owned
        guard hasHostLinks || !owned.isEmpty else { throw NotUp.error(topology) }
        return (owned, hasHostLinks)
    }
}
