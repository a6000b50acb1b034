import CLinuxUAPI
import Glibc
@testable import VethKit
import XCTest

/// Each request type against a message written out by hand from the UAPI layouts.
final class RequestEncodingTests: XCTestCase {
    func testVethPairRequest() throws {
        let m = try LinkSpec.veth(InterfaceName("veth1"), peer: InterfaceName("veth2")).request()
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            60000000 1000 0106 01000000 00000000
            00000000 00000000 00000000 00000000
            0a00 0300 76657468 3100 0000
            3400 1280
              0900 0100 76657468 00 000000
              2400 0280
                2000 0180
                  00000000 00000000 00000000 00000000
                  0a00 0300 76657468 3200 0000
            """))
    }

    func testBridgeRequestHasNoInfoData() throws {
        let m = try LinkSpec.bridge(InterfaceName("br0")).request()
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            38000000 1000 0106 01000000 00000000
            00000000 00000000 00000000 00000000
            0800 0300 62723000
            1000 1280 0b00 0100 62726964 676500 00
            """))
    }

    func testLinkChangeRequest() throws {
        let m = LinkChange(up: true, mtu: 1400, master: .set(.index(4))).request(index: 3)
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            30000000 1000 0100 01000000 00000000
            00 00 0000 03000000 01000000 01000000
            0800 0400 78050000
            0800 0a00 04000000
            """))
    }

    func testAddressRequestIPv4() throws {
        let m = Address.request(Int32(RTM_NEWADDR), try IPNetwork("192.168.1.200/24"), linkIndex: 2)
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            28000000 1400 0106 01000000 00000000
            02 18 00 00 02000000
            0800 0200 c0a801c8
            0800 0100 c0a801c8
            """))
    }

    func testAddressRequestIPv6NoDAD() throws {
        let m = Address.request(Int32(RTM_NEWADDR), try IPNetwork("fd00::1/64"), linkIndex: 2, noDAD: true)
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            34000000 1400 0106 01000000 00000000
            0a 40 00 00 02000000
            1400 0100 fd000000 00000000 00000000 00000001
            0800 0800 02000000
            """))
    }

    func testDefaultRouteViaGateway() throws {
        let r = Route.defaultRoute(via: try IPAddress(parsing: "192.168.1.1"))
        XCTAssertEqual(r.request(Int32(RTM_NEWROUTE)).encoded(sequence: 1), hex("""
            24000000 1800 0106 01000000 00000000
            02 00 00 00 fe 03 00 01 00000000
            0800 0500 c0a80101
            """))
    }

    func testRouteWithDeviceMetricAndLargeTable() throws {
        let r = Route(destination: try IPNetwork("10.9.0.0/16"), device: .index(5), metric: 7, table: RouteTable(rawValue: 1000))
        XCTAssertEqual(r.request(Int32(RTM_NEWROUTE)).encoded(sequence: 1), hex("""
            3c000000 1800 0106 01000000 00000000
            02 10 00 00 00 03 fd 01 00000000
            0800 0100 0a090000
            0800 0400 05000000
            0800 0600 07000000
            0800 0f00 e8030000
            """))
    }

    func testGroupDelete() throws {
        // What NetHandle.deleteLinks(group:) sends: RTM_DELLINK, index 0, IFLA_GROUP.
        let m = NetHandle.deleteGroupRequest(42)
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            28000000 1100 0100 01000000 00000000
            00000000 00000000 00000000 00000000
            0800 1b00 2a000000
            """))
    }

    func testDeleteByName() throws {
        // What NetHandle.deleteLink(named:) sends: RTM_DELLINK, index 0, IFLA_IFNAME.
        XCTAssertEqual(NetHandle.deleteNamedRequest(try InterfaceName("veth1")).encoded(sequence: 1), hex("""
            2c000000 1100 0100 01000000 00000000
            00000000 00000000 00000000 00000000
            0a00 0300 76657468 3100 0000
            """))
    }

    func testDummyRequest() throws {
        // docs/design.md: `Dummy` encodes correctly. The kernel here has no dummy driver, so this is
        // unit-tested only, against what `ip link add d0 type dummy` sends (seen with strace: 56
        // bytes, IFLA_LINKINFO holding only IFLA_INFO_KIND "dummy", no IFLA_INFO_DATA; iproute2
        // leaves out the kind's NUL, nla_len 9 instead of 10, which the kernel accepts either way).
        let m = try LinkSpec.dummy(InterfaceName("d0")).request()
        XCTAssertEqual(m.encoded(sequence: 1), hex("""
            38000000 1000 0106 01000000 00000000
            00000000 00000000 00000000 00000000
            0700 0300 64300000
            1000 1280 0a00 0100 64756d6d 79000000
            """))
        var up = LinkSpec.dummy(try InterfaceName("d1"))
        up.attributes.up = true
        up.attributes.mtu = 9000
        up.attributes.group = 7
        XCTAssertEqual(try up.request().encoded(sequence: 1), hex("""
            48000000 1000 0106 01000000 00000000
            00000000 00000000 01000000 01000000
            0700 0300 64310000
            0800 0400 28230000
            0800 1b00 07000000
            1000 1280 0a00 0100 64756d6d 79000000
            """))
    }

    func testChosenIndexGoesInTheDevicesAndThePeersHeader() throws {
        var attrs = LinkAttributes(name: try InterfaceName("a"), index: 300)
        attrs.up = true
        let m = try LinkSpec(attrs, kind: Veth(peer: LinkAttributes(name: try InterfaceName("b"), index: 301))).request()
        let b = m.encoded(sequence: 1)
        XCTAssertEqual(Array(b[20..<32]), [44, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])  // index 300, IFF_UP, change IFF_UP
        // The peer's ifinfomsg inside VETH_INFO_PEER carries index 301 and no IFF_UP.
        let peerHeader = hex("00000000 2d010000 00000000 00000000")
        XCTAssertNotNil(b.indices.first { Array(b[$0..<min($0 + 16, b.count)]) == peerHeader })
    }

    func testValidationHappensBeforeEncoding() throws {
        var spec = LinkSpec.dummy(try InterfaceName("d0"))
        spec.attributes.mtu = 10
        XCTAssertThrowsError(try spec.validate()) { e in
            XCTAssertTrue(e is InvalidInput, "\(type(of: e)): \(e)")
            XCTAssertTrue("\(e)".contains("MTU") && "\(e)".contains("10"), "\(e)")
        }
        let same = LinkSpec.veth(try InterfaceName("v0"), peer: try InterfaceName("v0"))
        XCTAssertThrowsError(try same.validate()) { e in
            XCTAssertTrue(e is InvalidInput, "\(type(of: e)): \(e)")
            XCTAssertTrue("\(e)".contains("peer name") && "\(e)".contains("same as the link"), "\(e)")
        }
        let wrongFamily = Route(destination: try IPNetwork("10.0.0.0/8"), gateway: IPAddress("fe80::1"))
        XCTAssertThrowsError(try wrongFamily.validate()) { e in
            XCTAssertTrue(e is InvalidInput, "\(type(of: e)): \(e)")
            XCTAssertTrue("\(e)".contains("fe80::1") && "\(e)".contains("family"), "\(e)")
        }
    }
}

func hex(_ text: String) -> [UInt8] {
    let digits = text.filter(\.isHexDigit)
    return stride(from: 0, to: digits.count, by: 2).map { i in
        let a = digits.index(digits.startIndex, offsetBy: i)
        return UInt8(digits[a...digits.index(after: a)], radix: 16)!
    }
}
