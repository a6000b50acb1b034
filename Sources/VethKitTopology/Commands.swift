import Foundation
import VethKit
import VethKitJSON

/// The topology commands of `vethctl` as plain functions: each returns what to print and the exit
/// status, so the CLI's subcommands are one-line wrappers. Exit statuses follow vethctl's:
/// 0 ok, 1 refused (kernel refusal, conflict, busy lock, failed reachability check),
/// 2 bad input (schema errors with file:line:column, bad names, unreadable file).
public enum TopologyCommands {
    public struct Outcome: Sendable {
        public var stdout: String
        public var stderr: String
        public var status: Int32
        public init(stdout: String = "", stderr: String = "", status: Int32 = 0) {
            self.stdout = stdout
            self.stderr = stderr
            self.status = status
        }
        /// Writes stdout and stderr and returns the status.
        @discardableResult
        public func emit() -> Int32 {
            if !stdout.isEmpty { FileHandle.standardOutput.write(Data((stdout.hasSuffix("\n") ? stdout : stdout + "\n").utf8)) }
            // Messages may quote names from the kernel or a file: never a raw control character.
            let stderr = self.stderr.terminalEscaped(keepingNewlines: true)
            if !stderr.isEmpty { FileHandle.standardError.write(Data((stderr.hasSuffix("\n") ? stderr : stderr + "\n").utf8)) }
            return status
        }
    }

    static func failure(_ command: String, _ error: Error) -> Outcome {
        switch error {
        case let e as SchemaErrors: return Outcome(stderr: e.lines(prefix: "vethctl: ").joined(separator: "\n"), status: 2)
        case is InvalidInput: return Outcome(stderr: "vethctl: \(command): \(error)", status: 2)
        case let e as ApplyError: return Outcome(stderr: "vethctl: \(e)", status: 1)
        case let e as ConflictError: return Outcome(stderr: "vethctl: \(e)", status: 1)
        case let e as NotUp: return Outcome(stderr: "vethctl: \(command): \(e)", status: 1)
        case is GraphvizMissing: return Outcome(stderr: "vethctl: \(error)", status: 1)
        default: return Outcome(stderr: "vethctl: \(command): \(error)", status: 1)
        }
    }

    /// FILE or NAME: a path to an existing file (or anything ending in .yaml/.yml) is a file.
    static func isFile(_ s: String) -> Bool {
        s.hasSuffix(".yaml") || s.hasSuffix(".yml") || s.contains("/") || FileManager.default.fileExists(atPath: s)
    }

