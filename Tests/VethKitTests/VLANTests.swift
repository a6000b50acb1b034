import CLinuxUAPI
@testable import VethKit
import XCTest

/// VLAN: the request against iproute2's own (strace -xx of `ip link add …`, iproute2 6.1; the
/// only difference is the kind's NUL, which iproute2 leaves out: nla_len 8 instead of 9, see
/// RequestEncodingTests.testDummyRequest), validation before any syscall, decoding.
final class VLANTests: XCTestCase {
    func testRequestMatchesIproute2() throws {
        // ip link add v10 link p0 type vlan protocol 802.1Q id 10   (p0 = ifindex 3)
        let m = try LinkSpec.vlan(InterfaceName("v10"), parent: .index(3), id: 10).request()
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            54000000 1000 0106 01000000 00000000
            00000000 00000000 00000000 00000000
            0800 0500 03000000
            0800 0300 76313000
            2400 1280
              0900 0100 766c616e 00 000000
              1400 0280 \(straceHex(#"\x06\x00\x05\x00\x81\x00\x00\x00\x06\x00\x01\x00\x0a\x00\x00\x00"#))
            """))
        // ip link add v11 link p0 type vlan protocol 802.1ad id 11
        let ad = try LinkSpec.vlan(InterfaceName("v11"), parent: .index(3), id: 11, protocol: .dot1AD).request()
        XCTAssertEqual(Array(ad.encoded(sequence: 1).suffix(16)),
                       hex(straceHex(#"\x06\x00\x05\x00\x88\xa8\x00\x00\x06\x00\x01\x00\x0b\x00\x00\x00"#)))
    }

    func testFlagsChangeIsFlagsAndMask() throws {
        let c = LinkChange(kindChange: VLAN.Change(set: [.looseBinding], clear: [.reorderHeader]))
        XCTAssertEqual(c.request(index: 5).encoded(sequence: 1), hex("""
            40000000 1000 0100 01000000 00000000
            00000000 05000000 00000000 00000000
            2000 1280
              0900 0100 766c616e 00 000000
              1000 0280 0c00 0200 04000000 05000000
            """))
    }

    func testValidation() throws {
        let p = LinkReference.index(3)
        assertInvalid("VLAN id", "0", "1...4094") { try VLAN(parent: p, id: 0).validate() }
        assertInvalid("VLAN id", "4095") { try VLAN(parent: p, id: 4095).validate() }
        assertInvalid("VLAN protocol", "0x800") { try VLAN(parent: p, id: 1, protocol: .init(rawValue: 0x800)).validate() }
        assertInvalid("parent link", "#0") { try VLAN(parent: .index(0), id: 1).validate() }
        var none = VLAN(parent: p, id: 7)
        none.parent = nil
        assertInvalid("vlan", "parent") { try none.validate() }
        assertInvalid("VLAN flags", "both") { try VLAN.Change(set: [.gvrp], clear: [.gvrp]).validate() }
        XCTAssertNoThrow(try VLAN(parent: p, id: 1).validate())
        XCTAssertNoThrow(try VLAN(parent: .name(InterfaceName("eth0")), id: 4094, protocol: .dot1AD).validate())
        XCTAssertEqual(VLAN.TagProtocol(name: "802.1Q"), .dot1Q)
        XCTAssertEqual(VLAN.TagProtocol(name: "802.1AD"), .dot1AD)
        XCTAssertNil(VLAN.TagProtocol(name: "802.1x"))
        XCTAssertEqual("\(VLAN.TagProtocol.dot1AD)", "802.1ad")
    }

    func testUnresolvedParentIsNeverEncoded() throws {
        assertInvalid("parent link", "eth0") {
            _ = try LinkSpec.vlan(InterfaceName("v1"), parent: .name(InterfaceName("eth0")), id: 1).request()
        }
    }

    func testDecodesWhatItEncodes() throws {
        var spec = LinkSpec.vlan(try InterfaceName("v10"), parent: .index(3), id: 10, protocol: .dot1AD)
        spec.kind = VLAN(parent: .index(3), id: 10, protocol: .dot1AD, flags: [.reorderHeader, .mvrp])
        let l = try decodedLink(spec)
        XCTAssertEqual(l.kind, "vlan")
        XCTAssertEqual(l.linkIndex, 3)
        XCTAssertEqual(l.kindOptions, .vlan(VLAN(parent: .index(3), id: 10, protocol: .dot1AD, flags: [.reorderHeader, .mvrp])))
    }
}
