import CLinuxUAPI
import Foundation
@testable import VethKit
import XCTest

/// Decoding of replies captured from a real kernel (Fixtures/, made with
/// `scripts/sandbox python3 …` from a veth1/veth2 pair, bridge br0 192.168.1.1/24, veth1 with
/// fd00::1/64, and a route 10.9.0.0/16 via 192.168.1.2 metric 7).
final class DecodingTests: XCTestCase {
    func fixture(_ name: String) throws -> [NetlinkMessage] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "bin", subdirectory: "Fixtures"))
        return try NetlinkMessage.parse(Array(Data(contentsOf: url)))
    }

    func testLinkGetReply() throws {
        let msgs = try fixture("getlink-veth1")
        let link = try Link(message: XCTUnwrap(msgs.first { $0.type == UInt16(RTM_NEWLINK) }))
        XCTAssertEqual(link.name, "veth1")
        XCTAssertEqual(link.kind, "veth")
        XCTAssertEqual(link.portKind, "bridge")
        XCTAssertTrue(link.isUp)
        XCTAssertNotNil(link.masterIndex)
        XCTAssertNotNil(link.linkIndex)
        XCTAssertNil(link.linkNetnsID)
        XCTAssertEqual(link.mtu, 1500)
        XCTAssertEqual(link.address?.bytes.count, 6)
        XCTAssertNotNil(link.statistics)
    }

    func testLinkDump() throws {
        let msgs = try fixture("dumplink")
        XCTAssertEqual(msgs.last?.type, UInt16(NLMSG_DONE))
        let links = try msgs.filter { $0.type == UInt16(RTM_NEWLINK) }.map(Link.init(message:))
        XCTAssertEqual(Set(links.map(\.name)), ["lo", "veth1", "veth2", "br0"])
        let veth1 = try XCTUnwrap(links.first { $0.name == "veth1" })
        let veth2 = try XCTUnwrap(links.first { $0.name == "veth2" })
        let br0 = try XCTUnwrap(links.first { $0.name == "br0" })
        XCTAssertEqual(veth1.linkIndex, veth2.index)
        XCTAssertEqual(veth2.linkIndex, veth1.index)
        XCTAssertEqual(veth1.masterIndex, br0.index)
        XCTAssertEqual(br0.kind, "bridge")
        XCTAssertEqual(links.first { $0.name == "lo" }?.flags.contains(.loopback), true)
    }

    func testAddressDump() throws {
        let addrs = try fixture("dumpaddr").filter { $0.type == UInt16(RTM_NEWADDR) }.map(Address.init(message:))
        let nets = addrs.map { "\($0.network)" }
        XCTAssertTrue(nets.contains("192.168.1.1/24"), "\(nets)")
        XCTAssertTrue(nets.contains("fd00::1/64"), "\(nets)")
        let v4 = try XCTUnwrap(addrs.first { $0.network.description == "192.168.1.1/24" })
        XCTAssertEqual(v4.label, "br0")
        XCTAssertEqual(v4.scopeName, "global")
    }

    func testRouteDump() throws {
        let routes = try fixture("dumproute4").filter { $0.type == UInt16(RTM_NEWROUTE) }.map(Route.init(message:))
        let r = try XCTUnwrap(routes.first { $0.destination?.description == "10.9.0.0/16" })
        XCTAssertEqual(r.gateway, IPAddress("192.168.1.2"))
        XCTAssertEqual(r.metric, 7)
        XCTAssertEqual(r.table, Route.mainTable)
        XCTAssertTrue(routes.contains { $0.destinationText == "192.168.1.0/24" && $0.protocolID == UInt8(RTPROT_KERNEL) })
    }

    /// Property test: typed decoders given mutated and truncated kernel replies throw or decode,
    /// never trap.
    func testDecodersSurviveMutatedReplies() throws {
        var state: UInt64 = 99
        func random(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        for name in ["getlink-veth1", "dumpaddr", "dumproute4"] {
            let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "bin", subdirectory: "Fixtures"))
            let original = try NetlinkMessage.parse(Array(Data(contentsOf: url)))
            for m in original where m.payload.count > 0 {
                for _ in 0..<2000 {
                    var p = Array(m.payload)
                    switch random(3) {
                    case 0: p[random(p.count)] = UInt8(random(256))
                    case 1: p = Array(p.prefix(random(p.count + 1)))
                    default: p[random(p.count)] = UInt8(random(256)); p[random(p.count)] = 0xff
                    }
                    let mutated = NetlinkMessage(type: m.type, flags: m.flags, sequence: m.sequence, payload: p[...])
                    _ = try? Link(message: mutated)
                    _ = try? Address(message: mutated)
                    _ = try? Route(message: mutated)
                    _ = try? Event(message: mutated)
                }
            }
        }
    }
}
