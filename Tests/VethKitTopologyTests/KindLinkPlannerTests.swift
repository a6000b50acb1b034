import VethKit
@testable import VethKitTopology
import XCTest

/// ``converged(_:)`` with the kind links' parents and options as the reader reports them.
func convergedWithKinds(_ t: Topology) -> LiveState {
    var s = converged(t)
    for n in t.nodes {
        for k in n.kindLinks {
            guard let i = s.nodes[n.name]?.interfaces.firstIndex(where: { $0.name == k.name }) else { continue }
            s.nodes[n.name]!.interfaces[i].parent = k.parent
            // What the kernel reports: the defaults filled in.
            if case .vxlan(var v) = k.options {
                v.port = v.port ?? Topology.VXLANOptions.defaultPort
                v.learning = v.learning ?? true
                s.nodes[n.name]!.interfaces[i].kindOptions = .vxlan(v)
            } else {
                s.nodes[n.name]!.interfaces[i].kindOptions = k.options
            }
        }
    }
    return s
}

final class KindLinkPlannerTests: XCTestCase {
    static let yaml = """
    name: kp
    nodes:
      host:
        macvlans: {kpmv: {link: kpa0, addresses: [10.50.0.9/24]}}
      a:
        ipvlans: {iv0: {link: eth0.7, mode: l3}}
        vlans: {eth0.7: {link: eth0, id: 7, addresses: [10.51.0.1/24]}}
        vxlans: {vx0: {id: 42, remote: 192.168.9.2, local: 192.168.9.1, dev: eth1, learning: false, addresses: [10.52.0.1/24]}}
      b:
        vxlans: {vx0: {id: 42, remote: 192.168.9.1, local: 192.168.9.2, dev: eth1, learning: false, addresses: [10.52.0.2/24]}}
        dummies: {dum0: {addresses: [10.53.0.1/32]}}
    links:
      - endpoints: [{node: a, name: eth0}, {node: host, name: kpa0}]
      - endpoints: [{node: a, name: eth1, addresses: [192.168.9.1/24]}, {node: b, name: eth1, addresses: [192.168.9.2/24]}]
    """

    func topo(_ yaml: String = yaml) throws -> Topology { try Topology.parse(yaml) }

    func testFreshCreatesKindLinksAfterTheirParentsThenAddresses() throws {
        let t = try topo()
        let plan = Planner.plan(t, live: .empty(for: t))
        let lines = plan.steps.map(plan.describe)
        XCTAssertEqual(lines.filter { !$0.hasPrefix("+ address") && !$0.hasPrefix("+ namespace") }, [
            "+ veth a/eth0 <-> host/kpa0",
            "+ veth a/eth1 <-> b/eth1",
            "+ macvlan host/kpmv (on kpa0, mode bridge)",
            "+ vlan a/eth0.7 (on eth0, id 7 protocol 802.1Q)",
            "+ vxlan a/vx0 (on eth1, id 42 remote 192.168.9.2 local 192.168.9.1 nolearning)",
            "+ ipvlan a/iv0 (on eth0.7, mode l3)",
            "+ vxlan b/vx0 (on eth1, id 42 remote 192.168.9.1 local 192.168.9.2 nolearning)",
            "+ dummy b/dum0",
        ])
        XCTAssertTrue(lines.contains("+ address 10.52.0.2/24 on b/vx0"))
        XCTAssertTrue(lines.contains("+ address 10.50.0.9/24 on host/kpmv"))
        // Kind links come after every veth (their parents) and before addresses.
        let firstKind = plan.steps.firstIndex { if case .createKindLink = $0 { true } else { false } }!
        let lastVeth = plan.steps.lastIndex { if case .createVeth = $0 { true } else { false } }!
        let firstAddress = plan.steps.firstIndex { if case .addAddress = $0 { true } else { false } }!
        XCTAssertLessThan(lastVeth, firstKind)
        XCTAssertLessThan(firstKind, firstAddress)
        XCTAssertEqual(plan.conflicts, [])
    }

    func testConvergedIsNoChanges() throws {
        let t = try topo()
        let plan = Planner.plan(t, live: convergedWithKinds(t))
        XCTAssertEqual(plan.text, "kp: no changes")
    }

