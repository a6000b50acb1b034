import CLinuxUAPI
@testable import VethKit
import XCTest

/// IPVLAN: requests against iproute2's (strace -xx, iproute2 6.1), validation, decoding.
final class IPVLANTests: XCTestCase {
    func testRequestMatchesIproute2() throws {
        // ip link add ipv0 link p0 type ipvlan mode l2   (p0 = ifindex 3)
        let m = try LinkSpec.ipvlan(InterfaceName("ipv0"), parent: .index(3), mode: .l2).request()
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            58000000 1000 0106 01000000 00000000
            00000000 00000000 00000000 00000000
            0800 0500 03000000
            0900 0300 69707630 00000000
            2400 1280
              0b00 0100 6970766c 616e00 00
              1400 0280 \(straceHex(#"\x06\x00\x01\x00\x00\x00\x00\x00\x06\x00\x02\x00\x00\x00\x00\x00"#))
            """))
        // ip link add ipv1 link p0 type ipvlan mode l3s
        let l3s = try LinkSpec.ipvlan(InterfaceName("ipv1"), parent: .index(3), mode: .l3s).request()
        XCTAssertEqual(Array(l3s.encoded(sequence: 1).suffix(16)),
                       hex(straceHex(#"\x06\x00\x01\x00\x02\x00\x00\x00\x06\x00\x02\x00\x00\x00\x00\x00"#)))
    }

    func testValidationAndNames() throws {
        assertInvalid("ipvlan mode", "3") { try IPVLAN(parent: .index(3), mode: .init(rawValue: 3)).validate() }
        assertInvalid("ipvlan flags", "3") { try IPVLAN(parent: .index(3), isolation: .init(rawValue: 3)).validate() }
        assertInvalid("parent link", "#0") { try IPVLAN(parent: .index(0)).validate() }
        for name in ["l2", "l3", "l3s"] { XCTAssertEqual(IPVLAN.Mode(name: name)?.description, name) }
        XCTAssertNil(IPVLAN.Mode(name: "l4"))
    }

    func testDecodesWhatItEncodes() throws {
        var spec = LinkSpec.ipvlan(try InterfaceName("ipv0"), parent: .index(3), mode: .l3)
        spec.kind = IPVLAN(parent: .index(3), mode: .l3, isolation: .private)
        XCTAssertEqual(try decodedLink(spec).kindOptions, .ipvlan(IPVLAN(parent: .index(3), mode: .l3, isolation: .private)))
        let change = LinkChange(kindChange: IPVLAN.Change(mode: .l2)).request(index: 9).encoded(sequence: 1)
        XCTAssertEqual(Array(change.suffix(8)), hex("0600 0100 0000 0000"))
    }
}
