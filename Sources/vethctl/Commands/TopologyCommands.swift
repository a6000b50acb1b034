import ArgumentParser
import Glibc
import VethKit
import VethKitTopology

/// The topology verbs (`up`, `plan`, `down`, `show`, `check`, `graph`, `list`, `gen`; see
/// docs/topology.md). Each calls the topology library, which returns values or throws typed
/// errors; vethctl prints them (TopologyOutput.swift) and maps errors to exit statuses
/// (TopologyFailure.swift). `-n NS` (before or after the verb) makes namespace NS the topology's
/// `host` node: the main thread enters it before any work (NamespaceEntry.swift).
protocol TopologyVerb: ParsableCommand {
    var namespace: NamespaceOption { get }
    /// What the verb prints on standard output; throws ``TopologyFailure`` for a non-zero exit.
    func perform() throws -> String
}

extension TopologyVerb {
    mutating func run() throws {
        try MainThreadNamespace.enter(namespace.name, for: Self._commandName)
        emitLine(try perform())
    }
}

struct UpCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Create a topology from a YAML file, or converge it to the file (see docs/topology.md).",
        discussion: HelpExamples.discussion("up", "Prints the plan's lines and a summary; progress on standard error when it is a terminal."))
    @Argument(help: "The topology file.", completion: .file(extensions: ["yaml", "yml"])) var file: String
    @Flag(name: [.customShort("q"), .long], help: "Print only the summary.") var quiet = false
    @OptionGroup var namespace: NamespaceOption

    func perform() throws -> String {
        try TopologyFailure.wrap("up \(file)") {
            let t = try Topology.load(file)
            var options = Applier.Options()
            let progress = isatty(2) == 1
            if progress { options.progress = { TopologyOutput.progress(topology: t.name, $0) } }
            defer { if progress { TopologyOutput.clearProgress() } }
            let r = try Applier.up(t, options: options)
            TopologyOutput.timings(r.timings)
            // The neighbour-table limit is global: say so when `check` of this topology would pass it.
            if let w = NeighbourLimit.warning(t, claims: Checker.claims(t), what: "check") {
                TopologyOutput.writeStandardError(w.terminalEscaped() + "\n")
            }
            return TopologyOutput.up(r, quiet: quiet)
        }
    }
}

struct PlanCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what `up` would do: + create, ~ change, - remove, ! conflict (exit 1).", discussion: HelpExamples.discussion("plan"))
    @Argument(help: "The topology file.", completion: .file(extensions: ["yaml", "yml"])) var file: String
    @OptionGroup var namespace: NamespaceOption

    func perform() throws -> String {
        let p = try TopologyFailure.wrap("plan \(file)") { () -> Plan in
            let t = try Topology.load(file)
            return Planner.plan(t, live: try LiveReader.read(t))
        }
        let text = p.text.terminalEscaped(keepingNewlines: true)
        guard p.conflicts.isEmpty else { throw TopologyFailure(stdout: text, status: .refused) }
        return text
    }
}

struct DownCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Remove exactly what a topology created (by file or by name).", discussion: HelpExamples.discussion("down"))
    @Argument(help: "FILE or NAME", completion: Completions.topologiesOrFiles) var topology: String
    @OptionGroup var namespace: NamespaceOption

    func perform() throws -> String {
        try TopologyFailure.wrap("down \(topology)") {
            if TopologyOutput.isFile(topology) {
                let t = try Topology.load(topology)
                let r = try Applier.down(name: t.name, topology: t)
                TopologyOutput.timings(r.timings)
                return TopologyOutput.down(r)
            }
            let r = try Applier.down(name: topology)
            TopologyOutput.timings(r.timings)
            return TopologyOutput.down(r)
        }
    }
}

