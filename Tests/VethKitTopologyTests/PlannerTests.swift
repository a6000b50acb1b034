import VethKit
@testable import VethKitTopology
import XCTest

/// The live state a correct `up` of `t` leaves (what the reader would find).
func converged(_ t: Topology) -> LiveState {
    var s = LiveState()
    for n in t.nodes {
        var ns = LiveState.NodeState(name: n.name, namespace: t.namespaceName(of: n.name))
        for sc in n.sysctls { ns.sysctls[sc.key] = sc.value }
        ns.masquerade = n.masquerade
        for i in t.interfaces(of: n.name) {
            var li = LiveState.Interface(name: i.name, kind: i.kind.rawValue, mtu: i.mtu ?? 1500, mac: i.mac, master: i.master,
                                         alias: n.isHost ? t.alias : nil, group: n.isHost ? t.linkGroup : 0, addresses: i.addresses)
            if let l = i.link {
                let link = t.links[l]
                let other = link.a.node == n.name && link.a.name == i.name ? link.b : link.a
                li.peer = .init(node: other.node, name: other.name)
            }
            ns.interfaces.append(li)
        }
        ns.routes = n.routes.map { r in
            LiveState.RouteEntry(to: r.to, via: r.via, dev: r.dev ?? "x", metric: r.metric ?? (r.via.isIPv4 ? nil : 1024))
        }
        s.nodes[n.name] = ns
    }
    if s.nodes[Topology.hostNode] == nil { s.nodes[Topology.hostNode] = .init(name: Topology.hostNode, namespace: nil) }
    return s
}

final class PlannerTests: XCTestCase {
    func example(_ name: String) throws -> Topology { try Topology.load(repoRoot + "/examples/\(name).yaml") }

    func testFreshSeedCreatesEverything() throws {
        let t = try example("seed")
        let plan = Planner.plan(t, live: .empty(for: t))
        XCTAssertEqual(plan.steps.map(plan.describe), [
            "+ namespace seed-t1 (node t1)",
            "+ bridge host/br0",
            "+ veth t1/veth2 <-> host/veth1 mtu 1500",
            "+ address 192.168.1.1/24 on host/br0",
            "+ address 192.168.1.200/24 on t1/veth2",
            "+ route t1: default via 192.168.1.1",
        ])
        XCTAssertTrue(plan.conflicts.isEmpty)
        XCTAssertEqual(plan.counts.create, 6)
    }

    func testConvergedStateHasNoChanges() throws {
        for name in ["seed", "routers", "star"] {
            let t = try example(name)
            let plan = Planner.plan(t, live: converged(t))
            XCTAssertTrue(plan.isEmpty, "\(name): \(plan.text)")
            XCTAssertEqual(plan.text, "\(name): no changes")
        }
    }

    func testUsersOwnHostLinksAreNeverTouched() throws {
        let t = try example("seed")
        var live = converged(t)
        live.nodes["host"]!.interfaces.append(.init(name: "uveth0", kind: "veth", peer: .init(node: nil, name: nil)))
        live.nodes["host"]!.interfaces.append(.init(name: "ubr0", kind: "bridge"))
        live.nodes["host"]!.interfaces.append(.init(name: "other", kind: "veth", alias: "vethkit:other", group: 7))
        XCTAssertTrue(Planner.plan(t, live: live).isEmpty)
    }

