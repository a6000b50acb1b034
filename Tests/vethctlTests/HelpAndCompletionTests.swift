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
}
