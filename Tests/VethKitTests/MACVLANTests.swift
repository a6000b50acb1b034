import CLinuxUAPI
@testable import VethKit
import XCTest

/// MACVLAN: requests against iproute2's (strace -xx, iproute2 6.1; kind without NUL there),
/// validation, decoding.
final class MACVLANTests: XCTestCase {
    func testRequestMatchesIproute2() throws {
        // ip link add mv0 link p0 type macvlan mode bridge   (p0 = ifindex 3)
        let m = try LinkSpec.macvlan(InterfaceName("mv0"), parent: .index(3), mode: .bridge).request()
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            4c000000 1000 0106 01000000 00000000
            00000000 00000000 00000000 00000000
            0800 0500 03000000
            0800 0300 6d763000
            1c00 1280
              0c00 0100 6d616376 6c616e00
              0c00 0280 \(straceHex(#"\x08\x00\x01\x00\x04\x00\x00\x00"#))
            """))
        // The other modes: private, vepa, passthru.
        for (mode, data) in [(MACVLAN.Mode.private, #"\x08\x00\x01\x00\x01\x00\x00\x00"#),
                             (.vepa, #"\x08\x00\x01\x00\x02\x00\x00\x00"#), (.passthru, #"\x08\x00\x01\x00\x08\x00\x00\x00"#)] {
            let r = try LinkSpec.macvlan(InterfaceName("mv1"), parent: .index(3), mode: mode).request()
            XCTAssertEqual(Array(r.encoded(sequence: 1).suffix(8)), hex(straceHex(data)), "\(mode)")
        }
    }

    func testModeChangeMatchesIproute2() throws {
        // ip link set mv0 type macvlan mode vepa   (mv0 = ifindex 4)
        let c = LinkChange(kindChange: MACVLAN.Change(mode: .vepa))
        XCTAssertEqual(c.request(index: 4).encoded(sequence: 1), hex("""
            3c000000 1000 0100 01000000 00000000
            00000000 04000000 00000000 00000000
            1c00 1280
              0c00 0100 6d616376 6c616e00
              0c00 0280 \(straceHex(#"\x08\x00\x01\x00\x02\x00\x00\x00"#))
            """))
    }

    func testValidationAndNames() throws {
        assertInvalid("macvlan mode", "3") { try MACVLAN(parent: .index(3), mode: .init(rawValue: 3)).validate() }
        assertInvalid("parent link", "#-1") { try MACVLAN(parent: .index(-1)).validate() }
        assertInvalid("macvlan mode") { try LinkChange(kindChange: MACVLAN.Change(mode: .init(rawValue: 0))).validate() }
        for name in ["private", "vepa", "bridge", "passthru", "source"] {
            XCTAssertEqual(MACVLAN.Mode(name: name)?.description, name)
        }
        XCTAssertNil(MACVLAN.Mode(name: "Bridge"))
    }

    func testDecodesWhatItEncodes() throws {
        let l = try decodedLink(.macvlan(InterfaceName("mv0"), parent: .index(3), mode: .private))
        XCTAssertEqual(l.kindOptions, .macvlan(MACVLAN(parent: .index(3), mode: .private)))
        XCTAssertEqual(l.linkIndex, 3)
    }
}
