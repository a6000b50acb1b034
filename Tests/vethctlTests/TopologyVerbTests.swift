import Foundation
import VethKitTestSupport
import VethKitTopology
import XCTest

/// The topology verbs through vethctl, as a user types them (vethctl runs them itself, one
/// executable), and every verb's exit status and summary line is the documented one
/// (docs/topology.md: plan 1 on conflicts, 2 on schema errors; check 1 on a failed probe).
/// Kernel tests use topologies of their own (unique names, a bridge and two namespaces).
final class TopologyVerbTests: XCTestCase {
    let v = Vethctl()

    /// A temporary file holding `text`, removed when the test ends.
    func file(_ text: String, ext: String = "yaml") throws -> String {
        let path = NSTemporaryDirectory() + "vethctl-topo-\(uniqueSuffix()).\(ext)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Asserts `text` matches the regular expression `pattern` (whole string).
    func assertMatches(_ text: String, _ pattern: String, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        let ok = text.range(of: "^" + pattern + "$", options: .regularExpression) != nil
        XCTAssertTrue(ok, "\"\(text)\" does not match /\(pattern)/ \(message)", file: file, line: line)
    }

    func lastLine(_ s: String) -> String { s.split(separator: "\n").last.map(String.init) ?? "" }

    /// A small topology `name`: a host bridge b<s> (10.66.0.1/24) and namespaces a and b, each
    /// joined to it by a veth (host ends h<s>a, h<s>b), with checks from each side.
    struct Star {
        let s = uniqueSuffix()
        var name: String { "vt\(s)" }
        var bridge: String { "b\(s)" }
        func hostEnd(_ node: String) -> String { "h\(s)\(node)" }
        func namespace(_ node: String) -> String { "\(name)-\(node)" }
        var yaml: String {
            """
            name: \(name)
            nodes:
              host:
                bridges:
                  \(bridge): {addresses: [10.66.0.1/24]}
              a:
                routes: [{to: default, via: 10.66.0.1}]
              b:
                routes: [{to: default, via: 10.66.0.1}]
            links:
              - endpoints: [{node: a, name: eth0, addresses: [10.66.0.2/24]}, {node: host, name: \(hostEnd("a")), master: \(bridge)}]
              - endpoints: [{node: b, name: eth0, addresses: [10.66.0.3/24]}, {node: host, name: \(hostEnd("b")), master: \(bridge)}]
            checks:
              - {from: a, to: 10.66.0.1}
              - {from: b, to: 10.66.0.1}
              - {from: a, to: 10.66.0.3}
            """
        }
    }

    /// Brings nothing up; on teardown removes whatever of `t` exists (passed or failed) and waits
    /// for the host ends to vanish.
    func cleanUp(_ t: Star) {
        addTeardownBlock { [v] in
            _ = try? v.run(["down", t.name])
            for n in ["a", "b"] { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", t.namespace(n)]) }
            for l in [t.bridge, t.hostEnd("a"), t.hostEnd("b")] { _ = try? runProcess("/usr/sbin/ip", ["link", "del", l]) }
            try? waitUntilLinksGone([t.hostEnd("a"), t.hostEnd("b")])
        }
    }

    // MARK: no kernel needed

    /// `gen` prints exactly the library's generated file; bad kinds and sizes are bad input (2),
    /// with the one usage line.
    func testGenPrintsTheLibrarysFiles() throws {
        let cases: [([String], String)] = [
            (["gen", "star", "3", "--name", "x"], TopologyGenerator.star(3, name: "x")),
            (["gen", "chain", "4"], TopologyGenerator.chain(4)),
            (["gen", "pairs", "2"], TopologyGenerator.pairs(2)),
            (["gen", "pairs-ns", "2"], TopologyGenerator.pairs(2, namespace: true)),
        ]
        for (args, expected) in cases {
            let r = try runUnprivileged(v.path, args)
            XCTAssertEqual(r.status, 0, "vethctl \(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, expected, "vethctl \(args)")
            XCTAssertEqual(r.stderr, "", "vethctl \(args)")
        }
        let usage = "vethctl: gen: expected `star N` (1...65000), `chain N` (2...65000), `pairs N` (1...65000) or `pairs-ns N` (1...65000)\n"
        for args in [["gen", "bogus", "2"], ["gen", "chain", "1"], ["gen", "star", "65001"]] {
            let r = try runUnprivileged(v.path, args)
            XCTAssertEqual(r.status, 2, "vethctl \(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "vethctl \(args)")
            XCTAssertEqual(r.stderr, usage, "vethctl \(args)")
        }
        let missing = try runUnprivileged(v.path, ["gen", "star"])
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertEqual(missing.stderr, "vethctl: Missing expected argument '<count>' (see vethctl --help)\n")
        let badName = try runUnprivileged(v.path, ["gen", "star", "2", "--name", "a/b"])
        XCTAssertEqual(badName.status, 2, badName.stderr)
        XCTAssertTrue(badName.stderr.hasPrefix("vethctl: gen: "), badName.stderr)
    }

    /// `gen --help` lists every kind the library generates, each on one line with what it makes
    /// and its sizes, and only those; the kind argument's help names them all.
    func testGenHelpListsEveryKind() throws {
        XCTAssertEqual(TopologyGenerator.Kind.allCases.map(\.rawValue), ["star", "chain", "pairs", "pairs-ns"])
        let r = try runUnprivileged(v.path, ["gen", "--help"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try XCTUnwrap(lines.firstIndex(of: "KINDS:"), r.stdout)
        let listed = lines[(start + 1)...].prefix { $0.hasPrefix("  ") }
        XCTAssertEqual(listed.count, TopologyGenerator.Kind.allCases.count, r.stdout)
        for (line, kind) in zip(listed, TopologyGenerator.Kind.allCases) {
            let lo = kind.sizes.lowerBound, hi = kind.sizes.upperBound
            assertMatches(line, "  \(kind.rawValue) N +\(NSRegularExpression.escapedPattern(for: kind.summary)) \\(\(lo)-\(hi)\\)")
            XCTAssertGreaterThan(kind.summary.count, 20, "\(kind): a description, not a word")
            XCTAssertLessThanOrEqual(line.count, 79, "one line each: \(line)")
        }
        XCTAssertTrue(r.stdout.contains("<kind>                  The kind: star, chain, pairs, pairs-ns."), r.stdout)
    }

    /// One executable: vethctl copied alone into an empty directory runs the topology verbs
    /// (nothing is exec'd beside it: the old vethctl failed here, naming the missing engine).
    func testVethctlAloneRunsTheTopologyVerbs() throws {
        let dir = NSTemporaryDirectory() + "vethkit-lone-\(uniqueSuffix())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: v.path, toPath: dir + "/vethctl")
        let g = try runProcess(dir + "/vethctl", ["gen", "star", "2"])
        XCTAssertEqual(g.status, 0, g.stderr)
        XCTAssertEqual(g.stdout, TopologyGenerator.star(2))
        let path = try file(g.stdout)
        let dot = try runProcess(dir + "/vethctl", ["graph", path, "--format", "mermaid"])
        XCTAssertEqual(dot.status, 0, dot.stderr)
        XCTAssertEqual(dot.stdout, try Topology.load(path).graph(format: .mermaid))
    }

    /// `graph --format png` writes Graphviz's PNG bytes unchanged (the PNG signature first);
    /// without `dot` on PATH, one line naming the package, exit 1.
    func testGraphPNG() throws {
        try requireComponent("/usr/bin/dot", package: "graphviz")
        let path = try file(TopologyGenerator.star(8))
        let magic = try runUnprivileged("/bin/sh", ["-c", "'\(v.path)' graph '\(path)' --format png | head -c 8 | od -An -tx1"])
        XCTAssertEqual(magic.status, 0, magic.stderr)
        XCTAssertEqual(magic.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty },
                       ["89", "50", "4e", "47", "0d", "0a", "1a", "0a"])
        let size = try runUnprivileged("/bin/sh", ["-c", "'\(v.path)' graph '\(path)' --format png | wc -c"])
        XCTAssertGreaterThan(Int(size.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 1000, size.stdout)
        let missing = try runUnprivileged("/usr/bin/env", ["PATH=/nonexistent", v.path, "graph", path, "--format", "png"])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertEqual(missing.stdout, "")
        XCTAssertTrue(missing.stderr.hasPrefix("vethctl: graph --format png needs Graphviz's `dot` program") && missing.stderr.contains("apt-get install graphviz"), missing.stderr)
    }

    func testSchemaErrorsExitTwoWithFileLineColumn() throws {
        let bad = try file("name: bad\nnodes:\n  host: {bogus: 1}\n  n1:\n    routes: [{to: 10.0.0.0/40, via: 10.0.0.1}]\n")
        for verb in ["plan", "up", "check", "graph", "show", "down"] {
            let r = try runUnprivileged(v.path, [verb, bad])
            XCTAssertEqual(r.status, 2, "\(verb): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(verb) printed on stdout")
            XCTAssertTrue(r.stderr.contains("vethctl: \(bad):3:10: unknown key \"bogus\""), "\(verb): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("EPERM") || r.stderr.contains("CAP_NET_ADMIN"), "\(verb) reached the kernel with a bad file: \(r.stderr)")
        }
        let usage = try v.run(["plan"])
        XCTAssertEqual(usage.status, 2, usage.stderr)
        let format = try v.run(["graph", bad, "--format", "gif"])
        XCTAssertEqual(format.status, 2, format.stderr)
        XCTAssertEqual(format.stderr, "vethctl: graph: invalid format \"gif\": expected dot, svg, png or mermaid\n")
    }

    // MARK: kernel (sandbox)

    /// `gen` of every kind writes a file that `plan` accepts (exit 0, every line a `+`, the counts).
    func testGenOfEveryKindIsAcceptedByPlan() throws {
        try requireKernel()
        for (kind, n) in [("star", 3), ("chain", 3), ("pairs", 2), ("pairs-ns", 2)] {
            let name = "g\(uniqueSuffix())"
            let g = try v.run(["gen", kind, String(n), "--name", name])
            XCTAssertEqual(g.status, 0, "gen \(kind): \(g.stderr)")
            XCTAssertTrue(g.stdout.contains("name: \(name)\n"), "gen \(kind) --name: \(g.stdout.prefix(200))")
            let path = try file(g.stdout)
            let p = try v.run(["plan", path])
            XCTAssertEqual(p.status, 0, "plan of gen \(kind): \(p.stderr)")
            let lines = p.stdout.split(separator: "\n").map(String.init)
            XCTAssertTrue(lines.dropLast().allSatisfy { $0.hasPrefix("+ ") }, "gen \(kind): \(p.stdout)")
            assertMatches(lines.last ?? "", "\(name): [0-9]+ to create, 0 to change, 0 to remove", "gen \(kind)")
            XCTAssertGreaterThan(lines.count, n, "gen \(kind) plans too little: \(p.stdout)")
        }
    }

    func testUpCheckShowDownThroughVethctl() throws {
        try requireKernel()
        let t = Star()
        cleanUp(t)
        let path = try file(t.yaml)
        let plan = try v.run(["plan", path])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        assertMatches(lastLine(plan.stdout), "\(t.name): 10 to create, 0 to change, 0 to remove")
        let up = try v.run(["up", path])
        XCTAssertEqual(up.status, 0, up.stderr)
        assertMatches(lastLine(up.stdout), "\(t.name): 10 created, 0 changed, 0 removed in [0-9.]+ s \\(2 namespaces, 2 veth pairs new\\)")
        XCTAssertEqual(up.stdout.split(separator: "\n").count, 11, "the plan's 10 lines and the summary: \(up.stdout)")
        let quiet = try v.run(["up", path, "-q"])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stdout, "\(t.name): no changes\n")
        XCTAssertEqual(try v.run(["plan", path]).stdout, "\(t.name): no changes\n")
        // check: all reachable, exit 0, the summary line.
        let check = try v.run(["check", path])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        // The file's 3 claims and the default ones (the host reaches each leaf): 5 probes.
        assertMatches(lastLine(check.stdout), "\(t.name): 5/5 reachable in [0-9.]+ s")
        XCTAssertEqual(check.stdout.split(separator: "\n").first.map(String.init)?.split(separator: " ").map(String.init),
                       ["FROM", "TO", "RESULT", "RTT", "WHY", "CLAIM"])
        // show, by name and by file: in sync.
        let show = try v.run(["show", t.name])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.hasPrefix("\(t.name): live state\n"), show.stdout)
        XCTAssertTrue(show.stdout.contains("node a (namespace \(t.namespace("a")))"), show.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(v.run(["show", path, "--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["in_sync"] as? Bool, true, "\(json)")
        // list: the topology, with its namespaces and host links.
        let list = try parseJSONArray(v.run(["list", "--json"]).stdout)
        let mine = try XCTUnwrap(list.first { $0["name"] as? String == t.name }, "\(list)")
        XCTAssertEqual(mine["namespaces"] as? Int, 2)
        XCTAssertEqual(mine["host_links"] as? Int, 3)
        // down: the summary, and nothing left.
        let down = try v.run(["down", t.name])
        XCTAssertEqual(down.status, 0, down.stderr)
        assertMatches(lastLine(down.stdout), "\(t.name): removed 2 namespaces and 3 host links in [0-9.]+ s")
        XCTAssertFalse(try ip("netns", "list").contains(t.name), "namespaces left after down")
        try waitUntilLinksGone([t.bridge, t.hostEnd("a"), t.hostEnd("b")])
    }

    /// `show FILE` marks what someone changed by hand with `ip`: text and JSON (`diff`, `in_sync`).
    func testShowMarksHandMadeDifferences() throws {
        try requireKernel()
        let t = Star()
        cleanUp(t)
        let path = try file(t.yaml)
        XCTAssertEqual(try v.run(["up", path, "-q"]).status, 0)
        // A user's own address (not ours: shown, never marked for removal; another subnet, since the
        // kernel drops secondaries with their primary), one of ours deleted
        // by hand (to re-add), and a link set down (to change).
        try ip("-n", t.namespace("b"), "addr", "add", "10.99.0.77/24", "dev", "eth0")
        try ip("-n", t.namespace("b"), "addr", "del", "10.66.0.3/24", "dev", "eth0")
        try ip("-n", t.namespace("a"), "link", "set", "eth0", "down")
        let text = try v.run(["show", path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("\(t.name): differs from \(path) ("), text.stdout)
        XCTAssertTrue(text.stdout.contains("+ address 10.66.0.3/24 on b/eth0"), text.stdout)
        XCTAssertTrue(text.stdout.contains("10.99.0.77/24"), "the user's address is shown: \(text.stdout)")
        XCTAssertFalse(text.stdout.contains("- address 10.99.0.77/24"), "the user's address is not ours to remove: \(text.stdout)")
        XCTAssertTrue(text.stdout.contains("~ link a/eth0: up"), text.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(v.run(["show", path, "--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["in_sync"] as? Bool, false)
        let nodes = try XCTUnwrap(json["nodes"] as? [[String: Any]])
        func diffs(_ node: String) throws -> (node: [String], eth0: [String]) {
            let n = try XCTUnwrap(nodes.first { $0["node"] as? String == node }, "node \(node)")
            let ifs = try XCTUnwrap(n["interfaces"] as? [[String: Any]])
            let eth0 = try XCTUnwrap(ifs.first { $0["ifname"] as? String == "eth0" }, "\(node)/eth0")
            return (n["diff"] as? [String] ?? [], eth0["diff"] as? [String] ?? [])
        }
        let a = try diffs("a"), b = try diffs("b")
        XCTAssertTrue(b.eth0.contains("+ address 10.66.0.3/24 on b/eth0"), "\(b)")
        XCTAssertFalse((b.eth0 + b.node).contains { $0.contains("10.99.0.77") }, "\(b)")
        XCTAssertTrue(a.eth0.contains("~ link a/eth0: up"), "\(a)")
        XCTAssertTrue(a.node.contains("~ link a/eth0: up"), "\(a)")
        XCTAssertEqual(try XCTUnwrap(nodes.first { $0["node"] as? String == "host" })["diff"] as? [String], [])
        // up converges it back: in sync again.
        XCTAssertEqual(try v.run(["up", path, "-q"]).status, 0)
        let again = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(v.run(["show", path, "--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(again["in_sync"] as? Bool, true, "\(again)")
        let bAddrs = try ipJSON("-n", t.namespace("b"), "addr", "show", "dev", "eth0").first?["addr_info"] as? [[String: Any]] ?? []
        XCTAssertEqual(Set(bAddrs.compactMap { $0["local"] as? String }.filter { $0.hasPrefix("10.") }), ["10.66.0.3", "10.99.0.77"],
                       "up re-added ours and left the user's: \(bAddrs)")
    }

    /// A link broken by hand: `check` exits 1 and its table names the failing rows, the others ok.
    func testCheckFailsOnABrokenLink() throws {
        try requireKernel()
        let t = Star()
        cleanUp(t)
        let path = try file(t.yaml)
        XCTAssertEqual(try v.run(["up", path, "-q"]).status, 0)
        try ip("link", "set", t.hostEnd("b"), "down")
        let r = try v.run(["check", path])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        func row(_ from: String, _ to: String) -> [String]? { rows.first { $0.count > 2 && $0[0] == from && $0[1] == to } }
        XCTAssertEqual(row("a", "10.66.0.1")?[2], "ok", r.stdout)
        XCTAssertEqual(row("host", "10.66.0.2")?[2], "ok", r.stdout)
        XCTAssertEqual(row("b", "10.66.0.1")?[2], "FAIL", r.stdout)
        XCTAssertEqual(row("a", "10.66.0.3")?[2], "FAIL", r.stdout)
        XCTAssertEqual(row("host", "10.66.0.3")?[2], "FAIL", r.stdout)
        assertMatches(lastLine(r.stdout), "\(t.name): 2/5 reachable in [0-9.]+ s")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(v.run(["check", path, "--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["passed"] as? Bool, false)
        let probes = try XCTUnwrap(json["probes"] as? [[String: Any]])
        XCTAssertEqual(probes.filter { $0["ok"] as? Bool == false }.count, 3, "\(probes)")
        XCTAssertTrue(probes.filter { $0["ok"] as? Bool == false }.allSatisfy { !($0["error"] as? String ?? "").isEmpty }, "\(probes)")
    }

    /// A veth the user made by hand with the name of one of the file's host ends: `plan` shows
    /// `!` and exits 1, `up` refuses (exit 1) and changes nothing, the user's veth included.
    func testConflictsMakePlanAndUpExitOne() throws {
        try requireKernel()
        let t = Star()
        cleanUp(t)
        let user = "u\(t.s)"
        try ip("link", "add", t.hostEnd("a"), "type", "veth", "peer", "name", user)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", user]) }
        try ip("addr", "add", "172.16.99.1/24", "dev", t.hostEnd("a"))
        func dump() throws -> String {
            try runProcess("/usr/sbin/ip", ["-j", "-d", "addr", "show", "dev", t.hostEnd("a")]).stdout
                + runProcess("/usr/sbin/ip", ["-j", "-d", "link", "show", "dev", user]).stdout
        }
        let before = try dump()
        let path = try file(t.yaml)
        let plan = try v.run(["plan", path])
        XCTAssertEqual(plan.status, 1, plan.stdout + plan.stderr)
        XCTAssertTrue(plan.stdout.split(separator: "\n").contains { $0.hasPrefix("! ") && $0.contains(t.hostEnd("a")) }, plan.stdout)
        let up = try v.run(["up", path])
        XCTAssertEqual(up.status, 1, up.stdout + up.stderr)
        XCTAssertTrue(up.stderr.contains("refusing to start, nothing was changed"), up.stderr)
        XCTAssertFalse(try ip("netns", "list").contains(t.name), "up created namespaces although it refused")
        XCTAssertFalse(try hostLinkNames().contains(t.bridge), "up created the bridge although it refused")
        XCTAssertEqual(try dump(), before, "the user's veth changed")
    }

    // MARK: -n NS

    /// `vethctl -n NS up FILE`: namespace NS is the topology's host node. The bridge and the host
    /// ends are made in NS (with our marks), nothing in the namespace vethctl started in; the
    /// host node (NS) reaches the leaves with real pings; `show`, `list` and `down` with `-n`
    /// (before or after the verb) see and remove them, and NS is left as it was.
    func testNamespaceOptionMakesItTheHostNode() throws {
        try requireKernel()
        let t = Star()
        let lab = "lab\(t.s)"
        try ip("netns", "add", lab)
        addTeardownBlock { [v] in
            _ = try? v.run(["-n", lab, "down", t.name])
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", lab])
        }
        cleanUp(t)
        let path = try file(t.yaml)
        func labLinks() throws -> [String: [String: Any]] {
            var out: [String: [String: Any]] = [:]
            for l in try ipJSON("-n", lab, "-d", "link", "show") { if let n = l["ifname"] as? String { out[n] = l } }
            return out
        }
        let labBefore = try labLinks()
        let hereBefore = try hostLinkNames()
        let up = try v.run(["-n", lab, "up", path])
        XCTAssertEqual(up.status, 0, up.stderr)
        assertMatches(lastLine(up.stdout), "\(t.name): 10 created, 0 changed, 0 removed in [0-9.]+ s \\(2 namespaces, 2 veth pairs new\\)")
        let inLab = try labLinks()
        for l in [t.bridge, t.hostEnd("a"), t.hostEnd("b")] {
            let link = try XCTUnwrap(inLab[l], "\(l) is not in \(lab): \(inLab.keys.sorted())")
            XCTAssertTrue((link["ifalias"] as? String ?? "").contains(t.name), "\(l) in \(lab) carries no mark of \(t.name): \(link)")
        }
        XCTAssertEqual(inLab[t.hostEnd("a")]?["master"] as? String, t.bridge)
        let here = try hostLinkNames()
        XCTAssertEqual(here, hereBefore, "up -n \(lab) changed the links of vethctl's own namespace")
        XCTAssertTrue(try ip("netns", "list").contains(t.namespace("a")), "the leaf namespaces are named namespaces as without -n")
        // The leaves' veths point into lab: the host node (lab) and a leaf reach each other.
        let check = try v.run(["check", path, "-n", lab])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        assertMatches(lastLine(check.stdout), "\(t.name): 5/5 reachable in [0-9.]+ s")
        XCTAssertEqual(try v.run(["-n", lab, "up", path, "-q"]).stdout, "\(t.name): no changes\n", "a second up -n converged to nothing")
        XCTAssertTrue(try v.run(["-n", lab, "show", path]).stdout.hasPrefix("\(t.name): in sync with \(path)"))
        let list = try parseJSONArray(v.run(["list", "-n", lab, "--json"]).stdout)
        XCTAssertEqual(list.first { $0["name"] as? String == t.name }?["host_links"] as? Int, 3, "\(list)")
        // down, -n after the verb: everything of it goes, from lab; lab is as before.
        let down = try v.run(["down", t.name, "-n", lab])
        XCTAssertEqual(down.status, 0, down.stderr)
        assertMatches(lastLine(down.stdout), "\(t.name): removed 2 namespaces and 3 host links in [0-9.]+ s")
        XCTAssertFalse(try ip("netns", "list").contains(t.namespace("a")), "namespaces left after down -n")
        _ = try waitUntil("the host ends to leave \(lab)") { Set(try labLinks().keys) == Set(labBefore.keys) }
        XCTAssertEqual(try hostLinkNames(), hereBefore)
    }

    /// `-n` naming no namespace (or an invalid name): exit 2, one line, nothing created.
    func testNamespaceOptionMustNameANamespace() throws {
        try requireKernel()
        let t = Star()
        cleanUp(t)
        let path = try file(t.yaml)
        let before = try hostLinkNames()
        for (args, shown) in [(["-n", "nosuch\(t.s)", "up", path], "nosuch\(t.s)"), (["up", path, "-n", "../etc"], "../etc"),
                              (["-n", "nosuch\(t.s)", "list"], "nosuch\(t.s)")] {
            let r = try v.run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args)")
            XCTAssertTrue(r.stderr.hasPrefix("vethctl: ") && r.stderr.contains(shown), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        XCTAssertFalse(try ip("netns", "list").contains(t.name), "up created namespaces with a bad -n")
        XCTAssertEqual(try hostLinkNames(), before)
    }
}