    func testAChangedOptionReplacesTheLinkAndItsChildren() throws {
        let t = try topo()
        var live = convergedWithKinds(t)
        // The vlan has another id: replaced; the ipvlan on it goes with it and is made again.
        let vi = live.nodes["a"]!.interfaces.firstIndex { $0.name == "eth0.7" }!
        live.nodes["a"]!.interfaces[vi].kindOptions = .vlan(id: 8, protocol: .dot1Q)
        // The vxlan's remote differs.
        let xi = live.nodes["b"]!.interfaces.firstIndex { $0.name == "vx0" }!
        live.nodes["b"]!.interfaces[xi].kindOptions = .vxlan(.init(id: 42, remote: IPAddress("192.168.9.3"), local: IPAddress("192.168.9.2"), port: 4789, learning: false))
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.steps.map(plan.describe), [
            "~ vlan a/eth0.7: on eth0, id 8 protocol 802.1Q -> on eth0, id 7 protocol 802.1Q (replaced)",
            "~ ipvlan a/iv0: parent eth0.7 replaced -> on eth0.7, mode l3 (replaced)",
            "~ vxlan b/vx0: remote 192.168.9.3 -> 192.168.9.1",
            "+ address 10.51.0.1/24 on a/eth0.7",
        ])
        XCTAssertEqual(plan.counts.change, 3)
    }

    func testWhatTheKernelChangesInPlaceIsChangedInPlace() throws {
        let t = try topo()
        var live = convergedWithKinds(t)
        let mi = live.nodes["host"]!.interfaces.firstIndex { $0.name == "kpmv" }!
        live.nodes["host"]!.interfaces[mi].kindOptions = .macvlan(mode: .vepa)
        let ii = live.nodes["a"]!.interfaces.firstIndex { $0.name == "iv0" }!
        live.nodes["a"]!.interfaces[ii].kindOptions = .ipvlan(mode: .l2)
        let xi = live.nodes["a"]!.interfaces.firstIndex { $0.name == "vx0" }!
        live.nodes["a"]!.interfaces[xi].kindOptions = .vxlan(.init(id: 42, remote: IPAddress("192.168.9.7"), local: IPAddress("192.168.9.1"), port: 4789, learning: true))
        var plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.steps.map(plan.describe), [
            "~ macvlan host/kpmv: mode vepa -> bridge",
            "~ vxlan a/vx0: remote 192.168.9.7 -> 192.168.9.2, learning -> nolearning",
            "~ ipvlan a/iv0: mode l2 -> l3",
        ])
        XCTAssertEqual(plan.steps[1], .changeKindLink(node: "a", name: "vx0", change: .vxlan(.init(id: 42, remote: IPAddress("192.168.9.2"), learning: false)),
                                                     old: .vxlan(.init(id: 42, remote: IPAddress("192.168.9.7"), local: IPAddress("192.168.9.1"), port: 4789, learning: true))))
        XCTAssertEqual(Topology.KindLink.restore(.vxlan(.init(id: 42, remote: IPAddress("192.168.9.7"), local: IPAddress("192.168.9.1"), port: 4789, learning: true)),
                                                 touched: .vxlan(.init(id: 42, remote: IPAddress("192.168.9.2"), learning: false))),
                       .vxlan(.init(id: 42, remote: IPAddress("192.168.9.7"), learning: true)))
        // Into or out of passthru, another family, a VNI or a port: replaced.
        live.nodes["host"]!.interfaces[mi].kindOptions = .macvlan(mode: .passthru)
        live.nodes["a"]!.interfaces[xi].kindOptions = .vxlan(.init(id: 42, remote: IPAddress("fd00::2"), local: IPAddress("192.168.9.1"), port: 4789, learning: false))
        plan = Planner.plan(t, live: live)
        XCTAssertTrue(plan.text.contains("~ macvlan host/kpmv: on kpa0, mode passthru -> on kpa0, mode bridge (replaced)"), plan.text)
        XCTAssertTrue(plan.text.contains("~ vxlan a/vx0: on eth1, id 42 remote fd00::2"), plan.text)
        live.nodes["a"]!.interfaces[xi].kindOptions = .vxlan(.init(id: 42, remote: IPAddress("192.168.9.2"), local: IPAddress("192.168.9.1"), port: 4790, learning: false))
        XCTAssertTrue(Planner.plan(t, live: live).text.contains("dstport 4790 nolearning -> on eth1"), Planner.plan(t, live: live).text)
    }

    func testUnsetOptionsAreTheKernelsAndAWrongParentOrKindReplaces() throws {
        let t = try topo()
        var live = convergedWithKinds(t)
        // A port the file does not set is any default one; learning unset is whatever it is.
        let xi = live.nodes["a"]!.interfaces.firstIndex { $0.name == "vx0" }!
        XCTAssertEqual(Planner.plan(t, live: live).text, "kp: no changes")
        live.nodes["a"]!.interfaces[xi].kindOptions = .vxlan(.init(id: 42, remote: IPAddress("192.168.9.2"), local: IPAddress("192.168.9.1"), port: 8472, learning: false))
        XCTAssertEqual(Planner.plan(t, live: live).steps.first.map(Planner.plan(t, live: live).describe)?.hasPrefix("~ vxlan a/vx0:"), true)
        // On another parent: replaced.
        live = convergedWithKinds(t)
        let vi = live.nodes["a"]!.interfaces.firstIndex { $0.name == "eth0.7" }!
        live.nodes["a"]!.interfaces[vi].parent = "eth1"
        XCTAssertTrue(Planner.plan(t, live: live).text.contains("~ vlan a/eth0.7: on eth1, id 7 protocol 802.1Q -> on eth0, id 7 protocol 802.1Q (replaced)"))
        // Of another kind (a dummy of that name in the topology's namespace): replaced.
        live = convergedWithKinds(t)
        live.nodes["a"]!.interfaces[vi].kind = "dummy"
        live.nodes["a"]!.interfaces[vi].kindOptions = .dummy
        live.nodes["a"]!.interfaces[vi].parent = nil
        XCTAssertTrue(Planner.plan(t, live: live).text.contains("~ vlan a/eth0.7: a dummy -> on eth0, id 7 protocol 802.1Q (replaced)"))
    }

    func testARecreatedVethTakesItsKindLinksWithIt() throws {
        let t = try topo()
        var live = convergedWithKinds(t)
        // a/eth0's peer is wrong: the pair is made again, and the vlan and ipvlan on it too.
        let ei = live.nodes["a"]!.interfaces.firstIndex { $0.name == "eth0" }!
        live.nodes["a"]!.interfaces[ei].peer = .init(node: nil, name: nil)
        let lines = Planner.plan(t, live: live).text
        XCTAssertTrue(lines.contains("- link host/kpa0"), "the pair goes (a/eth0 with it):\n\(lines)")
        XCTAssertFalse(lines.contains("- link a/eth0.7"), "goes with its parent:\n\(lines)")
        XCTAssertTrue(lines.contains("~ vlan a/eth0.7: parent eth0 replaced -> on eth0, id 7 protocol 802.1Q (replaced)"), lines)
        XCTAssertTrue(lines.contains("~ ipvlan a/iv0: parent eth0.7 replaced"), lines)
        XCTAssertTrue(lines.contains("~ macvlan host/kpmv: parent kpa0 replaced"), lines)
    }

    func testAUsersHostLinkOfTheNameIsAConflictAndNeverTouched() throws {
        let t = try topo()
        var live = convergedWithKinds(t)
        // The user's own macvlan kpmv (made with ip: no alias), on the same parent.
        let mi = live.nodes["host"]!.interfaces.firstIndex { $0.name == "kpmv" }!
        live.nodes["host"]!.interfaces[mi].alias = nil
        live.nodes["host"]!.interfaces[mi].group = 0
        live.nodes["host"]!.interfaces[mi].foreignAddresses = live.nodes["host"]!.interfaces[mi].addresses
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.conflicts, ["host link kpmv exists and is not vethkit's (alias unset, not \"vethkit:kp\")"])
        XCTAssertFalse(plan.steps.contains { plan.describe($0).contains("kpmv") }, plan.text)
        // Also when its options differ from the file's: still a conflict, never replaced.
        live.nodes["host"]!.interfaces[mi].kindOptions = .macvlan(mode: .private)
        let p2 = Planner.plan(t, live: live)
        XCTAssertFalse(p2.steps.contains { p2.describe($0).contains("kpmv") }, p2.text)
        XCTAssertEqual(p2.conflicts.count, 1)
    }

    func testKindLinksNoLongerDeclaredAreRemoved() throws {
        let t = try topo()
        var live = convergedWithKinds(t)
        live.nodes["b"]!.interfaces.append(.init(name: "oldvx", kind: "vxlan"))
        live.nodes["host"]!.interfaces.append(.init(name: "kpold", kind: "macvlan", alias: t.alias, group: t.linkGroup))
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.steps.map(plan.describe), ["- link host/kpold", "- link b/oldvx"])
    }

    func testCheckClaimsAcrossKindLinks() throws {
        let t = try topo()
        let claims = Checker.claims(t).filter { $0.reason.hasPrefix("vxlan") || $0.reason.hasPrefix("dummy") || $0.reason.hasPrefix("vlan") }
        XCTAssertEqual(claims.map { "\($0.from) -> \($0.to): \($0.reason)" }, [
            "b -> 10.52.0.1: vxlan b/vx0 -> a/vx0",
            "a -> 10.52.0.2: vxlan a/vx0 -> b/vx0",
        ])
    }
}
