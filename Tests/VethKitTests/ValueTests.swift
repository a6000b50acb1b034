import VethKit
import XCTest

final class ValueTests: XCTestCase {
    func testInterfaceNames() throws {
        XCTAssertNoThrow(try InterfaceName("veth1"))
        XCTAssertNoThrow(try InterfaceName("abcdefghijklmno"))  // 15 bytes
        for (bad, why) in [("", "empty"), ("abcdefghijklmnop", "longer than 15 bytes"), ("a/b", "'/'"),
                           ("a b", "whitespace"), ("a\0b", "NUL"), (".", "reserved"), ("..", "reserved"), ("a:b", "':'")] {
            XCTAssertThrowsError(try InterfaceName(bad), bad) { e in
                let text = "\(e)"
                XCTAssertTrue(text.contains(why), text)
                XCTAssertTrue(text.hasPrefix("invalid interface name"), text)
            }
        }
        // 15 bytes counted in UTF-8, not characters.
        XCTAssertThrowsError(try InterfaceName("ééééééééé")) { XCTAssertTrue("\($0)".contains("longer than 15 bytes"), "\($0)") }
    }

    func testNamespaceNames() {
        XCTAssertNoThrow(try NamespaceName("t1"))
        XCTAssertNoThrow(try NamespaceName(String(repeating: "a", count: 255)))
        for bad in ["", ".", "..", "a/b", "../x", "a\0", String(repeating: "a", count: 256)] {
            XCTAssertThrowsError(try NamespaceName(bad), bad) { e in
                XCTAssertTrue("\(e)".hasPrefix("invalid namespace name"), "\(bad.debugDescription): \(e)")
            }
        }
    }

    func testIPAddresses() throws {
        XCTAssertEqual(IPAddress("192.168.1.200"), .v4(0xc0a8_01c8))
        XCTAssertEqual(IPAddress("192.168.1.200")?.description, "192.168.1.200")
        XCTAssertEqual(IPAddress("fd00::1")?.description, "fd00::1")
        XCTAssertEqual(IPAddress("fd00::1")?.bytes.count, 16)
        XCTAssertNil(IPAddress("192.168.1.256"))
        XCTAssertNil(IPAddress("fd00:::1"))
        XCTAssertNil(IPAddress("host"))
        XCTAssertEqual(IPAddress("10.0.0.255")?.advanced(by: 1), IPAddress("10.0.1.0"))
        XCTAssertEqual(IPAddress("::ffff:ffff:ffff:ffff")?.advanced(by: 1), IPAddress("0:0:0:1::"))
        XCTAssertNil(IPAddress("255.255.255.255")?.advanced(by: 1))
        XCTAssertTrue(IPAddress("fe80::1")!.isIPv6LinkLocal)
        XCTAssertTrue(IPAddress("10.0.0.1")! < IPAddress("10.0.0.2")!)
    }

    func testCIDR() throws {
        let n = try IPNetwork("192.168.1.200/24")
        XCTAssertEqual(n.address, IPAddress("192.168.1.200"))
        XCTAssertEqual(n.network, IPAddress("192.168.1.0"))
        XCTAssertEqual(n.lastAddress, IPAddress("192.168.1.255"))
        XCTAssertTrue(n.contains(IPAddress("192.168.1.1")!))
        XCTAssertFalse(n.contains(IPAddress("192.168.2.1")!))
        XCTAssertFalse(n.contains(IPAddress("fd00::1")!))
        let v6 = try IPNetwork("fd00:1::5/64")
        XCTAssertEqual(v6.network.description, "fd00:1::")
        XCTAssertEqual(v6.lastAddress.description, "fd00:1::ffff:ffff:ffff:ffff")
        XCTAssertEqual(try IPNetwork("10.1.2.3", allowBareAddress: true).prefixLength, 32)
        for bad in ["192.168.1.0", "192.168.1.0/33", "192.168.1.0/-1", "192.168.1/24", "fd00::/129", "x/8", "10.0.0.0/2a", "/24"] {
            XCTAssertThrowsError(try IPNetwork(bad), bad) { e in
                XCTAssertTrue("\(e)".contains("invalid CIDR \"\(bad)\""), "\(e)")
            }
        }
    }

    func testMACAddresses() throws {
        XCTAssertEqual(try MACAddress("02:00:00:00:00:0A").description, "02:00:00:00:00:0a")
        for (bad, why) in [("02:00:00:00:00", "six hex bytes"), ("02:00:00:00:00:00:01", "six hex bytes"),
                           ("zz:00:00:00:00:00", "six hex bytes"), ("01:00:5e:00:00:01", "multicast"),
                           ("0200.0000.0001", "six hex bytes"), ("002:00:00:00:00:00", "six hex bytes")] {
            XCTAssertThrowsError(try MACAddress(bad), bad) { e in
                let i = e as? InvalidInput
                XCTAssertEqual(i?.what, "MAC address", "\(bad): \(type(of: e)) \(e)")
                XCTAssertEqual(i?.value, bad)
                XCTAssertTrue("\(e)".hasPrefix("invalid MAC address \"\(bad)\""), "\(e)")
                XCTAssertTrue("\(e)".contains(why), "\(bad): \(e) does not say \(why)")
            }
        }
        XCTAssertEqual(try MACAddress("02-00-00-00-00-0b").description, "02:00:00:00:00:0b")
        for _ in 0..<64 {
            let r = MACAddress.random()
            XCTAssertEqual(r.bytes.count, 6)
            XCTAssertEqual(r.bytes[0] & 0x03, 0x02, "\(r) is not locally administered unicast")
        }
    }
}
