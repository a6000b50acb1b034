import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// ipvlans on the real kernel (this machine's kernel lacks ipvlan: these skip here and run under
/// scripts/vmtest): two l2 ipvlans on one parent in two namespaces ping each other; read back,
/// mode changed, deleted; a parent with a macvlan takes no ipvlan (EBUSY); a user's own ipvlan
/// of the same name untouched.
final class IPVLANKernelTests: KindKernelTestCase {
    /// A "host" namespace with the parent `p0` (a veth to `p1`, both up).
    func host() throws -> NetworkNamespace {
        let host = try newNamespace()
        try NetHandle(namespace: host).addLink(LinkSpec(LinkAttributes(name: InterfaceName("p0"), up: true),
                                                        kind: Veth(peer: LinkAttributes(name: InterfaceName("p1"), up: true))))
        return host
    }

    func testL2IpvlansInTwoNamespacesReachEachOther() throws {
        try requireLinkKind("ipvlan")
        try requirePing()
        let host = try host(), a = try newNamespace(), b = try newNamespace()
        let h = try NetHandle(namespace: host)
        for (name, ns, cidr) in [("ipv1", a, "10.83.0.1/24"), ("ipv2", b, "10.83.0.2/24")] {
            try h.addLink(LinkSpec(LinkAttributes(name: try InterfaceName(name), namespace: ns),
                                   kind: IPVLAN(parent: .name(try InterfaceName("p0")), mode: .l2)))
            try configure(ns, name, cidr)
        }
        let p0 = try h.link(named: InterfaceName("p0"))
        let back = try NetHandle(namespace: a).link(named: InterfaceName("ipv1"))
        XCTAssertEqual(back.kind, "ipvlan")
        XCTAssertEqual(back.kindOptions, .ipvlan(IPVLAN(parent: .index(p0.index), mode: .l2)))
        XCTAssertEqual(back.address, p0.address, "an ipvlan shares its parent's MAC address")
        XCTAssertEqual(try ipInfoData(a, "ipv1")["mode"] as? String, "l2")

        XCTAssertTrue(reaches(a, "10.83.0.2"), "l2 ipvlans of one parent")

        // The mode is the parent's port's: changed through one ipvlan, both have it.
        try NetHandle(namespace: a).setLink(.name(InterfaceName("ipv1")), LinkChange(kindChange: IPVLAN.Change(mode: .l3)))
        XCTAssertEqual(try ipInfoData(a, "ipv1")["mode"] as? String, "l3")
        XCTAssertEqual(try NetHandle(namespace: b).link(named: InterfaceName("ipv2")).kindOptions,
                       .ipvlan(IPVLAN(parent: .index(p0.index), mode: .l3)))

        try NetHandle(namespace: b).deleteLink(.name(InterfaceName("ipv2")))
        XCTAssertNil(try NetHandle(namespace: b).linkIfPresent(named: InterfaceName("ipv2")))
        XCTAssertTrue(try ipJSON("-n", n(b), "link", "show", "type", "ipvlan").isEmpty)
    }

    func testParentWithAMacvlanTakesNoIpvlan() throws {
        try requireLinkKind("ipvlan")
        try requireLinkKind("macvlan")
        let host = try host()
        let h = try NetHandle(namespace: host)
        try h.addLink(.macvlan(InterfaceName("mv0"), parent: .name(InterfaceName("p0"))))
        XCTAssertThrowsError(try h.addLink(.ipvlan(InterfaceName("ipv0"), parent: .name(InterfaceName("p0")), mode: .l2))) { e in
            XCTAssertEqual((e as? KernelError)?.errno, .resourceBusy, "\(e)")
            XCTAssertEqual(ErrorCategory.of(e), .busy)
        }
        XCTAssertNil(try h.linkIfPresent(named: InterfaceName("ipv0")))
    }

    func testUsersOwnIpvlanOfTheSameNameIsUntouched() throws {
        try requireLinkKind("ipvlan")
        let host = try host()
        try ip("-n", n(host), "link", "add", "link", "p0", "name", "uipv0", "type", "ipvlan", "mode", "l3s")
        assertExists { try NetHandle(namespace: host).addLink(.ipvlan(InterfaceName("uipv0"), parent: .name(InterfaceName("p0")), mode: .l2)) }
        XCTAssertEqual(try ipInfoData(host, "uipv0")["mode"] as? String, "l3s")
    }
}
