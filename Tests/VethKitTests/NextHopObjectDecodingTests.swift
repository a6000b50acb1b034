import CLinuxUAPI
import Netlink
@_spi(Decoding) @testable import VethKit
import XCTest

/// RTM_NEWNEXTHOP decoded from messages built byte by byte: hostile ones throw MalformedMessage.
final class NextHopObjectDecodingTests: XCTestCase {
    func message(_ body: (inout MessageWriter) -> Void) throws -> NetlinkMessage {
        var w = MessageWriter(type: UInt16(RTM_NEWNEXTHOP))
        var h = nhmsg()
        h.nh_family = UInt8(AF_INET)
        w.append(header: h)
        body(&w)
        return try XCTUnwrap(NetlinkMessage.parse(w.encoded(sequence: 1)).first)
    }

    func testRoundTripOfAGroup() throws {
        var n = NextHopObject(id: 8, group: [NextHopGroupMember(id: 1, weight: 3), NextHopGroupMember(id: 4, weight: 256)], groupType: .resilient,
                              resilient: ResilientGroupParameters(buckets: 8, idleTimer: 60, unbalancedTimer: 30))
        var w = MessageWriter(capacity: 200)
        n.encode(deviceIndex: nil, into: &w)
        let d = try NextHopObject(message: XCTUnwrap(NetlinkMessage.parse(w.encoded(sequence: 1)).first))
        n.scope = d.scope
        XCTAssertEqual(d, n)
    }

    func testHostileMessagesThrow() throws {
        XCTAssertThrowsError(try NextHopObject(message: NetlinkMessage(type: UInt16(RTM_NEWNEXTHOP), payload: [2, 0][...])))
        let cases = [
            try message { _ in },                                                          // no id
            try message { $0.attribute(UInt16(NHA_ID), [1, 0]) },                          // short id
            try message { $0.attribute(UInt16(NHA_ID), uint32: 1); $0.attribute(UInt16(NHA_GATEWAY), [10, 0, 0]) },
            try message { $0.attribute(UInt16(NHA_ID), uint32: 1); $0.attribute(UInt16(NHA_GROUP), [1, 0, 0, 0, 0]) },
            try message { $0.attribute(UInt16(NHA_ID), uint32: 1); $0.attribute(UInt16(NHA_GROUP_TYPE), uint16: 9) },
            try message { $0.attribute(UInt16(NHA_ID), uint32: 1); $0.attribute(UInt16(NHA_RES_GROUP), [200, 0, 1, 0]) },
        ]
        for m in cases {
            XCTAssertThrowsError(try NextHopObject(message: m)) { XCTAssertTrue($0 is MalformedMessage, "\($0)") }
        }
    }
}
