import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// The ownership contract (docs/topology.md) against the real kernel, in the sandbox. Every test
/// first makes a user's objects with `ip` — of the names, prefixes, group, addresses and routes
/// the topology uses — then runs `plan`, `up`, an edited `up` and `down`, and compares `ip -j -d`
/// dumps of the user's objects before and after.
final class OwnershipKernelTests: XCTestCase {
    let seedFile = repoRoot + "/examples/seed.yaml"
    var seedYAML: String { (try? String(contentsOfFile: seedFile, encoding: .utf8)) ?? "" }

    override func setUpWithError() throws {
        try requireKernel()
        // Whatever a test leaves (also when it fails), the next one starts clean.
        addTeardownBlock {
            for n in (try? NetworkNamespace.list()) ?? [] where n.rawValue.hasPrefix("seed-") || n.rawValue.hasPrefix(".vethkit-tmp.") {
                try? NetworkNamespace.delete(n)
            }
            _ = try? Applier.down(name: "seed")
            for l in ["br0", "veth1", "ugrp0", "ugv0"] { _ = try? runProcess("/usr/sbin/ip", ["link", "del", l]) }
            unsetenv("VETHKIT_ADDRESS_MARK")
        }
    }

    // MARK: helpers

    /// `ip -j -d ARGS` with the values that change by themselves (bridge timers) removed.
    func dump(_ args: String..., file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try runProcess("/usr/sbin/ip", ["-j", "-d"] + args)
        XCTAssertEqual(r.status, 0, "ip -j -d \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        let v = try JSONSerialization.jsonObject(with: Data((r.stdout.isEmpty ? "[]" : r.stdout).utf8))
        func clean(_ x: Any) -> Any {
            if let d = x as? [String: Any] {
                var o: [String: Any] = [:]
                for (k, v) in d where !k.hasSuffix("_timer") { o[k] = clean(v) }
                return o
            }
            if let a = x as? [Any] { return a.map(clean) }
            return x
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: clean(v), options: [.sortedKeys]), as: UTF8.self)
    }

    /// The address entries (`ip -j -d addr show`) whose local address is `local`, with their link's name.
    func addressDump(_ local: String, namespace: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try runProcess("/usr/sbin/ip", (namespace.map { ["-n", $0] } ?? []) + ["-j", "-d", "addr", "show"])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        var out: [[String: Any]] = []
        for l in try parseJSONArray(r.stdout) {
            for a in l["addr_info"] as? [[String: Any]] ?? [] where (a["local"] as? String) == local {
                var e = a
                e["ifname"] = l["ifname"]
                out.append(e)
            }
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self)
    }

