import CLinuxUAPI
import Glibc
import Netlink
@testable import VethKit
import XCTest

/// A NetworkBatch encodes each operation exactly as the single request it stands for (the
/// hand-written messages of RequestEncodingTests), back to back in one datagram.
final class BatchEncodingTests: XCTestCase {
    /// A hand-written message with the sequence number cleared (the socket stamps it when sending).
    func unsequenced(_ text: String) -> [UInt8] {
        var b = hex(text)
        for i in 8..<12 { b[i] = 0 }
        return b
    }

    func testEachOperationIsEncodedAsItsSingleRequest() throws {
        var batch = NetworkBatch()
        var expected: [[UInt8]] = []
        batch.addLink(.veth(try InterfaceName("veth1"), peer: try InterfaceName("veth2")))
        expected.append(unsequenced("""
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
        batch.setLink(.index(3), LinkChange(up: true, mtu: 1400, master: .set(.index(4))))
        expected.append(unsequenced("""
            30000000 1000 0100 01000000 00000000
            00 00 0000 03000000 01000000 01000000
            0800 0400 78050000
            0800 0a00 04000000
            """))
        batch.addAddress(try IPNetwork("192.168.1.200/24"), to: .index(2))
        expected.append(unsequenced("""
            28000000 1400 0106 01000000 00000000
            02 18 00 00 02000000
            0800 0200 c0a801c8
            0800 0100 c0a801c8
            """))
        batch.addAddress(try IPNetwork("fd00::1/64"), to: .index(2), noDAD: true)
        expected.append(unsequenced("""
            34000000 1400 0106 01000000 00000000
            0a 40 00 00 02000000
            1400 0100 fd000000 00000000 00000000 00000001
            0800 0800 02000000
            """))
        batch.addRoute(.defaultRoute(via: try IPAddress(parsing: "192.168.1.1")))
        expected.append(unsequenced("""
            24000000 1800 0106 01000000 00000000
            02 00 00 00 fe 03 00 01 00000000
            0800 0500 c0a80101
            """))
        batch.addRoute(Route(destination: try IPNetwork("10.9.0.0/16"), device: .index(5), metric: 7, table: RouteTable(rawValue: 1000)))
        expected.append(unsequenced("""
            3c000000 1800 0106 01000000 00000000
            02 10 00 00 00 03 fd 01 00000000
            0800 0100 0a090000
            0800 0400 05000000
            0800 0600 07000000
            0800 0f00 e8030000
            """))
        batch.deleteLink(.name(try InterfaceName("veth1")))
        expected.append(unsequenced("""
            2c000000 1100 0100 01000000 00000000
            00000000 00000000 00000000 00000000
            0a00 0300 76657468 3100 0000
            """))
        XCTAssertEqual(batch.count, expected.count)
        // One operation per writer: each as its own request.
        for (i, op) in batch.operations.enumerated() {
            var m = MessageWriter(capacity: 64)
            try op.encode(into: &m)
            XCTAssertEqual(m.bytes, expected[i], "operation \(i)")
        }
        // All in one writer (what one sendmsg carries): the same bytes back to back, each message
        // at an aligned offset with its own length.
        var datagram = MessageWriter(capacity: 0)
        var starts: [Int] = []
        for op in batch.operations {
            try op.encode(into: &datagram)
            starts.append(datagram.messageStart)
        }
        XCTAssertEqual(datagram.bytes, expected.flatMap { $0 })
        XCTAssertEqual(starts, expected.indices.map { expected[..<$0].reduce(0) { $0 + $1.count } })
        let parsed = try NetlinkMessage.parse(datagram.bytes)
        XCTAssertEqual(parsed.map(\.type), [16, 16, 20, 20, 24, 24, 17].map(UInt16.init), "RTM_NEWLINK…RTM_DELLINK in order")
    }

    func testDeleteRouteMatchingProtocolAndAddressProtocolInABatch() throws {
        var batch = NetworkBatch()
        let route = Route(destination: try IPNetwork("10.77.0.0/16"), gateway: try IPAddress(parsing: "192.168.1.1"), protocol: .vethkit)
        batch.deleteRoute(route, matchingProtocol: true)
        batch.addAddress(try IPNetwork("10.0.0.1/24"), to: .index(3), protocol: .vethkit)
        var m = MessageWriter(capacity: 0)
        for op in batch.operations { try op.encode(into: &m) }
        let messages = try NetlinkMessage.parse(m.bytes)
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(try messages[0].header(rtmsg.self).rtm_protocol, 0x56, "a matching delete carries the protocol")
        XCTAssertEqual(Array(m.bytes.suffix(8)), [5, 0, UInt8(IFA_PROTO), 0, 0x56, 0, 0, 0], "IFA_PROTO last in the address")
    }

    func testEmptyBatch() throws {
        let batch = NetworkBatch()
        XCTAssertTrue(batch.isEmpty)
        XCTAssertEqual(batch.count, 0)
    }
}
