import CLinuxUAPI
import XCTest
@testable import Netlink

/// NLMSG_ERROR decoding (NetlinkSocket.kernelError) on every error code, including the ones a
/// kernel never sends: INT32_MIN used to trap on `-code`.
final class ErrorCodeTests: XCTestCase {
    /// An NLMSG_ERROR payload: the code, then the echoed request header (16 bytes, `innerLength`
    /// as its nlmsg_len), then `tail` (extended-ACK TLVs).
    func errorMessage(code: Int32, flags: UInt16 = 0, innerLength: UInt32 = 16, tail: [UInt8] = []) -> NetlinkMessage {
        var payload: [UInt8] = []
        withUnsafeBytes(of: code.littleEndian) { payload += $0 }
        withUnsafeBytes(of: innerLength.littleEndian) { payload += $0 }
        payload += [UInt8](repeating: 0, count: 12)
        payload += tail
        return NetlinkMessage(type: UInt16(NLMSG_ERROR), flags: flags, payload: payload[...])
    }

    func attribute(_ type: Int32, _ value: [UInt8]) -> [UInt8] {
        let len = UInt16(4 + value.count)
        var a: [UInt8] = [UInt8(len & 0xff), UInt8(len >> 8), UInt8(type & 0xff), UInt8(type >> 8)] + value
        while a.count % 4 != 0 { a.append(0) }
        return a
    }

    func testAckIsNil() throws {
        XCTAssertNil(try NetlinkSocket.kernelError(errorMessage(code: 0)))
    }

    func testNegatedErrno() throws {
        let e = try XCTUnwrap(NetlinkSocket.kernelError(errorMessage(code: -EEXIST)))
        XCTAssertEqual(e.errno, .fileExists)
        XCTAssertEqual(e.errno.name, "EEXIST")
    }

    func testInt32MinDoesNotTrap() throws {
        let e = try XCTUnwrap(NetlinkSocket.kernelError(errorMessage(code: Int32.min)))
        XCTAssertEqual(e.errno.rawValue, Int32.max, "INT32_MIN is kept as the largest magnitude")
        XCTAssertFalse(e.description.isEmpty)
    }

    func testPositiveAndExtremeCodes() throws {
        for code: Int32 in [1, Int32.max, -Int32.max, -4096, 4096] {
            let e = try XCTUnwrap(NetlinkSocket.kernelError(errorMessage(code: code)), "code \(code)")
            XCTAssertEqual(e.errno.rawValue, code < 0 ? -code : code, "code \(code)")
            XCTAssertFalse(e.description.isEmpty, "code \(code)")
        }
    }

    func testTruncatedErrorIsMalformed() {
        let m = NetlinkMessage(type: UInt16(NLMSG_ERROR), payload: [0xff, 0xff][...])
        XCTAssertThrowsError(try NetlinkSocket.kernelError(m)) { XCTAssertTrue($0 is MalformedMessage, "\($0)") }
    }

    func testExtendedAckText() throws {
        let text = Array("bad thing".utf8) + [0]
        let m = errorMessage(code: -EINVAL, flags: UInt16(NLM_F_ACK_TLVS | NLM_F_CAPPED),
                             tail: attribute(Int32(NLMSGERR_ATTR_MSG.rawValue), text))
        let e = try XCTUnwrap(NetlinkSocket.kernelError(m))
        XCTAssertEqual(e.message, "bad thing")
        XCTAssertEqual(e.description, "Invalid argument (EINVAL): bad thing")
    }

    /// Without NLM_F_CAPPED the echoed request's length says how much to skip: a hostile length
    /// (past the payload, or UInt32.max) must neither trap nor read out of bounds.
    func testHostileEchoedLength() throws {
        for inner: UInt32 in [0, 15, 17, 1000, UInt32.max, UInt32.max - 2] {
            let m = errorMessage(code: -ENOENT, flags: UInt16(NLM_F_ACK_TLVS), innerLength: inner,
                                 tail: attribute(Int32(NLMSGERR_ATTR_MSG.rawValue), Array("x".utf8) + [0]))
            // Misaligned TLVs (17) are malformed; every other length decodes the errno.
            do {
                let e = try NetlinkSocket.kernelError(m)
                XCTAssertEqual(e?.errno, .noSuchFileOrDirectory, "inner length \(inner)")
            } catch let e as MalformedMessage {
                XCTAssertEqual(inner, 17, "inner length \(inner): \(e)")
            }
        }
    }
}
