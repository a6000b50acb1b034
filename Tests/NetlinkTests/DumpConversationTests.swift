import CLinuxUAPI
@testable import Netlink
import XCTest

/// The dump conversation with scripted kernel replies.
final class DumpConversationTests: XCTestCase {
    func part(_ seq: UInt32, type: Int32 = 16, interrupted: Bool = false) -> NetlinkMessage {
        NetlinkMessage(type: UInt16(type), flags: UInt16(NLM_F_MULTI | (interrupted ? NLM_F_DUMP_INTR : 0)),
                       sequence: seq, payload: [0, 0, 0, 0][...])
    }

    func testInterruptedDumpIsRunAgainNotReturnedHalfDone() throws {
        var seq: UInt32 = 100
        var sent: [UInt32] = []
        var script: [[NetlinkMessage]] = [
            [part(101), part(101, interrupted: true)], [part(101, type: NLMSG_DONE)],   // first try: interrupted
            [part(102), part(102), part(102)], [part(102, type: NLMSG_DONE)],          // second try: clean
        ]
        let parts = try NetlinkSocket.collectDump(
            MessageWriter(type: UInt16(RTM_GETLINK)), nextSequence: { seq += 1; return seq },
            send: { bytes in sent.append(bytes.loadLE(UInt32.self, at: 8)) },
            receive: { script.removeFirst() })
        XCTAssertEqual(sent, [101, 102])
        XCTAssertEqual(parts.count, 3)
        XCTAssertTrue(parts.allSatisfy { $0.sequence == 102 })
    }

    func testPersistentInterruptionIsAnErrorThatSaysSo() {
        var seq: UInt32 = 0
        XCTAssertThrowsError(try NetlinkSocket.collectDump(
            MessageWriter(type: UInt16(RTM_GETLINK)), nextSequence: { seq += 1; return seq }, send: { _ in },
            receive: { [self.part(seq, interrupted: true), self.part(seq, type: NLMSG_DONE)] })) { e in
            XCTAssertTrue("\(e)".contains("interrupted"), "\(e)")
        }
    }

    func testRepliesToOtherRequestsAreSkipped() throws {
        var script: [[NetlinkMessage]] = [[part(7), part(1), part(1, type: NLMSG_DONE)]]
        let parts = try NetlinkSocket.collectDump(
            MessageWriter(type: UInt16(RTM_GETLINK)), nextSequence: { 1 }, send: { _ in }, receive: { script.removeFirst() })
        XCTAssertEqual(parts.count, 1)
        XCTAssertEqual(parts.first?.sequence, 1)
    }

    func testRequestCarriesTheDumpFlag() throws {
        var flags: UInt16 = 0
        _ = try NetlinkSocket.collectDump(
            MessageWriter(type: UInt16(RTM_GETLINK)), nextSequence: { 1 },
            send: { flags = $0.loadLE(UInt16.self, at: 6) }, receive: { [self.part(1, type: NLMSG_DONE)] })
        XCTAssertEqual(flags & UInt16(NLM_F_DUMP), UInt16(NLM_F_DUMP))
        XCTAssertEqual(flags & UInt16(NLM_F_REQUEST), UInt16(NLM_F_REQUEST))
    }
}