    func seedNamespaces() throws -> [String] {
        try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix("seed-") }
    }

    func cli(_ args: String..., env: [String: String]? = nil) throws -> ProcessResult {
        let bin = productPath("vethctl")
        guard FileManager.default.isExecutableFile(atPath: bin) else { throw XCTSkip("\(bin) not built") }
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env ?? [:] { e[k] = v }
        return try runProcess(bin, args, environment: e)
    }

    func write(_ yaml: String) throws -> String {
        let f = NSTemporaryDirectory() + "own-\(uniqueSuffix()).yaml"
        try yaml.write(toFile: f, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: f) }
        return f
    }

    /// seed.yaml with t1's address .200 → .201 and a second route: the "edited up".
    var editedSeed: String {
        seedYAML.replacingOccurrences(of: "192.168.1.200/24", with: "192.168.1.201/24")
            .replacingOccurrences(of: "      - {to: default, via: 192.168.1.1}", with: "      - {to: default, via: 192.168.1.1}\n      - {to: 10.78.0.0/16, via: 192.168.1.1}")
    }

    func assertConflict(_ t: Topology, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let plan = Planner.plan(t, live: try LiveReader.read(t))
        XCTAssertTrue(plan.text.contains("! " + text), "plan lacks `! \(text)`:\n\(plan.text)", file: file, line: line)
        XCTAssertThrowsError(try Applier.up(t), file: file, line: line) { e in
            guard let c = e as? ConflictError else { return XCTFail("not a conflict: \(e)", file: file, line: line) }
            XCTAssertTrue(c.conflicts.contains { $0.hasPrefix(text) }, "\(c)", file: file, line: line)
        }
    }

    // MARK: tests

    /// A user's bridge br0 with 172.16.5.1/24 (issue 15's first defect): `plan` shows the conflict
    /// and exits 1 without a removal line, `up` refuses before changing anything, `down` has
    /// nothing to do; the bridge and its address are exactly as before.
    func testUserBridgeOfAWantedNameIsAConflict() throws {
        try ip("link", "add", "br0", "type", "bridge")
        try ip("addr", "add", "172.16.5.1/24", "dev", "br0")
        let before = try dump("addr", "show", "dev", "br0")
        let plan = try cli("plan", seedFile)
        XCTAssertEqual(plan.status, 1, plan.stdout + plan.stderr)
        XCTAssertTrue(plan.stdout.contains("! host link br0 exists and is not vethkit's"), plan.stdout)
        XCTAssertFalse(plan.stdout.contains("172.16.5.1"), plan.stdout)
        let up = try cli("up", seedFile)
        XCTAssertEqual(up.status, 1, up.stdout + up.stderr)
        XCTAssertTrue(up.stderr.contains("refusing to start, nothing was changed"), up.stderr)
        XCTAssertEqual(try seedNamespaces(), [])
        XCTAssertFalse(try ipJSON("link", "show").contains { ($0["ifname"] as? String) == "veth1" }, "up created veth1")
        let down = try cli("down", "seed")
        XCTAssertEqual(down.status, 1, down.stderr)
        XCTAssertTrue(down.stderr.contains("topology seed is not up"), down.stderr)
        XCTAssertEqual(try dump("addr", "show", "dev", "br0"), before)
    }

    /// Namespaces under the topology's prefix that are the user's — empty, non-empty, a plain
    /// file — are never deleted or adopted: under a declared node's name they are a conflict;
    /// under other names `up`, an edited `up` and `down` leave them exactly as they were.
    func testUserNamespacesUnderThePrefixAreNeverTouched() throws {
        let t = try Topology.load(seedFile)
        // seed-t1 (a declared node) as a plain file, then as an empty unmarked namespace.
        FileManager.default.createFile(atPath: "/run/netns/seed-t1", contents: Data("mine\n".utf8))
        try assertConflict(t, "namespace seed-t1 exists and is not vethkit's")
        XCTAssertEqual(try String(contentsOfFile: "/run/netns/seed-t1", encoding: .utf8), "mine\n")
        let downFile = try cli("down", "seed")
        XCTAssertEqual(downFile.status, 1, "down of a user's file: \(downFile.stderr)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "/run/netns/seed-t1"), "down removed the user's file")
        try FileManager.default.removeItem(atPath: "/run/netns/seed-t1")
        try ip("netns", "add", "seed-t1")
        try assertConflict(t, "namespace seed-t1 exists and is not vethkit's")
        XCTAssertEqual(try cli("down", "seed").status, 1)
        XCTAssertTrue(try seedNamespaces().contains("seed-t1"), "down removed the user's empty namespace")
        try ip("netns", "del", "seed-t1")

        // Undeclared names under the prefix: empty, non-empty, a plain file.
        try ip("netns", "add", "seed-foo")
        try ip("netns", "add", "seed-bar")
        try ip("-n", "seed-bar", "link", "add", "d0", "type", "bridge")
        FileManager.default.createFile(atPath: "/run/netns/seed-baz", contents: Data("not a namespace\n".utf8))
        func snapshot() throws -> [String] {
            [try dump("-n", "seed-foo", "link", "show"), try dump("-n", "seed-bar", "addr", "show"),
             try String(contentsOfFile: "/run/netns/seed-baz", encoding: .utf8)]
        }
        let before = try snapshot()
        XCTAssertEqual(try Planner.plan(t, live: LiveReader.read(t)).conflicts, [])
        _ = try Applier.up(t)
        _ = try Applier.up(try Topology.parse(editedSeed))
        XCTAssertEqual(try snapshot(), before, "after up and edited up")
        _ = try Applier.down(name: "seed")
        XCTAssertEqual(try seedNamespaces(), ["seed-bar", "seed-baz", "seed-foo"])
        XCTAssertEqual(try snapshot(), before, "after down")
        let again = try cli("down", "seed")
        XCTAssertEqual(again.status, 1, "only the user's namespaces are left: \(again.stderr)")
    }

    /// A user's links in the topology's link group: never deleted (no group delete while they
    /// are members), through up, edited up, a rolled-back up and down.
    func testUserLinksInTheTopologyGroupSurvive() throws {
        let g = String(Ownership.group(for: "seed"))
        try ip("link", "add", "ugrp0", "group", g, "type", "bridge")
        try ip("link", "add", "ugv0", "group", g, "type", "veth", "peer", "name", "ugv1")
        func snapshot() throws -> String { try dump("link", "show", "group", g) }
        let before = try snapshot()
        XCTAssertTrue(before.contains("ugrp0") && before.contains("ugv0"), before)
        let t = try Topology.load(seedFile)
        XCTAssertEqual(try Planner.plan(t, live: LiveReader.read(t)).conflicts, [])
        _ = try Applier.up(t)
        _ = try Applier.up(try Topology.parse(editedSeed))
        _ = try Applier.down(name: "seed")
        XCTAssertEqual(try snapshot(), before)
        // A rollback too: injected failure after everything was created.
        var o = Applier.Options()
        o.faultInjection = { if $0 == "masquerade" { throw InvalidInput("test", $0, "injected failure") } }
        XCTAssertThrowsError(try Applier.up(t, options: o)) { e in
            guard let a = e as? ApplyError else { return XCTFail("\(e)") }
            XCTAssertEqual(a.rollbackErrors, [])
            XCTAssertTrue("\(a.underlying)".contains("injected failure"), "\(a)")
        }
        XCTAssertEqual(try seedNamespaces(), [])
        XCTAssertEqual(try snapshot(), before, "after the rollback")
    }

    /// A user's route and address in a topology namespace, and a user's extra address on a
    /// topology bridge, survive up and an edited up (which removes vethkit's own address and
    /// adds a route); the file wanting the user's route or address is a conflict.
    func userObjectsInTopologyObjects(records: Bool) throws {
        if records { setenv("VETHKIT_ADDRESS_MARK", "records", 1) }
        let t = try Topology.load(seedFile)
        _ = try Applier.up(t)
        try ip("-n", "seed-t1", "route", "add", "10.77.0.0/16", "via", "192.168.1.1")
        try ip("-n", "seed-t1", "addr", "add", "10.99.0.5/24", "dev", "veth2")
        try ip("addr", "add", "192.168.1.7/24", "dev", "br0")
        func users() throws -> [String] {
            [try dump("-n", "seed-t1", "route", "show", "10.77.0.0/16"), try addressDump("10.99.0.5", namespace: "seed-t1"),
             try addressDump("192.168.1.7")]
        }
        let before = try users()
        XCTAssertTrue(before[0].contains("10.77.0.0"), before[0])
        XCTAssertTrue(before[1].contains("10.99.0.5") && before[2].contains("192.168.1.7"), "\(before)")
        let same = try Applier.up(t)
        XCTAssertEqual(same.summary, "seed: no changes", same.plan.text)
        let r = try Applier.up(try Topology.parse(editedSeed))
        XCTAssertTrue(r.plan.steps.contains(.deleteAddress(node: "t1", interface: "veth2", address: try IPNetwork("192.168.1.200/24"))), r.plan.text)
        XCTAssertFalse(r.plan.text.contains("10.77") || r.plan.text.contains("10.99") || r.plan.text.contains("192.168.1.7"), r.plan.text)
        XCTAssertEqual(try users(), before, "after the edited up")
        let t1 = try ipJSON("-n", "seed-t1", "addr", "show", "dev", "veth2")
        let locals = Set((t1.first?["addr_info"] as? [[String: Any]] ?? []).compactMap { $0["local"] as? String })
        XCTAssertEqual(locals.intersection(["192.168.1.200", "192.168.1.201", "10.99.0.5"]), ["192.168.1.201", "10.99.0.5"], "ours replaced, the user's kept")
        // How ours are marked: IFA_PROTO 0x56, or (records) no IFA_PROTO and a record.
        let ours = try NetworkNamespace.open(NamespaceName("seed-t1")).run { try NetHandle().addresses(link: .named("veth2")) }
        let p201 = ours.first { $0.network.description == "192.168.1.201/24" }?.protocol.rawValue
        let p99 = ours.first { $0.network.description == "10.99.0.5/24" }?.protocol.rawValue
        XCTAssertEqual(p201, records ? 0 : Ownership.addressProtocol)
        XCTAssertEqual(p99, 0)
        let recorded = try TopologyRecords("seed").addresses()
        if records {
            XCTAssertTrue(recorded.contains(.init(node: "t1", interface: "veth2", address: try IPNetwork("192.168.1.201/24"))), "\(recorded)")
            XCTAssertFalse(recorded.contains { $0.address.description == "192.168.1.200/24" }, "deleted address still recorded: \(recorded)")
        } else {
            XCTAssertEqual(recorded, [])
        }
        // The file wanting the user's route or address: conflicts, nothing changed.
        try assertConflict(try Topology.parse(seedYAML.replacingOccurrences(of: "      - {to: default, via: 192.168.1.1}", with: "      - {to: default, via: 192.168.1.1}\n      - {to: 10.77.0.0/16, via: 192.168.1.1}")),
                           "route t1: 10.77.0.0/16 via 192.168.1.1")
        try assertConflict(try Topology.parse(seedYAML.replacingOccurrences(of: "br0: {addresses: [192.168.1.1/24]}", with: "br0: {addresses: [192.168.1.1/24, 192.168.1.7/24]}")),
                           "address 192.168.1.7/24 on host/br0 exists and was not added by vethkit")
        XCTAssertEqual(try users(), before, "after the refused ups")
        _ = try Applier.down(name: "seed")
        XCTAssertEqual(try seedNamespaces(), [])
        XCTAssertFalse(TopologyRecords("seed").exists, "down leaves no records")
    }

    func testUserRouteAndAddressesInTopologyObjectsSurvive() throws { try userObjectsInTopologyObjects(records: false) }

    /// The same rule on the path for kernels that drop IFA_PROTO (before 6.3), forced through the
    /// documented test hook VETHKIT_ADDRESS_MARK=records: vethkit's addresses are known by their
    /// records alone.
    func testUserRouteAndAddressesSurviveWithAddressRecords() throws { try userObjectsInTopologyObjects(records: true) }

    /// Host sysctls: the value before `up` is recorded and restored by `down`, and by `up` when
    /// the key is removed from the file.
    func testHostSysctlsAreRestored() throws {
        let keys = ["net.ipv4.ip_forward", "net.ipv4.conf.default.rp_filter"]
        try Sysctl.write(keys[0], "0")
        try Sysctl.write(keys[1], "2")
        let before = try keys.map { try Sysctl.read($0) }
        let yaml = seedYAML.replacingOccurrences(of: "  host:\n", with: "  host:\n    sysctls: {net.ipv4.ip_forward: \"1\", net.ipv4.conf.default.rp_filter: \"1\"}\n")
        XCTAssertNotEqual(yaml, seedYAML)
        let t = try Topology.parse(yaml)
        _ = try Applier.up(t)
        XCTAssertEqual(try keys.map { try Sysctl.read($0) }, ["1", "1"])
        _ = try Applier.down(name: "seed")
        XCTAssertEqual(try keys.map { try Sysctl.read($0) }, before, "down restores")
        // Up again, then the key dropped from the file: restored by up.
        _ = try Applier.up(t)
        let t2 = try Topology.parse(yaml.replacingOccurrences(of: "net.ipv4.ip_forward: \"1\", ", with: ""))
        let r = try Applier.up(t2)
        XCTAssertTrue(r.plan.text.contains("~ sysctl host: net.ipv4.ip_forward 1 -> 0 (restored: no longer in the file)"), r.plan.text)
        XCTAssertTrue(r.plan.steps.contains(.restoreSysctl(node: "host", key: keys[0], value: "0", current: "1")), r.plan.text)
        XCTAssertEqual(try Sysctl.read(keys[0]), "0")
        XCTAssertEqual(try Applier.up(t2).summary, "seed: no changes")
        _ = try Applier.down(name: "seed")
        XCTAssertEqual(try keys.map { try Sysctl.read($0) }, before)
    }

    /// `down`/`show` of a topology that is not up: exit 1, naming the ones that are.
    func testDownAndShowOfATopologyNotUpExit1() throws {
        for verb in ["down", "show"] {
            let r = try cli(verb, "nosuch")
            XCTAssertEqual(r.status, 1, "\(verb): \(r.stdout) \(r.stderr)")
            XCTAssertEqual(r.stderr, "vethctl: \(verb) nosuch: topology nosuch is not up (no topology is up)\n")
        }
        XCTAssertEqual(try cli("up", seedFile, "-q").status, 0)
        for verb in ["down", "show"] {
            let r = try cli(verb, "nosuch")
            XCTAssertEqual(r.status, 1, "\(verb): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("topology nosuch is not up (up: seed)"), r.stderr)
        }
        XCTAssertEqual(try cli("show", "seed").status, 0)
        XCTAssertEqual(try cli("down", "seed").status, 0)
        XCTAssertEqual(try cli("show", seedFile).status, 1, "show FILE of a topology that is not up")
    }

    /// `vethctl route show` names protocol 0x56 `vethkit`, in text and JSON.
    func testRouteShowNamesTheVethKitProtocol() throws {
        let bin = productPath("vethctl")
        guard FileManager.default.isExecutableFile(atPath: bin) else { throw XCTSkip("\(bin) not built") }
        try ip("link", "add", "ugrp0", "type", "bridge")
        try ip("link", "set", "ugrp0", "up")
        try ip("route", "add", "10.55.0.0/16", "dev", "ugrp0", "proto", "86")
        let text = try runProcess(bin, ["route", "show"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.split(separator: "\n").contains { $0.contains("10.55.0.0/16") && $0.contains("vethkit") }, text.stdout)
        let json = try runProcess(bin, ["route", "show", "--json"])
        let rows = try parseJSONArray(json.stdout)
        XCTAssertEqual(rows.first { ($0["dst"] as? String) == "10.55.0.0/16" }?["protocol"] as? String, "vethkit", json.stdout)
    }

    /// Masquerade touches only chains whose comment names this topology: a user's chain and one
    /// of a topology whose name has ours as a prefix stay through up and down.
    func testMasqueradeTouchesOnlyOurChains() throws {
        try requireNFTables()
        try NFTables.run("""
            add table inet vethkit
            add chain inet vethkit userchain { comment "user"; }
            add chain inet vethkit \(Masquerade.chainName(owner: "topo/seedx/host/10.0.0.0/8")) { type nat hook postrouting priority srcnat; comment "topo/seedx/host/10.0.0.0/8"; }
            """)
        let other = Masquerade.chainName(owner: "topo/seedx/host/10.0.0.0/8")
        addTeardownBlock { _ = try? NFTables.run("delete chain inet vethkit userchain\ndelete chain inet vethkit \(other)") }
        // Only this test's chains (other tests may have left theirs in the table).
        func theirs() throws -> [String: String?] { try Masquerade.chains().filter { ["userchain", other].contains($0.key) } }
        let before = try theirs()
        XCTAssertEqual(before.count, 2, "\(before)")
        let t = try Topology.parse(seedYAML.replacingOccurrences(of: "      br0: {addresses: [192.168.1.1/24]}", with: "      br0: {addresses: [192.168.1.1/24]}\n    masquerade: [192.168.1.0/24]"))
        _ = try Applier.up(t)
        XCTAssertEqual(try Masquerade.chains().values.filter { $0 == "topo/seed/host/192.168.1.0/24" }.count, 1)
        _ = try Applier.down(name: "seed")
        XCTAssertEqual(try Masquerade.chains().values.filter { $0 == "topo/seed/host/192.168.1.0/24" }.count, 0)
        XCTAssertEqual(try theirs().keys.sorted(), before.keys.sorted())
        XCTAssertEqual(try theirs().values.map { $0 ?? "" }.sorted(), ["topo/seedx/host/10.0.0.0/8", "user"])
    }

    /// What a kill leaves at each step of publishing a namespace or naming a host link, made by
    /// hand: a temporary file, a placeholder under the final name, a temporary link in the
    /// temporary group. `up` and `down` recognise and remove exactly those; the same shapes that
    /// are not ours (another topology's temporary file, a plain file with other content, a user's
    /// link of a temporary-looking name outside our temporary group) stay.
    func testLeftoversOfAnInterruptedUpAreRecognised() throws {
        let t = try Topology.load(seedFile)
        func leave() throws {
            FileManager.default.createFile(atPath: "/run/netns/.vethkit-tmp.seed.t1.99999", contents: Data(Ownership.placeholderContent(for: "seed").utf8))
            FileManager.default.createFile(atPath: "/run/netns/seed-t1", contents: Data(Ownership.placeholderContent(for: "seed").utf8))
            let tmp = Ownership.temporaryLinkName(topology: "seed", serial: 7)
            try ip("link", "add", tmp, "group", String(Ownership.temporaryGroup(for: "seed")), "type", "veth", "peer", "name",
                   Ownership.temporaryLinkName(topology: "seed", serial: 8), "group", String(Ownership.temporaryGroup(for: "seed")))
        }
        // Not ours: look alike, but another topology's, other content, or another group.
        FileManager.default.createFile(atPath: "/run/netns/.vethkit-tmp.seedx.t1.1", contents: Data("x".utf8))
        // Same length as seed's placeholder, other content; and another topology's placeholder.
        FileManager.default.createFile(atPath: "/run/netns/seed-t2", contents: Data(Ownership.placeholderContent(for: "seex").utf8))
        FileManager.default.createFile(atPath: "/run/netns/seed-t3", contents: Data(Ownership.placeholderContent(for: "seedx").utf8))
        let lookalike = Ownership.temporaryLinkName(topology: "seed", serial: 9)
        try ip("link", "add", lookalike, "type", "bridge")
        addTeardownBlock {
            for f in ["/run/netns/.vethkit-tmp.seedx.t1.1", "/run/netns/seed-t2", "/run/netns/seed-t3"] { unlink(f) }
            _ = try? runProcess("/usr/sbin/ip", ["link", "del", lookalike])
        }
        func theirs() throws -> [String] {
            [try String(contentsOfFile: "/run/netns/.vethkit-tmp.seedx.t1.1", encoding: .utf8),
             try String(contentsOfFile: "/run/netns/seed-t2", encoding: .utf8), try String(contentsOfFile: "/run/netns/seed-t3", encoding: .utf8),
             try dump("link", "show", lookalike)]
        }
        let before = try theirs()
        func ourLeftovers() throws -> Int {
            try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix(".vethkit-tmp.seed.") }.count
                + (NamespacePublisher.isPlaceholder("/run/netns/seed-t1", topology: "seed") ? 1 : 0)
                + (try ipJSON("link", "show", "group", String(Ownership.temporaryGroup(for: "seed"))).filter { $0["ifname"] != nil }.count)
        }
        try leave()
        XCTAssertEqual(try ourLeftovers(), 4)
        // up: no conflict, the leftovers go, the topology comes up.
        let plan = Planner.plan(t, live: try LiveReader.read(t))
        XCTAssertEqual(plan.conflicts, [], plan.text)
        XCTAssertTrue(plan.steps.contains(.createNamespace(node: "t1", namespace: "seed-t1")), plan.text)
        _ = try Applier.up(t)
        XCTAssertEqual(try ourLeftovers(), 0)
        XCTAssertEqual(try Applier.up(t).summary, "seed: no changes")
        _ = try Applier.down(name: "seed")
        // down: also when only leftovers exist.
        try leave()
        let d = try cli("down", "seed")
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertEqual(try ourLeftovers(), 0)
        XCTAssertEqual(try theirs(), before)
        XCTAssertEqual(try cli("down", "seed").status, 1, "nothing of seed is left")
    }
}