    /// `vethctl up FILE`: creates or converges; prints the plan's lines and a summary
    /// (`seed: 6 created, 0 changed, 0 removed in 0.012 s (…)` or `seed: no changes`).
    /// `progress`: show progress on standard error (pass isatty(2) for "on a TTY").
    public static func up(file: String, progress: Bool = false, quiet: Bool = false) -> Outcome {
        do {
            let t = try Topology.load(file)
            var o = Applier.Options()
            if progress {
                o.progress = { line in FileHandle.standardError.write(Data("\r\u{1b}[K\(t.name): \(line)".utf8)) }
            }
            let r = try Applier.up(t, options: o)
            printTimings(r.timings)
            if progress { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
            let lines = quiet || r.plan.isEmpty ? [] : r.plan.steps.map(r.plan.describe)
            return Outcome(stdout: (lines + [r.summary]).joined(separator: "\n").terminalEscaped(keepingNewlines: true))
        } catch { return failure("up \(file)", error) }
    }

    /// `vethctl plan FILE`: the diff without applying (`+` create, `~` change, `-` remove, `!`
    /// conflict), then counts; exit 0 (1 when there are conflicts).
    public static func plan(file: String) -> Outcome {
        do {
            let t = try Topology.load(file)
            let p = Planner.plan(t, live: try LiveReader.read(t))
            return Outcome(stdout: p.text.terminalEscaped(keepingNewlines: true), status: p.conflicts.isEmpty ? 0 : 1)
        } catch { return failure("plan \(file)", error) }
    }

    /// VETHKIT_TIMINGS=1: the parts' timings on standard error.
    static func printTimings(_ timings: [Timing]) {
        if Timing.requested { FileHandle.standardError.write(Data((Timing.line(timings) + "\n").utf8)) }
    }

    /// `vethctl down FILE|NAME`: removes what the topology created; prints a summary.
    public static func down(_ fileOrName: String) -> Outcome {
        do {
            let t = isFile(fileOrName) ? try Topology.load(fileOrName) : nil
            let r = try Applier.down(name: t?.name ?? fileOrName, topology: t)
            printTimings(r.timings)
            return Outcome(stdout: r.summary)
        } catch { return failure("down \(fileOrName)", error) }
    }

    /// `vethctl show FILE|NAME [--json]`: live state; with a FILE, differences are marked.
    public static func show(_ fileOrName: String, json: Bool = false) -> Outcome {
        do {
            let r = isFile(fileOrName) ? try Shower.show(Topology.load(fileOrName)) : try Shower.show(name: fileOrName)
            return Outcome(stdout: json ? r.json : r.text.terminalEscaped(keepingNewlines: true))
        } catch { return failure("show \(fileOrName)", error) }
    }

    /// `vethctl check FILE [--json]`: the reachability table; exit 1 when any probe fails.
    public static func check(file: String, json: Bool = false, timeout: Double = 1) -> Outcome {
        do {
            let r = try Checker.run(Topology.load(file), timeout: timeout)
            return Outcome(stdout: json ? r.json : r.table.terminalEscaped(keepingNewlines: true), status: r.passed ? 0 : 1)
        } catch { return failure("check \(file)", error) }
    }

    /// `vethctl graph FILE [--format dot|svg|mermaid]` (default dot).
    public static func graph(file: String, format: String = "dot") -> Outcome {
        guard let f = GraphFormat(rawValue: format) else {
            return Outcome(stderr: "vethctl: graph: invalid format \"\(format)\": expected dot, svg or mermaid", status: 2)
        }
        do { return Outcome(stdout: try Topology.load(file).graph(format: f)) } catch { return failure("graph \(file)", error) }
    }

    /// `vethctl list [--json]`: topologies up on this machine.
    public static func list(json: Bool = false) -> Outcome {
        do {
            let l = try Applier.list()
            if json {
                return Outcome(stdout: JSON.array(l.map { ["name": .string($0.name), "namespaces": JSON($0.namespaces), "host_links": JSON($0.hostLinks)] }).serialized)
            }
            var rows = [["NAME", "NAMESPACES", "HOST LINKS"]]
            rows += l.map { [$0.name, String($0.namespaces), String($0.hostLinks)] }
            let w = (0..<3).map { c in rows.map { $0[c].count }.max()! }
            return Outcome(stdout: rows.map { r in r.enumerated().map { $1.padding(toLength: w[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces) }.joined(separator: "\n").terminalEscaped(keepingNewlines: true))
        } catch { return failure("list", error) }
    }

    /// `vethctl gen star|chain|pairs|pairs-ns N [--name NAME]`: a generated topology file on stdout.
    public static func gen(_ kind: String, _ n: Int, name: String? = nil) -> Outcome {
        if let name { do { try validateTopologyName(name) } catch { return failure("gen", error) } }
        switch kind {
        case "star" where (1...65000).contains(n): return Outcome(stdout: TopologyGenerator.star(n, name: name))
        case "chain" where (2...65000).contains(n): return Outcome(stdout: TopologyGenerator.chain(n, name: name))
        case "pairs" where (1...65000).contains(n): return Outcome(stdout: TopologyGenerator.pairs(n, name: name))
        case "pairs-ns" where (1...65000).contains(n): return Outcome(stdout: TopologyGenerator.pairs(n, name: name, namespace: true))
        default: return Outcome(stderr: "vethctl: gen: expected `star N` (1...65000), `chain N` (2...65000), `pairs N` or `pairs-ns N`", status: 2)
        }
    }

    /// A whole command line after `vethctl` (`up FILE`, `show NAME --json`, …), for a CLI that
    /// wants to forward these subcommands as they are. Nil when `arguments[0]` is not one of them.
    public static func run(_ arguments: [String]) -> Outcome? {
        guard let cmd = arguments.first else { return nil }
        var rest = Array(arguments.dropFirst())
        func flag(_ f: String) -> Bool {
            if let i = rest.firstIndex(of: f) { rest.remove(at: i); return true }
            return false
        }
        func option(_ o: String) -> String? {
            if let i = rest.firstIndex(of: o), i + 1 < rest.count { let v = rest[i + 1]; rest.removeSubrange(i...i + 1); return v }
            if let i = rest.firstIndex(where: { $0.hasPrefix(o + "=") }) { let v = String(rest[i].dropFirst(o.count + 1)); rest.remove(at: i); return v }
            return nil
        }
        let usage: [String: String] = ["up": "up FILE [--quiet]", "plan": "plan FILE", "down": "down FILE|NAME", "show": "show FILE|NAME [--json]",
                                       "check": "check FILE [--json]", "graph": "graph FILE [--format dot|svg|mermaid]", "list": "list [--json]",
                                       "gen": "gen star|chain|pairs|pairs-ns N [--name NAME]"]
        guard let u = usage[cmd] else { return nil }
        let json = flag("--json")
        let quiet = flag("--quiet") || flag("-q")
        let format = option("--format")
        let name = option("--name")
        func bad() -> Outcome { Outcome(stderr: "vethctl: usage: vethctl \(u)", status: 2) }
        switch cmd {
        case "up": return rest.count == 1 ? up(file: rest[0], progress: isatty(2) == 1, quiet: quiet) : bad()
        case "plan": return rest.count == 1 ? plan(file: rest[0]) : bad()
        case "down": return rest.count == 1 ? down(rest[0]) : bad()
        case "show": return rest.count == 1 ? show(rest[0], json: json) : bad()
        case "check": return rest.count == 1 ? check(file: rest[0], json: json) : bad()
        case "graph": return rest.count == 1 ? graph(file: rest[0], format: format ?? "dot") : bad()
        case "list": return rest.isEmpty ? list(json: json) : bad()
        case "gen": return rest.count == 2 ? (Int(rest[1]).map { gen(rest[0], $0, name: name) } ?? bad()) : bad()
        default: return nil
        }
    }
}
