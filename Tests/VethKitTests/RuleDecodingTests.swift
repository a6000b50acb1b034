import CLinuxUAPI
import Netlink
@_spi(Decoding) @testable import VethKit
import XCTest

/// RTM_NEWRULE decoded from messages built byte by byte; truncated and hostile ones throw
/// MalformedMessage, never trap; encode then decode gives the rule back.
final class RuleDecodingTests: XCTestCase {
    func message(srcLen: UInt8 = 0, table: UInt8 = 254, action: UInt8 = UInt8(FR_ACT_TO_TBL), _ body: (inout MessageWriter) -> Void = { _ in }) throws -> NetlinkMessage {
        var w = MessageWriter(type: UInt16(RTM_NEWRULE))
        var h = fib_rule_hdr()
        h.family = UInt8(AF_INET)
        h.src_len = srcLen
        h.table = table
        h.action = action
        w.append(header: h)
        body(&w)
        return try XCTUnwrap(NetlinkMessage.parse(w.encoded(sequence: 1)).first)
    }

    func testRoundTrip() throws {
        var r = Rule(priority: 97, source: try IPNetwork("10.166.3.0/24"), invert: true, tos: 0x10, mark: 5, markMask: 0xff,
                     inputInterface: "ru0", uidRange: 10...20, ipProtocol: 6, sourcePorts: 5...5, destinationPorts: 80...90,
                     action: .lookup(RouteTable(rawValue: 70000)), suppressPrefixLength: 0, protocol: .static)
        r.priority = 97
        var w = MessageWriter(capacity: 200)
        r.encode(Int32(RTM_NEWRULE), into: &w)
        let m = try XCTUnwrap(NetlinkMessage.parse(w.encoded(sequence: 1)).first)
        XCTAssertEqual(try Rule(message: m), r)
        var g = Rule(priority: 5, action: .goto(100))
        g.flags = 0
        var w2 = MessageWriter(capacity: 200)
        g.encode(Int32(RTM_NEWRULE), into: &w2)
        XCTAssertEqual(try Rule(message: XCTUnwrap(NetlinkMessage.parse(w2.encoded(sequence: 1)).first)), g)
    }

    func testHostileMessagesThrow() throws {
        // A header cut short.
        let short = NetlinkMessage(type: UInt16(RTM_NEWRULE), payload: [2, 0, 0][...])
        XCTAssertThrowsError(try Rule(message: short)) { XCTAssertTrue($0 is MalformedMessage, "\($0)") }
        let cases: [NetlinkMessage] = [
            try message(srcLen: 16),                                                           // a length, no address
            try message(srcLen: 40) { $0.attribute(UInt16(FRA_SRC), [10, 0, 0, 0]) },          // length past 32
            try message(srcLen: 8) { $0.attribute(UInt16(FRA_SRC), [10, 0, 0]) },              // 3-byte address
            try message(srcLen: 8) { $0.attribute(UInt16(FRA_SRC), [UInt8](repeating: 0xfd, count: 16)) },   // IPv6 in IPv4
            try message { $0.attribute(UInt16(FRA_UID_RANGE), [1, 0, 0, 0]) },                 // short uid range
            try message { $0.attribute(UInt16(FRA_UID_RANGE), value: fib_rule_uid_range(start: 20, end: 10)) },
            try message { $0.attribute(UInt16(FRA_DPORT_RANGE), [80]) },
            try message { $0.attribute(UInt16(FRA_PRIORITY), [1, 2]) },
            try message { $0.attribute(UInt16(FRA_TABLE), [1]) },
        ]
        for m in cases {
            XCTAssertThrowsError(try Rule(message: m)) { XCTAssertTrue($0 is MalformedMessage, "\($0)") }
        }
    }

    func testDeleteMatchingIsTheKernels() throws {
        let users = Rule(priority: 100, mark: 5, markMask: 0xffff_ffff, action: .lookup(RouteTable(rawValue: 8)))
        let ours = Rule(priority: 100, action: .lookup(RouteTable(rawValue: 8)))
        XCTAssertTrue(ours.kernelDeleteMatches(users), "what a request leaves out matches anything")
        XCTAssertFalse(users.kernelDeleteMatches(ours))
        XCTAssertFalse(ours.sameRule(as: users))
        XCTAssertTrue(Rule(action: .other(0)).kernelDeleteMatches(users))
    }
}
