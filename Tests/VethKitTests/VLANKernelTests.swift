import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// vlans on the real kernel (this machine's kernel lacks 8021q: these skip here and run under
/// scripts/vmtest): three namespaces on one plain bridge (it forwards tagged frames as they
/// are); two on vlan 10 reach each other, the third on vlan 20 with an address of the same
/// subnet reaches neither. Read back through VethKit and `ip -j -d`, flags changed, deleted; a
/// user's own vlan of the same name untouched.
final class VLANKernelTests: KindKernelTestCase {
    /// A switch namespace with a bridge and a port to each of `count` namespaces (their end: e0).
    func switched(_ count: Int) throws -> [NetworkNamespace] {
        let sw = try newNamespace()
        let h = try NetHandle(namespace: sw)
        var br = LinkSpec.bridge(try InterfaceName("br0"))
        br.attributes.up = true
        try h.addLink(br)
        var out: [NetworkNamespace] = []
        for i in 0..<count {
            let ns = try newNamespace()
            try veth("s\(i)", in: sw, "e0", in: ns)
            try h.setLink(.name(try InterfaceName("s\(i)")), LinkChange(master: .set(.name(try InterfaceName("br0")))))
            out.append(ns)
        }
        _ = try h.link(named: InterfaceName("br0"))  // the link watcher catches up (docs/design.md)
        return out
    }

    func testTwoNamespacesOnVlan10ReachEachOtherAndVlan20DoesNot() throws {
        try requireLinkKind("vlan")
        try requirePing()
        let hosts = try switched(3)
        let plan: [(UInt16, String)] = [(10, "10.80.0.1/24"), (10, "10.80.0.2/24"), (20, "10.80.0.3/24")]
        for (ns, (id, cidr)) in zip(hosts, plan) {
            let name = try InterfaceName("e0.\(id)")
            try NetHandle(namespace: ns).addLink(.vlan(name, parent: .name(try InterfaceName("e0")), id: id))
            try configure(ns, name.rawValue, cidr)
        }
        let h0 = try NetHandle(namespace: hosts[0])
        let e0 = try h0.link(named: InterfaceName("e0"))
        let v = try h0.link(named: InterfaceName("e0.10"))
        XCTAssertEqual(v.kind, "vlan")
        XCTAssertEqual(v.linkIndex, e0.index)
        guard case .vlan(let back)? = v.kindOptions else { return XCTFail("no vlan options: \(String(describing: v.kindOptions))") }
        XCTAssertEqual(back.parent, .index(e0.index))
        XCTAssertEqual(back.id, 10)
        XCTAssertEqual(back.protocol, .dot1Q)
        XCTAssertEqual(back.flags, [.reorderHeader], "the kernel's default flags")
        let data = try ipInfoData(hosts[0], "e0.10")
        XCTAssertEqual(data["id"] as? Int, 10)
        XCTAssertEqual(data["protocol"] as? String, "802.1Q")
        XCTAssertEqual(data["flags"] as? [String], ["REORDER_HDR"])

        XCTAssertTrue(reaches(hosts[0], "10.80.0.2"), "vlan 10 to vlan 10")
        XCTAssertTrue(unreachable(hosts[2], "10.80.0.1"), "vlan 20 reached vlan 10")
        XCTAssertTrue(unreachable(hosts[2], "10.80.0.2"), "vlan 20 reached vlan 10")

        // Changed on the live link: the flags (what vlan_changelink applies).
        try h0.setLink(.name(InterfaceName("e0.10")), LinkChange(kindChange: VLAN.Change(set: [.looseBinding])))
        XCTAssertEqual(try ipInfoData(hosts[0], "e0.10")["flags"] as? [String], ["REORDER_HDR", "LOOSE_BINDING"])
        guard case .vlan(let changed)? = try h0.link(named: InterfaceName("e0.10")).kindOptions else { return XCTFail("not a vlan") }
        XCTAssertEqual(changed.flags, [.reorderHeader, .looseBinding])
        XCTAssertTrue(reaches(hosts[0], "10.80.0.2"), "vlan 10 after the flags change")

        try h0.deleteLink(.name(InterfaceName("e0.10")))
        XCTAssertNil(try h0.linkIfPresent(named: InterfaceName("e0.10")))
        XCTAssertTrue(try ipJSON("-n", n(hosts[0]), "link", "show", "type", "vlan").isEmpty)
        XCTAssertTrue(unreachable(hosts[1], "10.80.0.1"), "the deleted vlan still answered")
    }

    func testQinQProtocolIsReadBack() throws {
        try requireLinkKind("vlan")
        let ns = try newNamespace(), other = try newNamespace()
        try veth("e0", in: ns, "e1", in: other)
        let h = try NetHandle(namespace: ns)
        try h.addLink(.vlan(InterfaceName("svl0"), parent: .name(InterfaceName("e0")), id: 100, protocol: .dot1AD))
        guard case .vlan(let v)? = try h.link(named: InterfaceName("svl0")).kindOptions else { return XCTFail("no vlan options") }
        XCTAssertEqual(v.protocol, .dot1AD)
        XCTAssertEqual(v.id, 100)
        XCTAssertEqual(try ipInfoData(ns, "svl0")["protocol"] as? String, "802.1ad")
    }

    func testUsersOwnVlanOfTheSameNameIsUntouched() throws {
        try requireLinkKind("vlan")
        let ns = try newNamespace(), other = try newNamespace()
        try veth("e0", in: ns, "e1", in: other)
        try ip("-n", n(ns), "link", "add", "link", "e0", "name", "uv0", "type", "vlan", "id", "30")
        assertExists { try NetHandle(namespace: ns).addLink(.vlan(InterfaceName("uv0"), parent: .name(InterfaceName("e0")), id: 10)) }
        XCTAssertEqual(try ipInfoData(ns, "uv0")["id"] as? Int, 30)
    }
}