struct ShowCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "The live state of a topology, marking what differs from its file.", discussion: HelpExamples.discussion("show"))
    @Argument(help: "FILE or NAME", completion: Completions.topologiesOrFiles) var topology: String
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var namespace: NamespaceOption

    func perform() throws -> String {
        let r = try TopologyFailure.wrap("show \(topology)") {
            TopologyOutput.isFile(topology) ? try Shower.show(Topology.load(topology)) : try Shower.show(name: topology)
        }
        return json ? r.json : r.text.terminalEscaped(keepingNewlines: true)
    }
}

struct CheckCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Send real pings across the topology; exit 1 if any claim fails.",
        discussion: HelpExamples.discussion("check", """
        Without --count: one echo per claim (resent every 250 ms for --timeout, then once more with \
        twice the timeout), a table FROM/TO/RESULT/RTT/WHY/CLAIM (WHY: what failed; CLAIM: why the pair is probed). --count N: N echoes per claim, --interval \
        apart (10ms by default; ping's is 1s), each waited for --timeout and never resent: sent, \
        received, loss and ping's rtt min/avg/max/mdev per claim. --all: every node to every address of \
        every other node (pingall), as a matrix with the failures listed. Times as tc writes them \
        (10ms, 1s, 250us).
        """))
    @Argument(help: "The topology file.", completion: .file(extensions: ["yaml", "yml"])) var file: String
    @Option(help: "Echoes per claim, 1-65535 (measures loss and RTT).") var count: String?
    @Option(help: "Time between a claim's echoes with --count (default 10ms).") var interval: String?
    @Option(help: "How long an echo waits for its reply (default 1s).") var timeout: String?
    @Flag(help: "Every node to every address of every other node, as a matrix.") var all = false
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var namespace: NamespaceOption

    /// The options, or exit 2 naming the bad value.
    func options() throws -> Checker.Options {
        var o = Checker.Options()
        func bad(_ what: String, _ value: String, _ why: String) -> TopologyFailure {
            TopologyFailure(stderr: "vethctl: check: invalid \(what) \"\(value)\": \(why)".terminalEscaped(), status: .badInput)
        }
        if let count {
            guard count.utf8.count <= 9, let n = Int(count), (1...ICMPEcho.Options.maximumCount).contains(n) else {
                throw bad("count", count, "expected 1-\(ICMPEcho.Options.maximumCount)")
            }
            o.count = n
        }
        if let interval {
            guard let v = CheckUnits.seconds(interval), v <= 60 else {
                throw bad("interval", interval, "expected a time of at most 60s with a unit, as tc writes it (10ms, 1s, 0ms)")
            }
            guard count != nil else { throw bad("interval", interval, "only applies with --count") }
            o.interval = v
        }
        if let timeout {
            guard let v = CheckUnits.seconds(timeout), v > 0, v <= 60 else {
                throw bad("timeout", timeout, "expected a time above 0 and at most 60s with a unit, as tc writes it (1s, 500ms)")
            }
            o.timeout = v
        }
        return o
    }

    func perform() throws -> String {
        let o = try options()
        let r = try TopologyFailure.wrap("check \(file)") { () -> Checker.Report in
            let t = try Topology.load(file)
            if all { return try Checker.runAll(t, options: o) }
            let claims = Checker.claims(t)
            let echoes = claims.count * (o.count ?? 1)
            guard echoes <= ICMPEcho.Options.maximumEchoes else {
                throw InvalidInput("count", String(o.count ?? 1),
                                   "\(claims.count) claims × \(o.count ?? 1) echoes is more than \(ICMPEcho.Options.maximumEchoes)")
            }
            return try Checker.run(t, options: o)
        }
        TopologyOutput.timings([Timing("wait for bridge ports", seconds: r.bridgePortWait)])
        for w in r.warnings { TopologyOutput.writeStandardError(w.terminalEscaped() + "\n") }
        let text = json ? r.json : r.table.terminalEscaped(keepingNewlines: true)
        guard r.passed else { throw TopologyFailure(stdout: text, status: .refused) }
        return text
    }
}

