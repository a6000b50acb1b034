import VethKit
@testable import VethKitTopology
import XCTest

/// The one per-node batch builder (NodeBatch.swift), used by the namespace pipeline and by
/// Configure: names resolve to indexes, configuration goes in the kernel's order, and only steps
/// in nodes that existed before carry what undoes them. No kernel needed.
final class NodeBatchTests: XCTestCase {
    func example(_ name: String) throws -> Topology { try Topology.load(repoRoot + "/examples/\(name).yaml") }

    /// Links the batch creates are named by the index chosen for them; an unknown name is a
    /// NotFound naming the node's namespace, before anything is sent.
    func testNamesResolveToChosenOrReadIndexes() throws {
        var b = NodeBatch(node: "t1", namespace: "seed-t1", index: ["lo": 1])
        try b.addLink(at: 2, LinkAttributes(name: try InterfaceName("br0"), up: true), kind: VethKit.Bridge(), line: "+ bridge t1/br0")
        XCTAssertEqual(b.index["br0"], 2)
        try b.setLink("br0", LinkChange(mtu: 9000), line: "~ link t1/br0: mtu 9000")
        try b.addAddress(try IPNetwork("10.0.0.1/24"), to: "br0", protocol: .vethkit, line: "+ address")
        try b.addRoute(Topology.Route(to: try IPNetwork("10.9.0.0/16"), via: IPAddress("10.0.0.9")!, dev: "br0"), line: "+ route")
        XCTAssertEqual(b.entries.map(\.line), ["+ bridge t1/br0", "~ link t1/br0: mtu 9000", "+ address", "+ route"])
        XCTAssertEqual(b.requests.count, 4)
        XCTAssertThrowsError(try b.setLink("eth9", LinkChange(up: true), line: "x")) { e in
            XCTAssertEqual(e as? NotFound, NotFound.link("eth9", in: "seed-t1"))
        }
        XCTAssertEqual(b.requests.count, 4, "nothing added for a link that is not there")
    }

    /// A node that exists: its link edit, address and route go in plan order with routes last
    /// (their gateways need the addresses), each with its undo step. A node this run creates: the
    /// same requests, no undo (the namespace goes as a whole).
    func testConfigurationOrderAndUndoSteps() throws {
        let t = try example("seed")
        var live = converged(t)
        live.nodes["t1"]!.routes = []
        live.nodes["t1"]!.interfaces[0].addresses = []
        live.nodes["t1"]!.interfaces[0].mtu = 9000
        let plan = Planner.plan(t, live: live)
        let run = try Run(topo: t, plan: plan, live: live, options: Applier.Options())
        var b = NodeBatch(node: "t1", namespace: "seed-t1", index: ["veth2": 5])
        try run.addConfiguration(run.stepsOf["t1"] ?? [], to: &b)
        XCTAssertEqual(b.entries.map(\.line), ["~ link t1/veth2: mtu 9000 -> 1500", "+ address 192.168.1.200/24 on t1/veth2", "+ route t1: default via 192.168.1.1"])
        let route = t.node("t1")!.routes[0]
        XCTAssertEqual(b.entries.flatMap(\.undo), [.restoreLinkEdit(node: "t1", name: "veth2", old: Plan.LinkEdit(mtu: 9000)),
                                                   .removeAddress(node: "t1", interface: "veth2", address: try IPNetwork("192.168.1.200/24")),
                                                   .removeRoute(node: "t1", route: route)])

        let fresh = Planner.plan(t, live: .empty(for: t))
        let run2 = try Run(topo: t, plan: fresh, live: .empty(for: t), options: Applier.Options())
        var c = NodeBatch(node: "t1", namespace: "seed-t1", index: ["veth2": 3])
        try run2.addConfiguration(run2.stepsOf["t1"] ?? [], to: &c)
        XCTAssertEqual(c.entries.map(\.line), ["+ address 192.168.1.200/24 on t1/veth2", "+ route t1: default via 192.168.1.1"])
        XCTAssertEqual(c.entries.flatMap(\.undo), [])
        // A step naming a link the node lacks fails with its plan line.
        var d = NodeBatch(node: "t1", namespace: "seed-t1")
        XCTAssertThrowsError(try run2.addConfiguration(run2.stepsOf["t1"] ?? [], to: &d)) { e in
            XCTAssertEqual(e as? NotFound, NotFound.link("veth2", in: "seed-t1"))
        }
        XCTAssertEqual(run2.failedStep.value, "+ address 192.168.1.200/24 on t1/veth2")
    }
}
