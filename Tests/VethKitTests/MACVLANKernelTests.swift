import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// macvlans on the real kernel: created straight into two namespaces on one parent, read back
/// through VethKit and `ip -j -d`, pinging each other in bridge mode and not in private mode
/// (changed on the live links), deleted; a user's own macvlan of the same name stays as it was.
final class MACVLANKernelTests: KindKernelTestCase {
    /// A "host" namespace with the parent `p0` (a veth to `p1`, both up: the parent needs carrier),
    /// and two namespaces for the macvlans.
    func parentAndTwoNamespaces() throws -> (NetworkNamespace, NetworkNamespace, NetworkNamespace) {
        let host = try newNamespace(), a = try newNamespace(), b = try newNamespace()
        let h = try NetHandle(namespace: host)
        try h.addLink(LinkSpec(LinkAttributes(name: InterfaceName("p0"), up: true), kind: Veth(peer: LinkAttributes(name: InterfaceName("p1"), up: true))))
        return (host, a, b)
    }

    func testBridgeModeMacvlansInTwoNamespacesReachEachOtherAndPrivateModeDoesNot() throws {
        try requireLinkKind("macvlan")
        try requirePing()
        let (host, a, b) = try parentAndTwoNamespaces()
        let h = try NetHandle(namespace: host)
        // Each straight into its namespace, the parent named by name and resolved in the host
        // namespace (where the kernel looks IFLA_LINK up): mv1 through a batch, mv2 alone.
        func spec(_ name: String, _ ns: NetworkNamespace) throws -> LinkSpec {
            LinkSpec(LinkAttributes(name: try InterfaceName(name), namespace: ns), kind: MACVLAN(parent: .name(try InterfaceName("p0")), mode: .bridge))
        }
        var batch = NetworkBatch()
        batch.addLink(try spec("mv1", a))
        for r in try h.perform(batch) { try r.get() }
        try h.addLink(try spec("mv2", b))
        try configure(a, "mv1", "10.81.0.1/24")
        try configure(b, "mv2", "10.81.0.2/24")

        // Read back: VethKit and iproute2 agree on the kind, its mode and the parent.
        let p0 = try h.link(named: InterfaceName("p0"))
        let mv1 = try NetHandle(namespace: a).link(named: InterfaceName("mv1"))
        XCTAssertEqual(mv1.kind, "macvlan")
        XCTAssertEqual(mv1.kindOptions, .macvlan(MACVLAN(parent: .index(p0.index), mode: .bridge)))
        XCTAssertNotNil(mv1.linkNetnsID, "the parent is in another namespace")
        XCTAssertEqual(try ipInfoData(a, "mv1")["mode"] as? String, "bridge")
        XCTAssertEqual(try ipLinkInfo(a, "mv1")["info_kind"] as? String, "macvlan")

        XCTAssertTrue(reaches(a, "10.81.0.2"), "bridge mode: mv1 reaches mv2 on the same parent")

        // Changed on the live links: private mode forbids traffic between macvlans of one parent.
        for (ns, name) in [(a, "mv1"), (b, "mv2")] {
            try NetHandle(namespace: ns).setLink(.name(try InterfaceName(name)), LinkChange(kindChange: MACVLAN.Change(mode: .private)))
        }
        XCTAssertEqual(try ipInfoData(a, "mv1")["mode"] as? String, "private")
        XCTAssertEqual(try NetHandle(namespace: b).link(named: InterfaceName("mv2")).kindOptions,
                       .macvlan(MACVLAN(parent: .index(p0.index), mode: .private)))
        XCTAssertTrue(unreachable(a, "10.81.0.2"), "private mode: mv1 must not reach mv2")

        // Deleted: gone for VethKit and for iproute2.
        try NetHandle(namespace: a).deleteLink(.name(InterfaceName("mv1")))
        XCTAssertNil(try NetHandle(namespace: a).linkIfPresent(named: InterfaceName("mv1")))
        XCTAssertTrue(try ipJSON("-n", n(a), "link", "show", "type", "macvlan").isEmpty)
    }

    func testUsersOwnMacvlanOfTheSameNameIsUntouched() throws {
        try requireLinkKind("macvlan")
        let (host, _, _) = try parentAndTwoNamespaces()
        try ip("-n", n(host), "link", "add", "link", "p0", "name", "umv0", "type", "macvlan", "mode", "vepa")
        let before = try ipJSON("-n", n(host), "-d", "link", "show", "umv0")
        assertExists { try NetHandle(namespace: host).addLink(.macvlan(InterfaceName("umv0"), parent: .name(InterfaceName("p0")), mode: .bridge)) }
        let after = try ipJSON("-n", n(host), "-d", "link", "show", "umv0")
        XCTAssertEqual(((after.first?["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any])?["mode"] as? String, "vepa")
        XCTAssertEqual(after.first?["ifindex"] as? Int, before.first?["ifindex"] as? Int)
        XCTAssertEqual(after.first?["address"] as? String, before.first?["address"] as? String)
    }

    func testMissingParentIsNotFoundAndNothingIsCreated() throws {
        try requireKernel()
        let host = try newNamespace()
        let h = try NetHandle(namespace: host)
        var batch = NetworkBatch()
        batch.addLink(.bridge(try InterfaceName("br0")))
        batch.addLink(.macvlan(try InterfaceName("mv9"), parent: .name(try InterfaceName("nosuch0"))))
        XCTAssertThrowsError(try h.perform(batch)) { e in
            XCTAssertEqual((e as? NotFound)?.kind, .link, "\(e)")
            XCTAssertTrue("\(e)".contains("nosuch0"), "\(e)")
        }
        XCTAssertThrowsError(try h.addLink(.vlan(InterfaceName("v9"), parent: .name(InterfaceName("nosuch0")), id: 9))) { e in
            XCTAssertEqual((e as? NotFound)?.kind, .link, "\(e)")
        }
        XCTAssertEqual(try h.linksWithoutStatistics().map(\.name), ["lo"], "a refused batch created something")
    }

    func testParentCreatedInTheSameBatchIsNamedByItsChosenIndex() throws {
        try requireLinkKind("macvlan")
        let host = try newNamespace()
        let h = try NetHandle(namespace: host)
        var batch = NetworkBatch()
        batch.addLink(LinkSpec(LinkAttributes(name: try InterfaceName("p7"), up: true, index: 700),
                               kind: Veth(peer: LinkAttributes(name: try InterfaceName("p8"), up: true))))
        batch.addLink(.macvlan(try InterfaceName("mv7"), parent: .name(try InterfaceName("p7")), mode: .vepa))
        for r in try h.perform(batch) { try r.get() }
        XCTAssertEqual(try h.link(named: InterfaceName("mv7")).kindOptions, .macvlan(MACVLAN(parent: .index(700), mode: .vepa)))
        XCTAssertEqual(try ipJSON("-n", n(host), "link", "show", "mv7").first?["link"] as? String, "p7")
    }
}