struct GraphCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Draw a topology: dot, mermaid, or svg and png (through Graphviz's dot).",
        discussion: HelpExamples.discussion("graph", "Each namespace is a cluster; a link's ends carry their interface and addresses. png is binary: redirect it (> lab.png)."))
    @Argument(help: "The topology file.", completion: .file(extensions: ["yaml", "yml"])) var file: String
    @Option(help: "dot, svg, png or mermaid.", completion: .list(["dot", "svg", "png", "mermaid"])) var format = "dot"
    @OptionGroup var namespace: NamespaceOption

    /// The format, or exit 2 naming it; PNG is never written to a terminal.
    func graphFormat() throws -> GraphFormat {
        guard let f = GraphFormat(rawValue: format) else {
            throw TopologyFailure(stderr: "vethctl: graph: invalid format \"\(format.terminalEscaped())\": expected dot, svg, png or mermaid", status: .badInput)
        }
        if !f.isText, isatty(1) == 1 {
            throw TopologyFailure(stderr: "vethctl: graph: --format \(f.rawValue) is binary: redirect standard output to a file (> \(f.rawValue == "png" ? "lab.png" : "FILE"))", status: .badInput)
        }
        return f
    }

    mutating func run() throws {
        try MainThreadNamespace.enter(namespace.name, for: Self._commandName)
        let f = try graphFormat()
        let bytes = try TopologyFailure.wrap("graph \(file)") { try Topology.load(file).graphBytes(format: f) }
        if f.isText { emitLine(String(decoding: bytes, as: UTF8.self)) } else { emit(bytes) }
    }

    func perform() throws -> String {
        try TopologyFailure.wrap("graph \(file)") { try Topology.load(file).graph(format: graphFormat()) }
    }
}

struct ListCommand: TopologyVerb {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Topologies that are up on this machine.", discussion: HelpExamples.discussion("list"))
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var namespace: NamespaceOption

    func perform() throws -> String {
        let l = try TopologyFailure.wrap("list") { try Applier.list() }
        return json ? TopologyOutput.listJSON(l) : TopologyOutput.listTable(l)
    }
}

struct GenCommand: TopologyVerb {
    typealias Kind = TopologyGenerator.Kind

    static let configuration = CommandConfiguration(
        commandName: "gen", abstract: "Print a generated topology file: \(kindList).",
        discussion: HelpExamples.discussion("gen", kindsHelp))
    @Argument(help: ArgumentHelp("The kind: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))."), completion: .list(Kind.allCases.map(\.rawValue))) var kind: String
    @Argument(help: "How many leaves, nodes or pairs.") var count: Int
    @Option(help: "The topology's name (default: the kind and N).") var name: String?
    @OptionGroup var namespace: NamespaceOption

    /// `KINDS:` and a line per kind: `  star N      a host bridge and … (1-65000)`.
    static var kindsHelp: String {
        var lines = ["KINDS:"]
        for k in Kind.allCases {
            let word = "\(k.rawValue) N"
            let head = word + String(repeating: " ", count: max(2, 12 - word.count))
            lines.append("  " + head + k.summary + " (\(k.sizes.lowerBound)-\(k.sizes.upperBound))")
        }
        return lines.joined(separator: "\n")
    }

    /// `star, chain, pairs or pairs-ns`.
    static var kindList: String {
        let all = Kind.allCases.map(\.rawValue)
        return all.dropLast().joined(separator: ", ") + " or " + all.last!
    }

    func perform() throws -> String {
        if let name { try TopologyFailure.wrap("gen") { try validateTopologyName(name) } }
        guard let k = Kind(rawValue: kind), k.sizes.contains(count) else {
            let expected: [String] = Kind.allCases.map { k in "`\(k.rawValue) N` (\(k.sizes.lowerBound)...\(k.sizes.upperBound))" }
            throw TopologyFailure(stderr: "vethctl: gen: expected " + expected.dropLast().joined(separator: ", ") + " or " + expected.last!,
                                  status: .badInput)
        }
        return k.generate(count, name: name)
    }
}
