import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// A dummy through VethKit's typed read-back (KernelFeatureTests covers the basic create /
/// address / ping / delete): its kind is decoded as `.dummy`, an address on it answers in its
/// namespace, and a user's own dummy of the same name is untouched. Skips on this machine's
/// kernel (no dummy driver); runs under scripts/vmtest.
final class DummyKernelTests: KindKernelTestCase {
    func testDummyIsReadBackTypedAndAnswersForItsAddress() throws {
        try requireLinkKind("dummy")
        try requirePing()
        let ns = try newNamespace()
        let h = try NetHandle(namespace: ns)
        try h.bringUp(InterfaceName("lo"))
        try h.addLink(.dummy(InterfaceName("dm1")))
        try configure(ns, "dm1", "10.84.0.1/32")
        XCTAssertEqual(try h.link(named: InterfaceName("dm1")).kindOptions, .dummy)
        XCTAssertEqual(try ipLinkInfo(ns, "dm1")["info_kind"] as? String, "dummy")
        XCTAssertTrue(reaches(ns, "10.84.0.1"))
        try h.deleteLink(.name(InterfaceName("dm1")))
        XCTAssertNil(try h.linkIfPresent(named: InterfaceName("dm1")))
    }

    func testUsersOwnDummyOfTheSameNameIsUntouched() throws {
        try requireLinkKind("dummy")
        let ns = try newNamespace()
        try ip("-n", n(ns), "link", "add", "udm0", "mtu", "1234", "type", "dummy")
        var spec = LinkSpec.dummy(try InterfaceName("udm0"))
        spec.attributes.mtu = 9000
        assertExists { try NetHandle(namespace: ns).addLink(spec) }
        XCTAssertEqual(try ipJSON("-n", n(ns), "link", "show", "udm0").first?["mtu"] as? Int, 1234)
    }
}
