import ArgumentParser
import VethKit
import VethKitTopology

/// `vethctl cut TOPOLOGY NODE[:IFNAME]` and `vethctl restore TOPOLOGY NODE[:IFNAME]`: a link of a
/// topology that is up fails like a pulled cable (both directions) and comes back with everything
/// it had (docs/topology.md, "Cut and restore"). Without IFNAME, every link of NODE.
struct CutCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "cut", abstract: "Cut a topology's link (both directions; every link of NODE without IFNAME).",
        discussion: HelpExamples.discussion("cut", "Nothing crosses the link until `vethctl restore`; addresses, routes, neighbours, bridge ports and impairments stay."))
    @Argument(help: "The topology's name.", completion: Completions.topologies) var topology: String
    @Argument(help: ArgumentHelp("The node, and the link by its interface there.", valueName: "node[:ifname]"), completion: Completions.nodes) var end: String
    @OptionGroup var namespace: NamespaceOption

    func perform() throws -> String {
        try TopologyFailure.wrap("cut \(topology) \(end)") {
            let (node, ifname) = try CutTarget.parse(end)
            return try TopologyCut.cut(topology: topology, node: node, interface: ifname).summary.terminalEscaped(keepingNewlines: false)
        }
    }
}

struct RestoreCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a link `vethctl cut` cut (every cut link of NODE without IFNAME).", discussion: HelpExamples.discussion("restore"))
    @Argument(help: "The topology's name.", completion: Completions.topologies) var topology: String
    @Argument(help: ArgumentHelp("The node, and the link by its interface there.", valueName: "node[:ifname]"), completion: Completions.nodes) var end: String
    @OptionGroup var namespace: NamespaceOption

    func perform() throws -> String {
        try TopologyFailure.wrap("restore \(topology) \(end)") {
            let (node, ifname) = try CutTarget.parse(end)
            return try TopologyCut.restore(topology: topology, node: node, interface: ifname).summary.terminalEscaped(keepingNewlines: false)
        }
    }
}

/// `NODE[:IFNAME]`, checked before any syscall (an interface name has no `:`).
enum CutTarget {
    static func parse(_ s: String) throws -> (node: String, interface: String?) {
        let parts = s.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let node = parts[0]
        let okChars = node.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d || c == 0x2e
        }
        guard !node.isEmpty, node.utf8.count <= 64, okChars, !node.hasPrefix(".") else {
            throw InvalidInput("node", node, "must be 1-64 characters of letters, digits, '_', '-', '.' (not starting with '.')")
        }
        guard parts.count == 2 else { return (node, nil) }
        try InterfaceName.validate(parts[1])
        // The kernel takes control characters in a name; a topology never declares one.
        if parts[1].utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw InvalidInput("interface name", parts[1], "contains a control character")
        }
        return (node, parts[1])
    }
}
