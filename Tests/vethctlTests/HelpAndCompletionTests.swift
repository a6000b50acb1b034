import Foundation
import VethKitTestSupport
import XCTest

/// Help and shell completions come from the one argument-parser tree, so they cover every verb,
/// the topology verbs included (they used to be forwarded before parsing, help aside).
final class HelpAndCompletionTests: XCTestCase {
    let v = Vethctl()
    static let topologyVerbs = ["up", "plan", "down", "show", "check", "cut", "restore", "perf", "exec", "graph", "list", "gen"]
    static let otherVerbs = ["netns", "link", "addr", "route", "qdisc", "peers", "who", "monitor"]

    func testTopLevelHelpListsEveryVerb() throws {
        let r = try runUnprivileged(v.path, ["--help"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let subcommands = r.stdout.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            return line.hasPrefix("  ") && !line.hasPrefix("   ") ? words.first.map(String.init)?.trimmingCharacters(in: CharacterSet(charactersIn: ",")) : nil
        }
        for verb in Self.otherVerbs + Self.topologyVerbs {
            XCTAssertTrue(subcommands.contains(verb), "vethctl --help lacks \(verb): \(r.stdout)")
        }
    }

    /// Each topology verb's help: its usage line with its arguments, options and `-n`, exit 0.
    func testEveryTopologyVerbHasItsHelp() throws {
        let usage = [
            "up": "USAGE: vethctl up <file> [--quiet] [-n <ns>]",
            "plan": "USAGE: vethctl plan <file> [-n <ns>]",
            "down": "USAGE: vethctl down <topology> [-n <ns>]",
            "show": "USAGE: vethctl show <topology> [--json] [-n <ns>]",
            "check": "USAGE: vethctl check <file> [--count <count>] [--interval <interval>] [--timeout <timeout>] [--all] [--json] [-n <ns>]",
            "cut": "USAGE: vethctl cut <topology> <node[:ifname]> [-n <ns>]",
            "restore": "USAGE: vethctl restore <topology> <node[:ifname]> [-n <ns>]",
            "perf": "USAGE: vethctl perf <file> <from> <to>",
            "exec": "USAGE: vethctl exec <topology> <node> -- [<command> ...] [-n <ns>]",
            "graph": "USAGE: vethctl graph <file> [--format <format>] [-n <ns>]",
            "list": "USAGE: vethctl list [--json] [-n <ns>]",
            "gen": "USAGE: vethctl gen <kind> <count> [--name <name>] [-n <ns>]",
        ]
        for verb in Self.topologyVerbs {
            for args in [[verb, "--help"], ["help", verb]] {
                let r = try runUnprivileged(v.path, args)
                XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
                XCTAssertTrue(r.stdout.contains(try XCTUnwrap(usage[verb])), "\(args): \(r.stdout)")
                XCTAssertTrue(r.stdout.contains("-n <ns>"), "\(args) lacks -n: \(r.stdout)")
            }
        }
        // The inventory verbs (issue 10): who's usage, --all on peers and netns list.
        for (args, usage) in [(["who", "--help"], "USAGE: vethctl who <ifname|ifindex> [-n <ns>] [--json]"),
                              (["peers", "--help"], "USAGE: vethctl peers [--json] [--all]"),
                              (["netns", "list", "--help"], "USAGE: vethctl netns list [--json] [--all]")] {
            let r = try runUnprivileged(v.path, args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains(usage), "\(args): \(r.stdout)")
        }
        let up = try runUnprivileged(v.path, ["up", "--help"]).stdout
        XCTAssertTrue(up.contains("-q, --quiet") && up.contains("Print only the summary."), up)
    }

    /// bash, zsh and fish completions name every verb, and the topology verbs' own options.
    func testCompletionScriptsCoverEveryVerb() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try runUnprivileged(v.path, ["--generate-completion-script", shell])
            XCTAssertEqual(r.status, 0, "\(shell): \(r.stderr)")
            for verb in Self.otherVerbs + Self.topologyVerbs {
                XCTAssertNotNil(r.stdout.range(of: "\\b\(verb)\\b", options: .regularExpression), "\(shell) completion lacks \(verb)")
            }
            for option in ["quiet", "format", "json", "name"] {
                // bash and zsh spell them --quiet; fish -l 'quiet' or 'quiet'/'format=' in its parser table.
                let spelled = shell == "fish" ? ["-l '\(option)'", "'\(option)'", "/\(option)'", "'\(option)='"] : ["--\(option)"]
                XCTAssertTrue(spelled.contains { r.stdout.contains($0) }, "\(shell) completion lacks \(option)")
            }
        }
        // bash: `vethctl up <TAB>` offers up's own options.
        let bash = try runUnprivileged(v.path, ["--generate-completion-script", "bash"]).stdout
        let upFunction = try XCTUnwrap(bash.range(of: "_vethctl_up()"), "no completion function for up")
        let body = bash[upFunction.upperBound...].prefix { $0 != "}" }
        XCTAssertTrue(body.contains("--quiet") && body.contains("-n"), String(body))
    }

    /// The package root (for examples/ and .build/share-test).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Every command and group, by path, from the grammar's own dump (what the man pages come from).
    func commandPaths() throws -> [(path: String, discussion: String)] {
        let r = try runUnprivileged(v.path, ["--experimental-dump-help"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let dump = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        var out: [(String, String)] = []
        func walk(_ c: [String: Any], _ prefix: [String]) {
            let name = c["commandName"] as? String ?? "?"
            guard name != "help" else { return }
            let path = prefix + [name]
            out.append((path.joined(separator: " "), c["discussion"] as? String ?? ""))
            for sub in c["subcommands"] as? [[String: Any]] ?? [] { walk(sub, path) }
        }
        walk(try XCTUnwrap(dump["command"] as? [String: Any]), [])
        return out
    }

    /// Every command's --help ends with examples, each a vethctl command line.
    func testEveryCommandsHelpHasExamples() throws {
        let paths = try commandPaths()
        XCTAssertGreaterThan(paths.count, 35)
        for (path, discussion) in paths {
            let block = discussion.components(separatedBy: "Examples:\n").dropFirst().first ?? ""
            let lines = block.split(separator: "\n")
            XCTAssertFalse(lines.isEmpty, "\(path) --help has no examples")
            XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("  vethctl ") }, "\(path): \(lines)")
            let verb = path.split(separator: " ").dropFirst().joined(separator: " ")
            XCTAssertTrue(verb.isEmpty || lines.contains { $0.contains(" \(verb) ") || $0.hasSuffix(" \(verb)") }, "\(path): no example uses it: \(lines)")
            // And --help shows them.
            let help = try runUnprivileged(v.path, path.split(separator: " ").dropFirst().map(String.init) + ["--help"])
            XCTAssertTrue(help.stdout.contains("Examples:"), "\(path) --help: \(help.stdout)")
        }
    }

    /// The examples are commands vethctl takes: the batch-able ones parse (a batch checks every
    /// line before running any: only the last, bad, line may be refused); the topology verbs get
    /// past the parser (unprivileged, they stop at the file or at privilege, never at usage).
    func testExamplesAreValidCommandLines() throws {
        let paths = try commandPaths()
        var lines: [String] = []
        for (_, discussion) in paths {
            let block = discussion.components(separatedBy: "Examples:\n").dropFirst().first ?? ""
            lines += block.split(separator: "\n").map { String($0.dropFirst("  vethctl ".count)) }
        }
        let runnable = lines.filter { !$0.contains(">") && !$0.contains("&&") }
        XCTAssertGreaterThan(runnable.count, 60)
        let batch = runnable.joined(separator: "\n") + "\naddr add 10.0.0.1/99 --dev lo\n"
        let r = try runUnprivileged(v.path, ["--batch", "-"], input: batch)
        XCTAssertEqual(r.status, 2, r.stderr)
        let refusals = r.stderr.split(separator: "\n").filter { !$0.contains("is not a command that can run in a batch") && !$0.hasSuffix("lines failed") }
        XCTAssertEqual(refusals.count, 1, "an example does not parse: \(refusals)")
        XCTAssertTrue(refusals.first?.contains("10.0.0.1/99") == true, "\(refusals)")
        let topologyVerbs = Set(Self.topologyVerbs + ["exec", "perf"])
        for line in runnable where topologyVerbs.contains(String(line.split(separator: " ").first ?? "")) {
            var words: [String] = []
            var current = "", quoted: Character?
            for c in line {
                if let q = quoted { if c == q { quoted = nil } else { current.append(c) } }
                else if c == "'" || c == "\"" { quoted = c }
                else if c == " " { if !current.isEmpty { words.append(current); current = "" } }
                else { current.append(c) }
            }
            if !current.isEmpty { words.append(current) }
            let t = try runProcessIn(Self.root, v.path, words)
            XCTAssertFalse(t.stderr.contains("(see vethctl --help)"), "\(line): \(t.stderr)")
        }
    }

    func runProcessIn(_ dir: String, _ path: String, _ args: [String]) throws -> ProcessResult {
        // Unprivileged (nothing is changed), from the package root (for examples/).
        try runUnprivileged("/usr/bin/env", ["-C", dir, path] + args)
    }

    /// The man pages scripts/man generated (scripts/test runs it first, into .build/share-test):
    /// one per command, each naming its command and showing its examples; the completion scripts
    /// beside them.
    func testManPagesAndCompletionFilesAreGenerated() throws {
        let share = Self.root + "/.build/share-test/share"
        guard FileManager.default.fileExists(atPath: share + "/man/man1/vethctl.1") else {
            throw XCTSkip("no man pages in \(share): run scripts/man .build/share-test first (scripts/test does)")
        }
        for (path, _) in try commandPaths() {
            let page = share + "/man/man1/" + path.replacingOccurrences(of: " ", with: ".") + ".1"
            let text = try XCTUnwrap(try? String(contentsOfFile: page, encoding: .utf8), "no man page \(page)")
            XCTAssertTrue(text.contains(".Nm") && text.contains(path.replacingOccurrences(of: " ", with: "\\ ")) || text.contains(path), "\(page) does not name \(path)")
            XCTAssertTrue(text.contains("Examples:"), "\(page) lacks the examples")
            // groff renders it without complaint.
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/groff") {
                let g = try runProcess("/usr/bin/groff", ["-mdoc", "-Tutf8", "-ww", page])
                XCTAssertEqual(g.status, 0, "\(page): \(g.stderr)")
                XCTAssertTrue(g.stdout.contains("Examples"), page)
            }
        }
        let top = try String(contentsOfFile: share + "/man/man1/vethctl.1", encoding: .utf8)
        for verb in Self.otherVerbs + Self.topologyVerbs { XCTAssertTrue(top.contains(verb), "vethctl.1 lacks \(verb)") }
        for file in ["/bash-completion/completions/vethctl", "/zsh/site-functions/_vethctl", "/fish/vendor_completions.d/vethctl.fish"] {
            let text = try String(contentsOfFile: share + file, encoding: .utf8)
            XCTAssertTrue(text.contains("---completion"), "\(file) has no callback for live names")
        }
    }

    /// Tab completion in bash (the generated script, as bash runs it) offers what exists now: a
    /// namespace made in the test, its links after `-n NS`, a topology that is up and its nodes,
    /// the values of an enumerated option.
    func testBashCompletionOffersLiveNames() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let ns = "cpl-\(s)", topo = "cq\(s.prefix(4))"
        let yaml = NSTemporaryDirectory() + "vethkit-comp-\(s).yaml"
        addTeardownBlock { [v] in
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns])
            _ = try? v.run(["down", topo])
            try? FileManager.default.removeItem(atPath: yaml)
        }
        try ip("netns", "add", ns)
        try ip("-n", ns, "link", "add", "czed\(s.prefix(4))", "type", "bridge")
        try v.ok("gen", "pairs-ns", "1", "--name", topo).write(toFile: yaml, atomically: true, encoding: .utf8)
        try v.ok("up", yaml, "--quiet")
        let script = NSTemporaryDirectory() + "vethkit-comp-\(s).bash"
        try v.ok("--generate-completion-script", "bash").write(toFile: script, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: script) }
        let dir = URL(fileURLWithPath: v.path).deletingLastPathComponent().path
        func complete(_ words: [String]) throws -> [String] {
            let quoted = words.map { "'\($0)'" }.joined(separator: " ")
            let program = """
                export PATH=\(dir):$PATH; source \(script)
                COMP_WORDS=(\(quoted)); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
                _vethctl vethctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; printf '%s\\n' "${COMPREPLY[@]}"
                """
            let r = try runProcess("/bin/bash", ["-c", program])
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stdout.split(separator: "\n").map(String.init)
        }
        XCTAssertTrue(try complete(["vethctl", "-n", "cpl-"]).contains(ns))
        XCTAssertTrue(try complete(["vethctl", "netns", "exec", "cpl-"]).contains(ns))
        XCTAssertEqual(try complete(["vethctl", "-n", ns, "link", "set", "cz"]), ["czed\(s.prefix(4))"])
        XCTAssertEqual(try complete(["vethctl", "link", "show", "-n", ns, "cz"]), ["czed\(s.prefix(4))"])
        XCTAssertEqual(try complete(["vethctl", "addr", "add", "10.0.0.1/24", "-n", ns, "--dev", "cz"]), ["czed\(s.prefix(4))"])
        XCTAssertTrue(try complete(["vethctl", "down", "cq"]).contains(topo))
        XCTAssertEqual(Set(try complete(["vethctl", "exec", topo, ""])), ["far", "host"])
        XCTAssertEqual(Set(try complete(["vethctl", "graph", yaml, "--format", ""])), ["dot", "svg", "png", "mermaid"])
        XCTAssertEqual(Set(try complete(["vethctl", "route", "show", "--table", ""])), ["main", "local", "default", "all"])
        // Nothing for a namespace that does not exist (and no error).
        XCTAssertEqual(try complete(["vethctl", "-n", "nx-\(s)", "link", "set", ""]), [])
    }
}
