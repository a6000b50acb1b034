import ArgumentParser
import VethKit
import VethKitTopology

/// `vethctl exec TOPOLOGY NODE -- CMD [ARGS...]` (as `clab exec`, Mininet's `h1 cmd`): vethctl
/// replaces itself with CMD inside the network namespace of NODE of a topology that is up, so
/// CMD's exit status is vethctl's. The node is found through the topology's marks
/// (``NodeNamespace``), never by its namespace's name alone; `host` is the namespace vethctl runs
/// in (`-n NS`: NS, as for the other topology verbs).
struct ExecCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a command in a node of a topology that is up (its exit status is vethctl's).",
        discussion: HelpExamples.discussion("exec", "The node's namespace is found through the topology's marks; `host` is the namespace vethctl runs in (-n NS)."))
    @Argument(help: "The topology's name.", completion: Completions.topologies) var topology: String
    @Argument(help: "The node.", completion: Completions.nodes) var node: String
    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
    var command: [String] = []
    @OptionGroup var namespace: NamespaceOption

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("exec \(topology) \(node): no command after -- (exec TOPOLOGY NODE -- CMD [ARGS...])") }
    }

    func perform() throws -> String {
        let location = try TopologyFailure.wrap("exec \(topology) \(node)") { () -> NodeNamespace.Location in
            // A node's name, checked as cut's (no `:IFNAME` here).
            guard try CutTarget.parse(node).interface == nil else {
                throw InvalidInput("node", node, "must be 1-64 characters of letters, digits, '_', '-', '.' (not starting with '.')")
            }
            return try NodeNamespace.locate(topology: topology, node: node)
        }
        let (ns, name): (NetworkNamespace, NamespaceName?)
        switch location {
        case .host: ns = try step("exec \(topology) \(node)") { try NetworkNamespace.current() }; name = nil
        case .namespace(let n, let nsName): (ns, name) = (n, nsName)
        }
        try step("exec \(topology) \(node)") { () throws -> Never in try NamespaceExec.exec(in: ns, name: name, command) }
    }
}
