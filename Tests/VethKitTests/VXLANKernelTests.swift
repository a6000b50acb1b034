import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// A vxlan between two namespaces over an underlay veth, on the real kernel: unicast remote,
/// learning off, packets across the overlay; read back through VethKit and `ip -j -d`; changed
/// (learning, remote) on the live link; deleted; a user's own vxlan of the same name untouched.
final class VXLANKernelTests: KindKernelTestCase {
    func testUnicastVxlanOverAnUnderlayVethCarriesPackets() throws {
        try requireLinkKind("vxlan")
        try requirePing()
        let left = try newNamespace(), right = try newNamespace()
        try veth("u0", in: left, "u1", in: right)
        try configure(left, "u0", "192.168.90.1/24")
        try configure(right, "u1", "192.168.90.2/24")
        let ends = [(left, "u0", "192.168.90.1", "192.168.90.2", "10.82.0.1/24"),
                    (right, "u1", "192.168.90.2", "192.168.90.1", "10.82.0.2/24")]
        for (ns, underlay, local, remote, overlay) in ends {
            let vx = VXLAN(id: 42, remote: IPAddress(remote), local: IPAddress(local), parent: .name(try InterfaceName(underlay)), learning: false)
            try NetHandle(namespace: ns).addLink(.vxlan(try InterfaceName("vx0"), vx))
            try configure(ns, "vx0", overlay)
        }

        // Read back: the kind's options as created (parent by index), and iproute2's view.
        let u0 = try NetHandle(namespace: left).link(named: InterfaceName("u0"))
        let vx0 = try NetHandle(namespace: left).link(named: InterfaceName("vx0"))
        XCTAssertEqual(vx0.kindOptions, .vxlan(VXLAN(id: 42, remote: IPAddress("192.168.90.2"), local: IPAddress("192.168.90.1"),
                                                     port: 4789, parent: .index(u0.index), learning: false)))
        let data = try ipInfoData(left, "vx0")
        XCTAssertEqual(data["id"] as? Int, 42)
        XCTAssertEqual(data["remote"] as? String, "192.168.90.2")
        XCTAssertEqual(data["local"] as? String, "192.168.90.1")
        XCTAssertEqual(data["link"] as? String, "u0")
        XCTAssertEqual(data["port"] as? Int, 4789)
        XCTAssertEqual(data["learning"] as? Bool, false)

        XCTAssertTrue(reaches(left, "10.82.0.2"), "across the overlay")

        // Changed on the live link: learning on; a remote nobody answers at breaks the overlay,
        // the right one mends it.
        let h = try NetHandle(namespace: left)
        try h.setLink(.name(InterfaceName("vx0")), LinkChange(kindChange: VXLAN.Change(learning: true)))
        XCTAssertEqual(try ipInfoData(left, "vx0")["learning"] as? Bool, true)
        try h.setLink(.name(InterfaceName("vx0")), LinkChange(kindChange: VXLAN.Change(remote: IPAddress("192.168.90.9"))))
        guard case .vxlan(let changed)? = try h.link(named: InterfaceName("vx0")).kindOptions else { return XCTFail("not a vxlan any more") }
        XCTAssertEqual(changed.remote, IPAddress("192.168.90.9"))
        XCTAssertEqual(changed.learning, true)
        XCTAssertEqual(try ipInfoData(left, "vx0")["remote"] as? String, "192.168.90.9")
        try ip("-n", n(left), "neigh", "flush", "dev", "vx0")
        XCTAssertTrue(unreachable(left, "10.82.0.2"), "the overlay still worked with the remote changed to an address nobody has")
        try h.setLink(.name(InterfaceName("vx0")), LinkChange(kindChange: VXLAN.Change(remote: IPAddress("192.168.90.2"))))
        XCTAssertTrue(reaches(left, "10.82.0.2"), "across the overlay again")

        // What the kernel cannot change is refused by it, and the link stays as it was.
        XCTAssertThrowsError(try h.setLink(.name(InterfaceName("vx0")), LinkChange(kindChange: VXLAN.Change(remote: IPAddress("fd00::2"))))) { e in
            XCTAssertEqual((e as? KernelError)?.errno, .notSupported, "\(e)")
        }

        try h.deleteLink(.name(InterfaceName("vx0")))
        XCTAssertNil(try h.linkIfPresent(named: InterfaceName("vx0")))
        XCTAssertTrue(try ipJSON("-n", n(left), "link", "show", "type", "vxlan").isEmpty)
    }

    func testMulticastGroupVxlanIsReadBackAsAGroup() throws {
        try requireLinkKind("vxlan")
        let ns = try newNamespace(), other = try newNamespace()
        try veth("u0", in: ns, "u1", in: other)
        let vx = VXLAN(id: 4242, group: IPAddress("239.1.1.1"), port: 8472, parent: .name(try InterfaceName("u0")))
        let h = try NetHandle(namespace: ns)
        try h.addLink(.vxlan(try InterfaceName("vxg0"), vx))
        guard case .vxlan(let back)? = try h.link(named: InterfaceName("vxg0")).kindOptions else { return XCTFail("no vxlan options") }
        XCTAssertEqual(back.group, IPAddress("239.1.1.1"))
        XCTAssertNil(back.remote)
        XCTAssertEqual(back.port, 8472)
        XCTAssertTrue(back.learning)
        let data = try ipInfoData(ns, "vxg0")
        XCTAssertEqual(data["group"] as? String, "239.1.1.1")
        XCTAssertEqual(data["id"] as? Int, 4242)
        XCTAssertEqual(data["port"] as? Int, 8472)
    }

    func testUsersOwnVxlanOfTheSameNameIsUntouched() throws {
        try requireLinkKind("vxlan")
        let ns = try newNamespace()
        try ip("-n", n(ns), "link", "add", "vxu0", "type", "vxlan", "id", "7", "remote", "10.9.9.9", "dstport", "4789")
        assertExists {
            try NetHandle(namespace: ns).addLink(.vxlan(InterfaceName("vxu0"), VXLAN(id: 8, remote: IPAddress("10.1.1.1"))))
        }
        let data = try ipInfoData(ns, "vxu0")
        XCTAssertEqual(data["id"] as? Int, 7)
        XCTAssertEqual(data["remote"] as? String, "10.9.9.9")
    }
}
