import VethKit
@testable import VethKitTopology
import XCTest

/// The ownership rules as the planner applies them (pure: hand-made live states). Each test
/// gives the kernel a user's object of a name, group, address or route the topology also uses.
final class OwnershipPlannerTests: XCTestCase {
    func seed() throws -> Topology { try Topology.load(repoRoot + "/examples/seed.yaml") }
    func net(_ s: String) -> IPNetwork { try! IPNetwork(s) }

    /// A user's bridge br0 with 172.16.5.1/24 where seed wants br0: a conflict, and the plan
    /// neither removes its address nor adds one to it (issue 15, first defect).
    func testUserBridgeOfAWantedNameIsAConflictAndItsAddressStays() throws {
        let t = try seed()
        var live = LiveState.empty(for: t)
        live.nodes["host"]!.interfaces.append(.init(name: "br0", kind: "bridge", addresses: [net("172.16.5.1/24")]))
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.conflicts, ["host link br0 exists and is not vethkit's (alias unset, not \"vethkit:seed\")"], plan.text)
        XCTAssertTrue(plan.text.contains("! host link br0 exists"), plan.text)
        for s in plan.steps {
            switch s {
            case .deleteAddress, .deleteLink, .createBridge: XCTFail("touches the user's bridge: \(plan.describe(s))")
            case .addAddress(let n, let i, _): XCTAssertFalse(n == "host" && i == "br0", plan.describe(s))
            default: break
            }
        }
    }

    /// A link in the topology's group but without its alias is the user's: never adopted, never
    /// deleted as "ours" (the group is no mark).
    func testGroupAloneIsNoMark() throws {
        let t = try seed()
        var live = converged(t)
        live.nodes["host"]!.interfaces.append(.init(name: "ugrp0", kind: "dummy", group: t.linkGroup))
        XCTAssertTrue(Planner.plan(t, live: live).isEmpty, Planner.plan(t, live: live).text)
        // The same link under a name the file wants: a conflict, not adopted.
        live = converged(t)
        let i = live.nodes["host"]!.interfaces.firstIndex { $0.name == "veth1" }!
        live.nodes["host"]!.interfaces[i].alias = nil
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.conflicts.count, 1, plan.text)
        XCTAssertTrue((plan.conflicts.first ?? "").hasPrefix("host link veth1 exists and is not vethkit's"), plan.text)
        XCTAssertFalse(plan.steps.contains(.deleteLink(node: "host", name: "veth1")), plan.text)
    }

    /// A host veth without the alias whose peer is in our marked namespace (a kill before the
    /// alias was set) is ours: no conflict, nothing to do.
    func testHostEndWhosePeerIsInOurNamespaceIsOurs() throws {
        let t = try seed()
        var live = converged(t)
        let i = live.nodes["host"]!.interfaces.firstIndex { $0.name == "veth1" }!
        live.nodes["host"]!.interfaces[i].alias = nil
        live.nodes["host"]!.interfaces[i].markedByPeer = true
        let plan = Planner.plan(t, live: live)
        XCTAssertTrue(plan.conflicts.isEmpty, plan.text)
        XCTAssertTrue(plan.isEmpty, plan.text)
    }

    /// Addresses the user added (no IFA_PROTO of ours, no record) are never removed; one the file
    /// wants is a conflict. Ours that the file dropped are removed.
    func testOnlyOurAddressesAreRemoved() throws {
        let t = try seed()
        var live = converged(t)
        let b = live.nodes["host"]!.interfaces.firstIndex { $0.name == "br0" }!
        live.nodes["host"]!.interfaces[b].addresses += [net("192.168.1.7/24"), net("10.1.2.3/8")]
        live.nodes["host"]!.interfaces[b].foreignAddresses = [net("192.168.1.7/24")]
        let v = live.nodes["t1"]!.interfaces.firstIndex { $0.name == "veth2" }!
        live.nodes["t1"]!.interfaces[v].addresses.append(net("10.99.0.5/24"))
        live.nodes["t1"]!.interfaces[v].foreignAddresses = [net("10.99.0.5/24")]
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.steps, [.deleteAddress(node: "host", interface: "br0", address: net("10.1.2.3/8"))], plan.text)
        XCTAssertTrue(plan.conflicts.isEmpty, plan.text)
        // The file wants the user's address: a conflict, nothing removed.
        var y = try String(contentsOfFile: repoRoot + "/examples/seed.yaml", encoding: .utf8)
        y = y.replacingOccurrences(of: "br0: {addresses: [192.168.1.1/24]}", with: "br0: {addresses: [192.168.1.1/24, 192.168.1.7/24]}")
        let t2 = try Topology.parse(y)
        let p2 = Planner.plan(t2, live: live)
        XCTAssertEqual(p2.conflicts, ["address 192.168.1.7/24 on host/br0 exists and was not added by vethkit"], p2.text)
        XCTAssertTrue(p2.text.contains("! address 192.168.1.7/24 on host/br0"), p2.text)
    }

    /// Only routes of protocol 0x56 are matched or removed: a user's route in a topology
    /// namespace stays; a user's route with the key the file wants is a conflict.
    func testOnlyOurRoutesAreRemoved() throws {
        let t = try seed()
        var live = converged(t)
        let user = LiveState.RouteEntry(to: net("10.77.0.0/16"), via: IPAddress("192.168.1.1"), dev: "veth2", proto: 3)
        live.nodes["t1"]!.routes.append(user)
        var plan = Planner.plan(t, live: live)
        XCTAssertTrue(plan.isEmpty && plan.conflicts.isEmpty, plan.text)
        // A user's default route where the file wants one: not matched, not removed: a conflict.
        live = converged(t)
        live.nodes["t1"]!.routes[0].proto = 4
        plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.steps, [], plan.text)
        XCTAssertEqual(plan.conflicts.count, 1, plan.text)
        XCTAssertTrue((plan.conflicts.first ?? "").hasPrefix("route t1: default via 192.168.1.1"), plan.text)
        // Ours, dropped from the file: removed.
        live = converged(t)
        live.nodes["t1"]!.routes.append(.init(to: net("10.78.0.0/16"), via: IPAddress("192.168.1.1"), dev: "veth2"))
        plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.steps.map(plan.describe), ["- route t1: 10.78.0.0/16 via 192.168.1.1 dev veth2"])
    }

    /// A user's namespace (or plain file) under a declared node's name is a conflict and is not
    /// deleted; one of an undeclared node's name is not even looked at.
    func testUserNamespaceIsNeverDeleted() throws {
        let t = try seed()
        var live = LiveState.empty(for: t)
        live.nodes["t1"] = .init(name: "t1", namespace: "seed-t1", exists: true, owned: false)
        live.nodes["foo"] = .init(name: "foo", namespace: "seed-foo", exists: true, owned: false)
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.conflicts, ["namespace seed-t1 exists and is not vethkit's (no vethkit:seed mark on its lo)"])
        XCTAssertFalse(plan.steps.contains { if case .deleteNamespace = $0 { return true } else { return false } }, plan.text)
    }

    /// A host sysctl up changed and the file no longer sets: restored to the recorded value.
    func testRecordedHostSysctlIsRestoredWhenRemovedFromTheFile() throws {
        let t = try seed()
        var live = converged(t)
        live.recordedSysctls = ["net.ipv4.ip_forward": "0"]
        live.nodes["host"]!.sysctls["net.ipv4.ip_forward"] = "1"
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.steps, [.restoreSysctl(node: "host", key: "net.ipv4.ip_forward", value: "0", current: "1")])
        XCTAssertEqual(plan.text.components(separatedBy: "\n").first, "~ sysctl host: net.ipv4.ip_forward 1 -> 0 (restored: no longer in the file)")
    }

    func testTemporaryLinkNames() {
        let n = Ownership.temporaryLinkName(topology: "seed", serial: 1)
        XCTAssertEqual(n.utf8.count, 15, n)
        XCTAssertNoThrow(try InterfaceName(n), n)
        let tg = Ownership.temporaryGroup(for: "seed")
        XCTAssertNotEqual(tg, Ownership.group(for: "seed"))
        XCTAssertTrue(Ownership.isTemporaryLink(name: n, group: tg, topology: "seed"))
        // Another group (the real one too), another topology, or a user's name: not a temporary link of ours.
        XCTAssertFalse(Ownership.isTemporaryLink(name: n, group: 0, topology: "seed"))
        XCTAssertFalse(Ownership.isTemporaryLink(name: n, group: Ownership.group(for: "seed"), topology: "seed"))
        XCTAssertFalse(Ownership.isTemporaryLink(name: n, group: tg, topology: "other"))
        XCTAssertFalse(Ownership.isTemporaryLink(name: "veth1", group: tg, topology: "seed"))
        XCTAssertFalse(Ownership.isTemporaryLink(name: ".vkzzzzzz000001", group: tg, topology: "seed"))
    }

    /// Generated topologies of the same size but different names want different host links.
    func testGeneratedHostNamesIncludeTheTopology() throws {
        for (a, b) in [("s1", "s2"), ("verylongname", "verylongnamf")] {
            for gen in [{ TopologyGenerator.star(200, name: $0) }, { TopologyGenerator.pairs(50, name: $0) }, { TopologyGenerator.pairs(50, name: $0, namespace: true) }] {
                let ta = try Topology.parse(gen(a)), tb = try Topology.parse(gen(b))
                let ha = Set(ta.interfaces(of: "host").map(\.name)), hb = Set(tb.interfaces(of: "host").map(\.name))
                XCTAssertEqual(ha.count, ta.interfaces(of: "host").count)
                XCTAssertTrue(ha.isDisjoint(with: hb), "\(a)/\(b): \(ha.intersection(hb).sorted().prefix(5))")
                for n in ha { XCTAssertNoThrow(try InterfaceName(n), n) }
            }
        }
        XCTAssertEqual(TopologyGenerator.hostName("star8", "h1"), "star8h1")
    }
}
