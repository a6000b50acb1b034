import ArgumentParser
import Glibc
import VethKit

/// The topology verbs (`up`, `plan`, `down`, `show`, `check`, `graph`, `list`, `gen`) run in the
/// `vethkit-topo` executable installed beside vethctl: the topology engine reads YAML with Yams,
/// which brings full Foundation, and linking that into vethctl would slow every other vethctl
/// command's start-up by about a third. vethctl replaces itself with it (`execv`, no child
/// process). These declarations give `vethctl --help` and `vethctl up --help` their text.
enum TopologyForwarding {
    static let verbs: Set<String> = ["up", "plan", "down", "show", "check", "graph", "list", "gen"]

    /// The engine's path: `vethkit-topo` in the directory of the running vethctl.
    static var enginePath: String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let exe = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return (dir.isEmpty ? "." : dir) + "/vethkit-topo"
    }

    /// Replaces the process with the engine running `arguments`; returns only by throwing.
    static func exec(_ arguments: [String]) throws -> Never {
        let path = enginePath
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(path, &argv)
        throw CommandError(context: arguments.first ?? "topology",
                           underlying: SystemCallError("exec \(path) (the topology engine, installed beside vethctl)"))
    }
}

/// A topology verb: its `run()` hands the original arguments to the engine.
protocol TopologyVerb: ParsableCommand {
    var forwarded: [String] { get }
}

extension TopologyVerb {
    mutating func run() throws {
        try TopologyForwarding.exec([Self._commandName] + forwarded)
    }
}

struct UpCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Create a topology from a YAML file, or converge it to the file (see docs/topology.md).")
    @Argument var file: String
    @Flag(name: [.customShort("q"), .long], help: "Print only the summary.") var quiet = false
    var forwarded: [String] { [file] + (quiet ? ["--quiet"] : []) }
}

struct PlanCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what `up` would do: + create, ~ change, - remove.")
    @Argument var file: String
    var forwarded: [String] { [file] }
}

struct DownCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Remove exactly what a topology created (by file or by name).")
    @Argument(help: "FILE or NAME") var topology: String
    var forwarded: [String] { [topology] }
}

struct ShowCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "The live state of a topology, marking what differs from its file.")
    @Argument(help: "FILE or NAME") var topology: String
    @Flag var json = false
    var forwarded: [String] { [topology] + (json ? ["--json"] : []) }
}

struct CheckCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Send real pings across the topology; exit 1 if any claim fails.")
    @Argument var file: String
    @Flag var json = false
    var forwarded: [String] { [file] + (json ? ["--json"] : []) }
}

struct GraphCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Draw a topology: dot, mermaid, or svg (through Graphviz's dot).")
    @Argument var file: String
    @Option var format = "dot"
    var forwarded: [String] { [file, "--format", format] }
}

struct ListCommand: TopologyVerb {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Topologies that are up on this machine.")
    @Flag var json = false
    var forwarded: [String] { json ? ["--json"] : [] }
}

struct GenCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "gen", abstract: "Print a generated topology file: star N, chain N or pairs N.")
    @Argument(help: "star, chain or pairs") var kind: String
    @Argument var count: Int
    @Option var name: String?
    var forwarded: [String] { [kind, String(count)] + (name.map { ["--name", $0] } ?? []) }
}
