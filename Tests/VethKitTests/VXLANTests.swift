import CLinuxUAPI
@testable import VethKit
import XCTest

/// VXLAN: requests against iproute2's (strace -xx, iproute2 6.1; kind without NUL there),
/// validation (VNI range, remote xor group, multicast group, one family), decoding.
final class VXLANTests: XCTestCase {
    let p0 = LinkReference.index(3)

    func testUnicastRequestMatchesIproute2() throws {
        // ip link add vx0 type vxlan id 42 remote 10.0.0.2 local 10.0.0.1 dev p0 dstport 4789 nolearning
        let vx = VXLAN(id: 42, remote: IPAddress("10.0.0.2"), local: IPAddress("10.0.0.1"), port: 4789, parent: p0, learning: false)
        let m = try LinkSpec.vxlan(InterfaceName("vx0"), vx).request()
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            6c000000 1000 0106 01000000 00000000
            00000000 00000000 00000000 00000000
            0800 0300 76783000
            4400 1280
              0a00 0100 76786c61 6e00 0000
              3400 0280 \(straceHex(#"\x08\x00\x03\x00\x03\x00\x00\x00\x08\x00\x01\x00\x2a\x00\x00\x00\x08\x00\x04\x00\x0a\x00\x00\x01\x08\x00\x02\x00\x0a\x00\x00\x02\x05\x00\x07\x00\x00\x00\x00\x00\x06\x00\x0f\x00\x12\xb5\x00\x00"#))
            """))
    }

    func testGroupAndIPv6RequestsMatchIproute2() throws {
        func data(_ vx: VXLAN) throws -> [UInt8] {
            let b = try LinkSpec.vxlan(InterfaceName("vx1"), vx).request().encoded(sequence: 1)
            let start = 16 + 16 + 8 + 4 + 12 + 4  // after the headers, IFLA_IFNAME, LINKINFO's header, KIND, DATA's header
            return Array(b[start...])
        }
        // ip link add vx1 type vxlan id 43 group 239.1.1.1 dev p0 dstport 4789
        XCTAssertEqual(try data(VXLAN(id: 43, group: IPAddress("239.1.1.1"), parent: p0)), hex(straceHex(
            #"\x08\x00\x03\x00\x03\x00\x00\x00\x08\x00\x01\x00\x2b\x00\x00\x00\x08\x00\x02\x00\xef\x01\x01\x01\x05\x00\x07\x00\x01\x00\x00\x00\x06\x00\x0f\x00\x12\xb5\x00\x00"#)))
        // ip link add vx2 type vxlan id 44 remote fd00::2 dstport 8472 learning
        XCTAssertEqual(try data(VXLAN(id: 44, remote: IPAddress("fd00::2"), port: 8472)), hex(straceHex(
            #"\x08\x00\x01\x00\x2c\x00\x00\x00\x14\x00\x10\x00\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x05\x00\x07\x00\x01\x00\x00\x00\x06\x00\x0f\x00\x21\x18\x00\x00"#)))
        // ip link add vx3 type vxlan id 45 remote fd00::2 local fd00::1 dstport 4789 nolearning
        XCTAssertEqual(try data(VXLAN(id: 45, remote: IPAddress("fd00::2"), local: IPAddress("fd00::1"), learning: false)), hex(straceHex(
            #"\x08\x00\x01\x00\x2d\x00\x00\x00\x14\x00\x11\x00\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x14\x00\x10\x00\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x05\x00\x07\x00\x00\x00\x00\x00\x06\x00\x0f\x00\x12\xb5\x00\x00"#)))
    }

    func testChangesMatchIproute2() throws {
        func data(_ c: VXLAN.Change) -> [UInt8] {
            let b = LinkChange(kindChange: c).request(index: 5).encoded(sequence: 1)
            let start = 16 + 16 + 4 + 12 + 4
            return Array(b[start...])
        }
        // ip link set vx4 type vxlan nolearning / remote 10.0.0.3 / local 10.0.0.1
        XCTAssertEqual(data(VXLAN.Change(learning: false)), hex(straceHex(#"\x05\x00\x07\x00\x00\x00\x00\x00"#)))
        XCTAssertEqual(data(VXLAN.Change(remote: IPAddress("10.0.0.3"))), hex(straceHex(#"\x08\x00\x02\x00\x0a\x00\x00\x03"#)))
        XCTAssertEqual(data(VXLAN.Change(local: IPAddress("10.0.0.1"))), hex(straceHex(#"\x08\x00\x04\x00\x0a\x00\x00\x01"#)))
    }

    func testValidation() throws {
        assertInvalid("VXLAN id", "16777216", "24 bits") { try VXLAN(id: 1 << 24, remote: IPAddress("10.0.0.2")).validate() }
        XCTAssertNoThrow(try VXLAN(id: VXLAN.maxID, remote: IPAddress("10.0.0.2")).validate())
        assertInvalid("VXLAN remote", "10.0.0.2", "not both") {
            try VXLAN(id: 1, remote: IPAddress("10.0.0.2"), group: IPAddress("239.1.1.1")).validate()
        }
        assertInvalid("VXLAN group", "10.0.0.9", "multicast") { try VXLAN(id: 1, group: IPAddress("10.0.0.9")).validate() }
        assertInvalid("VXLAN group", "fd00::9", "multicast") { try VXLAN(id: 1, group: IPAddress("fd00::9")).validate() }
        assertInvalid("VXLAN remote", "239.1.1.1", "unicast") { try VXLAN(id: 1, remote: IPAddress("239.1.1.1")).validate() }
        assertInvalid("VXLAN local", "fd00::1", "family", "10.0.0.2") {
            try VXLAN(id: 1, remote: IPAddress("10.0.0.2"), local: IPAddress("fd00::1")).validate()
        }
        assertInvalid("VXLAN local", "224.0.0.1", "unicast") { try VXLAN(id: 1, local: IPAddress("224.0.0.1")).validate() }
        assertInvalid("VXLAN port", "0") { try VXLAN(id: 1, remote: IPAddress("10.0.0.2"), port: 0).validate() }
        assertInvalid("parent link", "#0") { try VXLAN(id: 1, parent: .index(0)).validate() }
        assertInvalid("VXLAN change", "nothing") { try VXLAN.Change().validate() }
        assertInvalid("VXLAN group", "10.1.1.1") { try LinkChange(kindChange: VXLAN.Change(group: IPAddress("10.1.1.1"))).validate() }
        XCTAssertNoThrow(try VXLAN(id: 0, group: IPAddress("ff05::1"), local: IPAddress("fd00::1")).validate())
        XCTAssertTrue(IPAddress("239.255.255.255")!.isMulticast)
        XCTAssertFalse(IPAddress("240.0.0.1")!.isMulticast)
        XCTAssertFalse(IPAddress("223.255.255.255")!.isMulticast)
    }

    func testDecodesWhatItEncodes() throws {
        let unicast = VXLAN(id: 42, remote: IPAddress("10.0.0.2"), local: IPAddress("10.0.0.1"), port: 4789, parent: p0, learning: false)
        let l = try decodedLink(.vxlan(InterfaceName("vx0"), unicast))
        XCTAssertEqual(l.kindOptions, .vxlan(unicast))
        XCTAssertNil(l.linkIndex, "a vxlan's underlay is in its own data, not IFLA_LINK")
        let group = VXLAN(id: 7, group: IPAddress("ff05::1"), local: IPAddress("fd00::1"), port: 8472)
        XCTAssertEqual(try decodedLink(.vxlan(InterfaceName("vx1"), group)).kindOptions, .vxlan(group))
    }
}