    func testCollisionWithForeignHostLinkIsAConflict() throws {
        let t = try example("seed")
        var live = LiveState.empty(for: t)
        live.nodes["host"]!.interfaces.append(.init(name: "veth1", kind: "dummy"))
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.conflicts.count, 1)
        XCTAssertTrue(plan.conflicts[0].contains("host link veth1 exists and is not vethkit's"), plan.conflicts[0])
        XCTAssertFalse(plan.steps.contains(.deleteLink(node: "host", name: "veth1")))
    }

    func testForeignNamespaceIsAConflict() throws {
        let t = try example("seed")
        var live = LiveState.empty(for: t)
        live.nodes["t1"] = .init(name: "t1", namespace: "seed-t1", exists: true, owned: false)
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.conflicts, ["namespace seed-t1 exists and is not vethkit's (no vethkit:seed mark on its lo)"])
    }

    func testEditsConverge() throws {
        let t = try example("routers")
        let live = converged(t)
        // Add a node h3 linked to r2, remove link r2—h2, change h1's IPv4 address.
        var y = try String(contentsOfFile: repoRoot + "/examples/routers.yaml", encoding: .utf8)
        y = y.replacingOccurrences(of: """
          - endpoints:
              - {node: r2, name: eth0, addresses: [10.0.2.1/24, "fd00:2::1/64"]}
              - {node: h2, name: eth0, addresses: [10.0.2.2/24, "fd00:2::2/64"]}
        """, with: """
          - endpoints:
              - {node: r2, name: eth2, addresses: [10.0.3.1/24]}
              - {node: h3, name: eth0, addresses: [10.0.3.2/24]}
        """)
        y = y.replacingOccurrences(of: "  h2:\n    routes:\n      - {to: default, via: 10.0.2.1}\n      - {to: default, via: \"fd00:2::1\"}\n",
                                   with: "  h3:\n    routes:\n      - {to: default, via: 10.0.3.1}\n")
        y = y.replacingOccurrences(of: "10.0.1.2/24", with: "10.0.1.3/24")
        y = y.replacingOccurrences(of: "checks:", with: "checksx:").components(separatedBy: "checksx:")[0]
        y = y.replacingOccurrences(of: "      - {to: 10.0.1.0/24, via: 10.0.12.1}\n", with: "      - {to: 10.0.1.0/24, via: 10.0.12.1}\n      - {to: 10.0.4.0/24, via: 10.0.3.2}\n")
        let t2 = try Topology.parse(y)
        let plan = Planner.plan(t2, live: live)
        XCTAssertEqual(plan.steps.map(plan.describe), [
            "- namespace routers-h2 (node h2 is no longer declared)",
            "- link r2/eth0",
            "- address 10.0.1.2/24 on h1/eth0",
            "+ namespace routers-h3 (node h3)",
            "+ veth r2/eth2 <-> h3/eth0",
            "+ address 10.0.1.3/24 on h1/eth0",
            "+ address 10.0.3.1/24 on r2/eth2",
            "+ address 10.0.3.2/24 on h3/eth0",
            "+ route r2: 10.0.4.0/24 via 10.0.3.2",
            "+ route h3: default via 10.0.3.1",
        ], plan.text)
        // After applying, the new file is converged.
        XCTAssertTrue(Planner.plan(t2, live: converged(t2)).isEmpty)
    }

    func testLinkSettingsAndRoutesAndSysctls() throws {
        let t = try example("routers")
        var live = converged(t)
        live.nodes["r1"]!.interfaces[0].mtu = 9000
        live.nodes["r1"]!.interfaces[1].up = false
        live.nodes["r1"]!.sysctls["net.ipv4.ip_forward"] = "0"
        live.nodes["r1"]!.routes.append(.init(to: try IPNetwork("10.9.0.0/16"), via: IPAddress("10.0.12.2"), dev: "eth1"))
        live.nodes["h1"]!.routes.removeFirst()
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.steps.map(plan.describe), [
            "- route r1: 10.9.0.0/16 via 10.0.12.2 dev eth1",
            "~ sysctl r1: net.ipv4.ip_forward 0 -> 1",
            "~ link r1/eth1: up",
            "+ route h1: default via 10.0.1.1",
        ], plan.text)
        var t2 = t
        t2.links[0].mtu = 1400
        let p2 = Planner.plan(t2, live: converged(t))
        XCTAssertEqual(p2.steps.map(p2.describe), ["~ link h1/eth0: mtu 1500 -> 1400", "~ link r1/eth0: mtu 1500 -> 1400"])
    }

    func testVethWithWrongPeerIsRecreated() throws {
        let t = try example("seed")
        var live = converged(t)
        live.nodes["t1"]!.interfaces[0].peer = .init(node: nil, name: "elsewhere")
        live.nodes["host"]!.interfaces.removeAll { $0.name == "veth1" }
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.steps.map(plan.describe), [
            "- link t1/veth2",
            "+ veth t1/veth2 <-> host/veth1 mtu 1500",
            "+ address 192.168.1.200/24 on t1/veth2",
        ], plan.text)
    }

    func testRemovedLinkTakesItsPeerOnce() throws {
        let t = try example("star")
        var t2 = t
        t2.links.removeLast()
        t2.nodes.removeAll { $0.name == "leaf8" }
        let plan = Planner.plan(t2, live: converged(t))
        XCTAssertEqual(plan.steps.map(plan.describe), ["- namespace star-leaf8 (node leaf8 is no longer declared)", "- link host/star-l8"])
    }

    func testMasqueradeAddRemove() throws {
        var t = try example("seed")
        let live = converged(t)
        t.nodes[0].masquerade = [try IPNetwork("192.168.1.0/24")]
        let plan = Planner.plan(t, live: live)
        XCTAssertEqual(plan.steps.map(plan.describe), ["+ masquerade 192.168.1.0/24 in host"])
        let back = Planner.plan(try example("seed"), live: converged(t))
        XCTAssertEqual(back.steps.map(back.describe), ["- masquerade 192.168.1.0/24 in host"])
    }
}
