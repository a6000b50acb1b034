import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// Real-kernel tests: only as root inside scripts/sandbox (VETHKIT_SANDBOX=1); skipped elsewhere.
final class TopologyKernelTests: XCTestCase {
    func example(_ name: String) throws -> Topology { try Topology.load(repoRoot + "/examples/\(name).yaml") }

    override func setUpWithError() throws {
        try requireKernel()
        // Runs even when the test fails, so one failure does not cascade into the next tests.
        addTeardownBlock {
            for name in ["seed", "routers", "star", "rb", "kt", "kp", "kc", "cc", "masq", "sw", "fp"] { _ = try? Applier.down(name: name) }
            for l in ["uveth0", "ubr0", "rbh5", "ktgrp0", "ktgrp1"] { _ = try? runProcess("/usr/sbin/ip", ["link", "del", l]) }
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", "kt-user"])
        }
    }

    /// Names under /run/netns that start with `<topology>-`.
    func namespaces(of name: String) throws -> [String] {
        try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix(name + "-") }
    }

    /// Host links carrying the topology's alias (as `ip -j` sees them).
    func hostLinks(of name: String) throws -> [String] {
        try ipJSON("-d", "link", "show").filter { ($0["ifalias"] as? String) == "vethkit:\(name)" }.compactMap { $0["ifname"] as? String }
    }

    func testSeedUpDown() throws {
        try requirePing()
        let t = try example("seed")
        let r = try Applier.up(t)
        print(r.plan.text)
        print(r.summary)
        XCTAssertEqual(try namespaces(of: "seed"), ["seed-t1"])
        XCTAssertEqual(Set(try hostLinks(of: "seed")), ["br0", "veth1"])
        XCTAssertEqual(ping(from: "seed-t1", "192.168.1.1"), .reply, "t1 reaches the bridge")
        let again = try Applier.up(t)
        XCTAssertEqual(again.summary, "seed: no changes", again.plan.text)
        let d = try Applier.down(name: "seed", topology: t)
        print(d.summary)
        XCTAssertEqual(try namespaces(of: "seed"), [])
        XCTAssertEqual(try hostLinks(of: "seed"), [])
    }

    func testExamplesUpCheckDown() throws {
        // The user's own veth pair and bridge in the host must survive every down.
        try ip("link", "add", "uveth0", "type", "veth", "peer", "name", "uveth1")
        try ip("link", "add", "ubr0", "type", "bridge")
        for name in ["seed", "routers", "star"] {
            let t = try example(name)
            let r = try Applier.up(t)
            print(r.summary)
            let report = try Checker.run(t)
            print(report.table)
            XCTAssertTrue(report.passed, "\(name):\n\(report.table)")
            XCTAssertGreaterThan(report.outcomes.count, 0)
            let d = try Applier.down(name: t.name, topology: t)
            print(d.summary)
            XCTAssertEqual(try namespaces(of: t.name), [], name)
            XCTAssertEqual(try hostLinks(of: t.name), [], name)
            let left = Set(try ipJSON("link", "show").compactMap { $0["ifname"] as? String })
            XCTAssertTrue(left.isSuperset(of: ["uveth0", "uveth1", "ubr0"]), "\(left)")
        }
    }

    /// `show --json` agrees with `ip -j` on every interface and route of every node, and with the file.
    func assertShowMatchesIP(_ t: Topology, file: StaticString = #filePath, line: UInt = #line) throws {
        // Operational states settle asynchronously (link watch): wait until none is UNKNOWN.
        for _ in 0..<40 {
            var unsettled = false
            for n in t.nodes {
                let pre = t.namespaceName(of: n.name).map { ["-n", $0] } ?? []
                let links = try parseJSONArray(try runProcess("/usr/sbin/ip", pre + ["-j", "link", "show"]).stdout)
                if links.contains(where: { ($0["operstate"] as? String) == "UNKNOWN" && ($0["ifname"] as? String) != "lo" }) { unsettled = true }
            }
            if !unsettled { break }
            usleep(50_000)
        }
        let report = try Shower.show(t)
        XCTAssertTrue(report.inSync, report.text, file: file, line: line)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any], "show --json is an object", file: file, line: line)
        XCTAssertEqual(json["in_sync"] as? Bool, true, file: file, line: line)
        for node in try XCTUnwrap(json["nodes"] as? [[String: Any]], "nodes[]", file: file, line: line) {
            let nodeName = try XCTUnwrap(node["node"] as? String, "node name", file: file, line: line)
            let ns = node["namespace"] as? String
            let pre = ns.map { ["-n", $0] } ?? []
            let ipLinks = try runProcess("/usr/sbin/ip", pre + ["-j", "addr", "show"])
            var byName: [String: [String: Any]] = [:]
            for l in try parseJSONArray(ipLinks.stdout) { if let n = l["ifname"] as? String { byName[n] = l } }
            let declared = Set(t.interfaces(of: nodeName).map(\.name))
            let shown = try XCTUnwrap(node["interfaces"] as? [[String: Any]], "interfaces of \(nodeName)", file: file, line: line)
            XCTAssertEqual(Set(shown.compactMap { $0["ifname"] as? String }), declared, "node \(nodeName)", file: file, line: line)
            for i in shown {
                let name = try XCTUnwrap(i["ifname"] as? String, "ifname", file: file, line: line)
                guard let l = byName[name] else { XCTFail("ip does not see \(nodeName)/\(name)", file: file, line: line); continue }
                for k in ["ifindex", "mtu", "operstate", "address", "master"] {
                    XCTAssertEqual("\(i[k] ?? "nil")", "\(l[k] ?? "nil")", "\(nodeName)/\(name) \(k)", file: file, line: line)
                }
                let ipAddrs = Set((l["addr_info"] as? [[String: Any]] ?? []).filter { ($0["scope"] as? String) != "link" }
                    .map { "\($0["local"]!)/\($0["prefixlen"]!)" })
                let shownAddrs = Set(try XCTUnwrap(i["addr_info"] as? [[String: Any]], "addr_info", file: file, line: line).map { "\($0["local"] ?? "?")/\($0["prefixlen"] ?? "?")" })
                XCTAssertEqual(shownAddrs, ipAddrs, "\(nodeName)/\(name) addresses", file: file, line: line)
                let fileAddrs = Set(try XCTUnwrap(t.interfaces(of: nodeName).first { $0.name == name }, "\(name) declared", file: file, line: line).addresses.map(\.description))
                XCTAssertEqual(shownAddrs, fileAddrs, "\(nodeName)/\(name) addresses vs file", file: file, line: line)
            }
            guard ns != nil else { continue }
            var ipRoutes = Set<String>()
            for fam in ["-4", "-6"] {
                for r in try parseJSONArray(try runProcess("/usr/sbin/ip", pre + [fam, "-j", "route", "show"]).stdout)
                where (r["protocol"] as? String) != "kernel" && (r["type"] as? String ?? "unicast") == "unicast" {
                    ipRoutes.insert("\(r["dst"] ?? "?") via \(r["gateway"] ?? "-") dev \(r["dev"] ?? "-")")
                }
            }
            let shownRoutes = Set(try XCTUnwrap(node["routes"] as? [[String: Any]], "routes", file: file, line: line).map { "\($0["dst"] ?? "?") via \($0["gateway"] ?? "-") dev \($0["dev"] ?? "-")" })
            XCTAssertEqual(shownRoutes, ipRoutes, "node \(nodeName) routes", file: file, line: line)
            XCTAssertEqual(shownRoutes.count, try XCTUnwrap(t.node(nodeName), "node declared", file: file, line: line).routes.count, "node \(nodeName) routes vs file", file: file, line: line)
        }
    }

    func testShowJSONMatchesIP() throws {
        for name in ["seed", "routers", "star"] {
            let t = try example(name)
            _ = try Applier.up(t)
            try assertShowMatchesIP(t)
            let byName = try Shower.show(name: t.name)
            XCTAssertEqual(Set(byName.live.nodes.keys), Set(t.nodes.map(\.name)).union(["host"]))
            XCTAssertTrue(try Applier.list().contains { $0.name == t.name })
            _ = try Applier.down(name: t.name)
            XCTAssertFalse(try Applier.list().contains { $0.name == t.name })
        }
    }

    func testConvergenceAfterEdits() throws {
        let t = try example("routers")
        _ = try Applier.up(t)
        // Add a node h3 behind r2, remove the link r2—h2 (and node h2), change h1's address.
        var y = try String(contentsOfFile: repoRoot + "/examples/routers.yaml", encoding: .utf8)
        y = y.replacingOccurrences(of: "      - {node: r2, name: eth0, addresses: [10.0.2.1/24, \"fd00:2::1/64\"]}\n      - {node: h2, name: eth0, addresses: [10.0.2.2/24, \"fd00:2::2/64\"]}",
                                   with: "      - {node: r2, name: eth2, addresses: [10.0.3.1/24]}\n      - {node: h3, name: eth0, addresses: [10.0.3.2/24]}")
        y = y.replacingOccurrences(of: "  h2:\n    routes:\n      - {to: default, via: 10.0.2.1}\n      - {to: default, via: \"fd00:2::1\"}\n",
                                   with: "  h3:\n    routes:\n      - {to: default, via: 10.0.3.1}\n")
        y = y.replacingOccurrences(of: "10.0.1.2/24", with: "10.0.1.3/24")
        y = y.replacingOccurrences(of: "      - {to: 10.0.2.0/24, via: 10.0.12.2}\n", with: "      - {to: 10.0.3.0/24, via: 10.0.12.2}\n")
        y = y.components(separatedBy: "checks:")[0] + "checks:\n  - {from: h1, to: 10.0.3.2}\n  - {from: h3, to: 10.0.1.3}\n"
        let t2 = try Topology.parse(y, file: "routers-edited.yaml")
        let r = try Applier.up(t2)
        print(r.plan.text)
        XCTAssertFalse(r.plan.isEmpty)
        XCTAssertEqual(try Applier.up(t2).summary, "routers: no changes")
        try assertShowMatchesIP(t2)
        XCTAssertEqual(try namespaces(of: "routers").sorted(), ["routers-h1", "routers-h3", "routers-r1", "routers-r2"])
        let check = try Checker.run(t2)
        XCTAssertTrue(check.passed, check.table)
        // And back to the original file.
        _ = try Applier.up(t)
        try assertShowMatchesIP(t)
        XCTAssertTrue(try Checker.run(t).passed)
        _ = try Applier.down(name: "routers")
        XCTAssertEqual(try namespaces(of: "routers"), [])
    }

    func testRollbackWhenFifthLinkCollides() throws {
        let t = try Topology.parse(TopologyGenerator.star(8, name: "rb"))
        // A user's link with the name the 5th link wants in the host.
        try ip("link", "add", "rbh5", "type", "bridge")
        let before = Set(try ipJSON("link", "show").compactMap { $0["ifname"] as? String })
        // The planner sees it: nothing is created.
        XCTAssertThrowsError(try Applier.up(t)) { e in
            XCTAssertTrue(e is ConflictError, "\(e)")
            XCTAssertTrue("\(e)".contains("host link rbh5 exists and is not vethkit's"), "\(e)")
        }
        XCTAssertEqual(try namespaces(of: "rb"), [])
        // Without the pre-check, the kernel refuses the 5th pair and up rolls back.
        var o = Applier.Options()
        o.preflight = false
        XCTAssertThrowsError(try Applier.up(t, options: o)) { e in
            guard let a = e as? ApplyError else { return XCTFail("\(e)") }
            XCTAssertTrue(a.step.contains("h5/eth0 <-> host/rbh5"), a.step)
            XCTAssertTrue("\(a)".contains("File exists (EEXIST)"), "\(a)")
            XCTAssertEqual(a.rollbackErrors, [])
        }
        XCTAssertEqual(try namespaces(of: "rb"), [])
        XCTAssertEqual(try hostLinks(of: "rb"), [])
        XCTAssertEqual(Set(try ipJSON("link", "show").compactMap { $0["ifname"] as? String }), before)
        // A failure injected before each phase, and after the last (addresses and routes made),
        // also leaves nothing.
        try ip("link", "del", "rbh5")
        for phase in Run.phases + [Run.finished] {
            o.faultInjection = { if $0 == phase { throw InvalidInput("test", $0, "injected failure") } }
            XCTAssertThrowsError(try Applier.up(t, options: o)) { e in
                guard let a = e as? ApplyError else { return XCTFail("\(phase): not an ApplyError: \(e)") }
                XCTAssertEqual(a.step, "apply", "\(phase): the injected failure is in no step")
                XCTAssertTrue("\(a.underlying)".contains("injected failure"), "\(phase): \(a)")
                XCTAssertEqual(a.rollbackErrors, [], phase)
            }
            XCTAssertEqual(try namespaces(of: "rb"), [], phase)
            XCTAssertEqual(try hostLinks(of: "rb"), [], phase)
            XCTAssertEqual(Set(try ipJSON("link", "show").compactMap { $0["ifname"] as? String }), before.subtracting(["rbh5"]), phase)
        }
    }

    /// What a rolled-back `up` must leave as it found: `ip -j` dumps (links with details, IPv4
    /// addresses and routes of every table) of the host and of every namespace under /run/netns,
    /// the names there, `sysctls` (namespace, key) and whether topology `fp` has masquerade rules.
    func machineDump(sysctls: [(String, String)]) throws -> [String: String] {
        func clean(_ x: Any) -> Any {
            if let d = x as? [String: Any] {
                var o: [String: Any] = [:]
                for (k, v) in d where !k.hasSuffix("_timer") { o[k] = clean(v) }
                return o
            }
            if let a = x as? [Any] { return a.map(clean) }
            return x
        }
        func json(_ args: [String]) throws -> String {
            let r = try runProcess("/usr/sbin/ip", args)
            XCTAssertEqual(r.status, 0, "ip \(args.joined(separator: " ")): \(r.stderr)")
            let v = try JSONSerialization.jsonObject(with: Data((r.stdout.isEmpty ? "[]" : r.stdout).utf8))
            return String(decoding: try JSONSerialization.data(withJSONObject: clean(v), options: [.sortedKeys]), as: UTF8.self)
        }
        let names = try NetworkNamespace.list().map(\.rawValue)
        var out: [String: String] = ["netns": names.joined(separator: " "), "masquerade": "\(TopologyMasquerade.hasAny("fp"))"]
        for ns in [nil] + names.map(Optional.some) {
            let n = ns.map { ["-n", $0] } ?? []
            out["\(ns ?? "host") link"] = try json(n + ["-j", "-d", "link", "show"])
            out["\(ns ?? "host") addr"] = try json(n + ["-j", "-4", "addr", "show"])
            out["\(ns ?? "host") route"] = try json(n + ["-j", "-4", "route", "show", "table", "all"])
        }
        for (ns, key) in sysctls where names.contains(ns) {
            out["\(ns) \(key)"] = try NetworkNamespace.open(NamespaceName(ns)).run { try Sysctl.read(key) }
        }
        return out
    }

    /// The kind of an undo step (its case name).
    func kind(_ step: UndoStep) -> String { Mirror(reflecting: step).children.first?.label ?? "\(step)" }

    /// A converging `up` that adds one of everything the undo log knows — a namespace through the
    /// pipeline and one outside it, host links, a bridge and a veth in namespaces that exist, an
    /// address to a link that exists, routes in the host and in a namespace, a namespace sysctl,
    /// a link edit, masquerade — fails at each phase in turn (a fault injected before it, and
    /// after the last): every time, the machine is exactly as before (`ip -j` dumps), with the
    /// user's own objects made with `ip` first (a namespace under the prefix, links in the
    /// topology's group, an address on the topology's bridge, a route in its namespace, a route
    /// to the destination the file adds with another metric) untouched.
    func testFaultInEveryPhaseLeavesTheMachineAsItWas() throws {
        let nft = (try? requireNFTables()) != nil
        let a = try Topology.parse("""
        name: fp
        nodes:
          host: {bridges: {fpbr0: {addresses: [10.81.0.1/24]}}}
          a: {}
          b: {}
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.81.0.2/24]}, {node: host, name: fpa0, master: fpbr0}]
          - endpoints: [{node: a, name: eth1, addresses: [10.82.0.1/24]}, {node: b, name: eth1, addresses: [10.82.0.2/24]}]
        """)
        let b = try Topology.parse("""
        name: fp
        nodes:
          host:
            bridges: {fpbr0: {addresses: [10.81.0.1/24]}, fpbr1: {addresses: [10.83.0.1/24]}}
            routes: [{to: 10.90.0.0/16, via: 10.81.0.2}]
            \(nft ? "masquerade: [10.81.0.0/24]" : "")
          a:
            sysctls: {net.ipv4.ip_forward: "1"}
            bridges: {abr1: {}}
            routes: [{to: 10.91.0.0/16, via: 10.82.0.2}]
          b: {}
          c: {}
          d: {}
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.81.0.2/24, 10.81.0.3/24]}, {node: host, name: fpa0, master: fpbr0}]
          - endpoints: [{node: a, name: eth1, addresses: [10.82.0.1/24], mtu: 1400}, {node: b, name: eth1, addresses: [10.82.0.2/24]}]
          - endpoints: [{node: a, name: eth2, addresses: [10.84.0.1/24]}, {node: b, name: eth2, addresses: [10.84.0.2/24]}]
          - endpoints: [{node: c, name: eth0, addresses: [10.81.0.5/24]}, {node: host, name: fpc0, master: fpbr0}]
          - endpoints: [{node: d, name: eth0, addresses: [10.85.0.1/24]}, {node: b, name: eth3, addresses: [10.85.0.2/24]}]
        """)
        try ip("netns", "add", "fp-user")
        try ip("link", "add", "fpu0", "group", String(Ownership.group(for: "fp")), "type", "veth", "peer", "name", "fpu1")
        addTeardownBlock {
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", "fp-user"])
            _ = try? runProcess("/usr/sbin/ip", ["link", "del", "fpu0"])
            _ = try? runProcess("/usr/sbin/ip", ["route", "del", "10.90.0.0/16", "metric", "50"])
        }
        _ = try Applier.up(a)
        try ip("addr", "add", "10.81.0.77/24", "dev", "fpbr0")
        try ip("-n", "fp-a", "route", "add", "10.77.0.0/16", "via", "10.82.0.2")
        try ip("route", "add", "10.90.0.0/16", "via", "10.81.0.2", "metric", "50")
        let plan = Planner.plan(b, live: try LiveReader.read(b))
        XCTAssertEqual(plan.conflicts, [])
        XCTAssertFalse(plan.steps.contains { $0.symbol == "-" }, "additions and changes only:\n\(plan.text)")
        let sysctls = [("fp-a", "net.ipv4.ip_forward")]
        let before = try settled { try machineDump(sysctls: sysctls) }
        XCTAssertEqual(before["fp-a net.ipv4.ip_forward"], "0")
        for phase in Run.phases + [Run.finished] {
            var o = Applier.Options()
            o.faultInjection = { if $0 == phase { throw InvalidInput("test", $0, "injected failure") } }
            XCTAssertThrowsError(try Applier.up(b, options: o)) { e in
                guard let f = e as? ApplyError else { return XCTFail("\(phase): not an ApplyError: \(e)") }
                XCTAssertTrue("\(f.underlying)".contains("injected failure"), "\(phase): \(f)")
                XCTAssertEqual(f.rollbackErrors, [], phase)
                if phase == Run.finished {
                    let kinds = Set(f.undone.map(kind))
                    let all: Set = ["removeNamespace", "removeHostLink", "removeLink", "removeAddress", "removeRoute", "restoreSysctl",
                                    "restoreLinkEdit", "removeMasquerade"]
                    XCTAssertEqual(kinds, nft ? all : all.subtracting(["removeMasquerade"]), "every kind of step was made and undone")
                }
            }
            let after = try machineDump(sysctls: sysctls)
            for k in Set(before.keys).union(after.keys).sorted() {
                XCTAssertEqual(after[k], before[k], "fault before \(phase): \(k)")
            }
        }
        // And without a fault: all of it next to the user's route of the same destination, then
        // down; the user's namespace and links stay.
        _ = try Applier.up(b)
        XCTAssertEqual(Set(try namespaces(of: "fp")), ["fp-a", "fp-b", "fp-c", "fp-d", "fp-user"])
        let routes = try ipJSON("route", "show", "10.90.0.0/16")
        XCTAssertEqual(routes.map { "\($0["protocol"] as? String ?? "boot") \($0["metric"] as? Int ?? 0)" }.sorted(), ["86 0", "boot 50"], "\(routes)")
        _ = try Applier.down(name: "fp", topology: b)
        let left = try machineDump(sysctls: [])
        XCTAssertEqual(left["netns"], "fp-user")
        XCTAssertEqual(try ipJSON("link", "show", "fpu0").count, 1, "the user's link in the group")
    }

    func testSecondUpWaitsForTheLock() throws {
        let t = try example("seed")
        let held = try TopologyLock(topology: "seed")
        var o = Applier.Options()
        o.lockTimeout = 0.2
        XCTAssertThrowsError(try Applier.up(t, options: o)) { e in
            XCTAssertTrue("\(e)".contains("topology seed is busy"), "\(e)")
        }
        XCTAssertThrowsError(try Applier.down(name: "seed", options: o)) { e in
            XCTAssertTrue(e is TopologyLock.Busy, "\(e)")
            XCTAssertTrue("\(e)".contains("topology seed is busy"), "\(e)")
        }
        XCTAssertEqual(try namespaces(of: "seed"), [])
        withExtendedLifetime(held) {}
    }

    /// Host links marked with the topology's alias or carrying its link group (or its temporary group).
    func hostLinksOrGroup(of name: String) throws -> [String] {
        let groups = [Ownership.group(for: name), Ownership.temporaryGroup(for: name)].map(String.init)
        return try ipJSON("-d", "link", "show").filter {
            ($0["ifalias"] as? String) == "vethkit:\(name)" || ($0["group"] as? String).map(groups.contains) == true
                || ($0["group"] as? Int).map { groups.contains(String($0)) } == true
        }.compactMap { $0["ifname"] as? String }
    }

    /// Starts `bin args` and kills it with SIGKILL after `delay` seconds. True when the kill
    /// landed: the process died by SIGKILL, i.e. before it finished.
    func killMidway(_ bin: String, _ args: [String], after delay: Double) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        usleep(UInt32(max(0, delay) * 1_000_000))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL
    }

    /// A seeded generator (SplitMix64), so a failing round can be replayed from the printed seed.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// `up` of `yaml` (topology `name`) killed with SIGKILL at several moments; each kill must
    /// land before `up` finishes. Then `down` (or `up` twice, then `down`) leaves nothing of the
    /// topology, while a user's namespace under its prefix and a user's veth pair in its link
    /// group are exactly as before.
    func killRounds(name: String, yaml: String, fractions extra: Int) throws {
        let bin = productPath("vethctl")
        guard FileManager.default.isExecutableFile(atPath: bin) else { throw XCTSkip("\(bin) not built") }
        let file = NSTemporaryDirectory() + "\(name)-\(uniqueSuffix()).yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: file) }
        try ip("netns", "add", "\(name)-user")
        try ip("link", "add", "ktgrp0", "group", String(Ownership.group(for: name)), "type", "veth", "peer", "name", "ktgrp1")
        addTeardownBlock {
            _ = try? runProcess("/usr/sbin/ip", ["netns", "del", "\(name)-user"])
            _ = try? runProcess("/usr/sbin/ip", ["link", "del", "ktgrp0"])
        }
        let userLinks = try ipJSON("-d", "link", "show", "ktgrp0").map { $0["ifindex"] as? Int }
        // Measure one whole up to spread the kills over it.
        let t0 = monotonicSeconds()
        let first = try runProcess(bin, ["up", file, "-q"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let full = monotonicSeconds() - t0
        XCTAssertEqual(try runProcess(bin, ["down", name]).status, 0)
        let seed = UInt64.random(in: 1...UInt64.max)
        var rng = SeededRandom(state: seed)
        let fractions = [0.02, 0.1, 0.3, 0.5, 0.7, 0.9] + (0..<extra).map { _ in Double.random(in: 0...0.9, using: &rng) }
        for (round, f) in fractions.enumerated() {
            let what = "round \(round) at \(String(format: "%.3f", f)) of \(String(format: "%.3f", full)) s (seed \(seed))"
            // When the machine is faster this time and up finishes first, try earlier.
            var landed = false
            var delay = f * full
            for _ in 0..<4 where !landed {
                landed = try killMidway(bin, ["up", file, "-q"], after: delay)
                if !landed { _ = try runProcess(bin, ["down", name]); delay /= 2 }
            }
            XCTAssertTrue(landed, "\(what): up always finished before the kill")
            if round % 2 == 1 {
                // up after a kill converges: a second up has nothing left to do.
                let again = try runProcess(bin, ["up", file, "-q"])
                XCTAssertEqual(again.status, 0, "\(what): \(again.stderr)")
                let second = try runProcess(bin, ["up", file])
                XCTAssertEqual(second.stdout, "\(name): no changes\n", "\(what): status \(second.status): \(second.stderr)")
            }
            let d = try runProcess(bin, ["down", name])
            // A kill before anything was published leaves nothing: down says it is not up.
            XCTAssertTrue(d.status == 0 || (d.status == 1 && d.stderr.contains("topology \(name) is not up")), "\(what): \(d.status) \(d.stderr)")
            XCTAssertEqual(try namespaces(of: name), ["\(name)-user"], what)
            XCTAssertEqual(try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix(".vethkit-tmp.") }, [], what)
            XCTAssertEqual(try hostLinksOrGroup(of: name).sorted(), ["ktgrp0"], what)
            XCTAssertEqual(try ipJSON("-d", "link", "show").filter { ($0["ifname"] as? String)?.hasPrefix(".vk") == true }.count, 0, what)
            XCTAssertEqual(try ipJSON("-d", "link", "show", "ktgrp0").map { $0["ifindex"] as? Int }, userLinks, "\(what): the user's link")
        }
    }

    /// star-100: namespaces built by the pipeline, host ends whose peers are in them.
    func testKillDuringUpThenDownLeavesNothing() throws {
        try killRounds(name: "kt", yaml: TopologyGenerator.star(100, name: "kt"), fractions: 4)
    }

    /// chain-40: namespaces made outside the pipeline (published, then veths between namespaces
    /// from the host's socket), forwarding sysctls, routes.
    func testKillDuringUpOfAChainLeavesNothing() throws {
        try killRounds(name: "kc", yaml: TopologyGenerator.chain(40, name: "kc"), fractions: 2)
    }

    /// 150 veth pairs with both ends in the host: links made under temporary names.
    func testKillDuringUpOfHostPairsLeavesNothing() throws {
        try killRounds(name: "kp", yaml: TopologyGenerator.pairs(150, name: "kp"), fractions: 1)
    }

    func testMasqueradeFollowsTheFile() throws {
        try requireNFTables()
        let yaml = try String(contentsOfFile: repoRoot + "/examples/seed.yaml", encoding: .utf8)
            .replacingOccurrences(of: "name: seed", with: "name: masq")
            .replacingOccurrences(of: "      br0: {addresses: [192.168.1.1/24]}", with: "      br0: {addresses: [192.168.1.1/24]}\n    masquerade: [192.168.1.0/24]")
        let t = try Topology.parse(yaml)
        let r = try Applier.up(t)
        XCTAssertTrue(r.plan.steps.contains(.addMasquerade(node: "host", source: try IPNetwork("192.168.1.0/24"))), r.plan.text)
        XCTAssertEqual(try Masquerade.owners().filter { $0.hasPrefix("topo/masq/") }, ["topo/masq/host/192.168.1.0/24"])
        XCTAssertEqual(try Applier.up(t).summary, "masq: no changes")
        XCTAssertTrue(try Shower.show(t).json.contains("\"masquerade\":[\"192.168.1.0/24\"]"))
        XCTAssertTrue(try Checker.run(t).passed)
        // Dropped from the file: removed by the next up.
        let t2 = try Topology.parse(yaml.replacingOccurrences(of: "    masquerade: [192.168.1.0/24]\n", with: ""))
        let r2 = try Applier.up(t2)
        XCTAssertEqual(r2.plan.steps, [.deleteMasquerade(node: "host", source: try IPNetwork("192.168.1.0/24"))])
        XCTAssertEqual(try Masquerade.owners().filter { $0.hasPrefix("topo/masq/") }, [])
        // And down removes it too.
        _ = try Applier.up(t)
        _ = try Applier.down(name: "masq")
        XCTAssertEqual(try Masquerade.owners().filter { $0.hasPrefix("topo/masq/") }, [])
    }

    /// A switch namespace holding a bridge without an address, leaves in namespaces, a bridge port
    /// on either end of a link, MTU and MAC set: the path where both ends are in namespaces.
    func testSwitchInANamespace() throws {
        let t = try Topology.parse("""
        name: sw
        nodes:
          s: {bridges: {br0: {mtu: 9000}}, sysctls: {net.ipv4.ip_forward: "0"}}
          a: {}
          b: {}
          c: {bridges: {brc: {addresses: [10.0.0.3/24]}}}
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.0.0.1/24, "fd00:5::1/64"], mac: "02:00:00:00:00:0a"}, {node: s, name: pa, master: br0}]
            mtu: 9000
          - endpoints: [{node: b, name: eth0, addresses: [10.0.0.2/24, "fd00:5::2/64"]}, {node: s, name: pb, master: br0}]
          - endpoints: [{node: s, name: pc, master: br0}, {node: c, name: up0, master: brc}]
        """)
        let r = try Applier.up(t)
        print(r.plan.text)
        try assertShowMatchesIP(t)
        let report = try Checker.run(t)
        print(report.table)
        XCTAssertTrue(report.passed, report.table)
        XCTAssertEqual(try Applier.up(t).summary, "sw: no changes")
        let a = try parseJSONArray(try runProcess("/usr/sbin/ip", ["-n", "sw-a", "-j", "link", "show", "eth0"]).stdout)
        XCTAssertEqual(a.first?["address"] as? String, "02:00:00:00:00:0a")
        XCTAssertEqual(a.first?["mtu"] as? Int, 9000)
        let pc = try parseJSONArray(try runProcess("/usr/sbin/ip", ["-n", "sw-c", "-j", "link", "show", "up0"]).stdout)
        XCTAssertEqual(pc.first?["master"] as? String, "brc")
        _ = try Applier.down(name: "sw")
        XCTAssertEqual(try namespaces(of: "sw"), [])
    }

    /// `up` and `down` of one topology started at once (two processes): they never interleave, so
    /// the end state is all or nothing, and the topology is consistent either way.
    func testConcurrentUpAndDownNeverInterleave() throws {
        let bin = productPath("vethctl")
        guard FileManager.default.isExecutableFile(atPath: bin) else { throw XCTSkip("\(bin) not built") }
        let file = NSTemporaryDirectory() + "cc-\(uniqueSuffix()).yaml"
        try TopologyGenerator.star(60, name: "cc").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file); _ = try? runProcess(bin, ["down", "cc"]) }
        for round in 0..<3 {
            let up = Process()
            up.executableURL = URL(fileURLWithPath: bin)
            up.arguments = ["up", file, "-q"]
            up.standardOutput = FileHandle.nullDevice
            up.standardError = FileHandle.nullDevice
            try up.run()
            usleep(UInt32(round) * 20_000)
            let down = try runProcess(bin, ["down", "cc"])
            up.waitUntilExit()
            XCTAssertEqual(up.terminationStatus, 0)
            // down before up got the lock finds nothing: "not up", exit 1.
            XCTAssertTrue(down.status == 0 || (down.status == 1 && down.stderr.contains("topology cc is not up")), "\(down.status) \(down.stderr)")
            let ns = try namespaces(of: "cc").count
            let links = try hostLinksOrGroup(of: "cc").count
            XCTAssertTrue((ns == 60 && links == 61) || (ns == 0 && links == 0), "round \(round): \(ns) namespaces, \(links) host links")
            if ns == 60 { XCTAssertEqual(try runProcess(bin, ["up", file]).stdout, "cc: no changes\n") }
            _ = try runProcess(bin, ["down", "cc"])
        }
    }
}
