import CLinuxUAPI
@testable import Netlink
import SystemPackage
import XCTest

final class MessageParsingTests: XCTestCase {
    func testSplitsADatagramIntoAlignedMessages() throws {
        var a = MessageWriter(type: 16)
        a.attribute(3, string: "x")            // 16 + 8 = 24 bytes
        let b = MessageWriter(type: UInt16(NLMSG_DONE))
        let datagram = a.encoded(sequence: 1) + b.encoded(sequence: 2)
        let msgs = try NetlinkMessage.parse(datagram)
        XCTAssertEqual(msgs.map(\.type), [16, UInt16(NLMSG_DONE)])
        XCTAssertEqual(msgs.map(\.sequence), [1, 2])
        XCTAssertEqual(try AttributeList(parsing: msgs[0].payload).first?.string, "x")
    }

    /// Asserts `body` throws the decoder's own ``MalformedMessage`` and that its reason says `why`.
    func assertMalformed<T>(_ body: @autoclosure () throws -> T, _ why: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            guard let m = e as? MalformedMessage else {
                return XCTFail("expected MalformedMessage, got \(type(of: e)): \(e)", file: file, line: line)
            }
            XCTAssertTrue(m.reason.contains(why), "reason \"\(m.reason)\" does not say \"\(why)\"", file: file, line: line)
        }
    }

    func testRejectsLengthsThatDoNotFit() {
        var m = MessageWriter(type: 16).encoded(sequence: 1)
        XCTAssertEqual(try NetlinkMessage.parse(m).count, 1, "the unmodified message must parse")
        m.storeLE(UInt32(4), at: 0)
        assertMalformed(try NetlinkMessage.parse(m), "nlmsg_len 4 is smaller than the header")
        m.storeLE(UInt32(400), at: 0)
        assertMalformed(try NetlinkMessage.parse(m), "nlmsg_len 400 runs past the end of the datagram (16 bytes left)")
    }

    func testAttributeRunningPastItsContainerIsAnError() {
        let payload: [UInt8] = [0x20, 0x00, 0x03, 0x00, 0x41, 0x42]
        assertMalformed(try AttributeList(parsing: payload[...]), "attribute 3 of 32 bytes runs past its container")
        let tooShort: [UInt8] = [0x02, 0x00, 0x03, 0x00]
        assertMalformed(try AttributeList(parsing: tooShort[...]), "attribute length 2 is smaller than its header")
        // A header-only attribute (length 4) is fine, and trailing bytes shorter than a header are ignored.
        let fine: [UInt8] = [0x04, 0x00, 0x07, 0x00, 0xff, 0xff]
        XCTAssertEqual(try AttributeList(parsing: fine[...]).map(\.type), [7])
    }

    func testNestedFlagIsMaskedOffTheType() throws {
        var m = MessageWriter(type: 16)
        m.nested(18) { $0.attribute(1, string: "veth") }
        let msg = try XCTUnwrap(NetlinkMessage.parse(m.encoded(sequence: 1)).first)
        let attrs = try AttributeList(parsing: msg.payload)
        XCTAssertEqual(attrs.first?.type, 18)
        XCTAssertEqual(try attrs[UInt16(18)]?.nested()[UInt16(1)]?.string, "veth")
    }

    func testKernelErrorWithExtendedAck() throws {
        // NLMSG_ERROR, flags CAPPED|ACK_TLVS: error -17, the request's header, then
        // NLMSGERR_ATTR_MSG "Link exists" and NLMSGERR_ATTR_OFFS 32.
        var payload: [UInt8] = []
        payload += withUnsafeBytes(of: Int32(-EEXIST)) { Array($0) }
        payload += MessageWriter(type: 16).encoded(sequence: 9)
        let text = Array("Link exists".utf8) + [0]
        payload += [UInt8(4 + text.count), 0, UInt8(NLMSGERR_ATTR_MSG.rawValue), 0] + text
        while payload.count % 4 != 0 { payload.append(0) }
        payload += [8, 0, UInt8(NLMSGERR_ATTR_OFFS.rawValue), 0, 32, 0, 0, 0]
        let m = NetlinkMessage(type: UInt16(NLMSG_ERROR), flags: UInt16(NLM_F_CAPPED | NLM_F_ACK_TLVS),
                               sequence: 9, payload: payload[...])
        let e = try XCTUnwrap(NetlinkSocket.kernelError(m))
        XCTAssertEqual(e.errno, .fileExists)
        XCTAssertEqual(e.message, "Link exists")
        XCTAssertEqual(e.attributeOffset, 32)
        XCTAssertEqual(e.description, "File exists (EEXIST): Link exists")
    }

    func testAckIsNotAnError() throws {
        let payload = withUnsafeBytes(of: Int32(0)) { Array($0) } + MessageWriter(type: 16).encoded(sequence: 1)
        XCTAssertNil(try NetlinkSocket.kernelError(NetlinkMessage(type: UInt16(NLMSG_ERROR), payload: payload[...])))
    }

    func testErrnoNames() {
        XCTAssertEqual(Errno(rawValue: EEXIST).messageAndName, "File exists (EEXIST)")
        XCTAssertEqual(Errno(rawValue: ENODEV).name, "ENODEV")
        XCTAssertEqual(Errno(rawValue: EPERM).name, "EPERM")
    }
}
