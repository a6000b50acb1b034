import CLinuxUAPI
@testable import Netlink
import XCTest

/// Byte-for-byte checks of the encoder against messages written out by hand from the UAPI layouts.
final class MessageWriterTests: XCTestCase {
    func testHeaderOnlyRequest() {
        var m = MessageWriter(type: UInt16(RTM_GETLINK))
        m.append(header: ifinfomsg())
        XCTAssertEqual(m.encoded(sequence: 7, portID: 0), bytes("""
            20000000 1200 0100 07000000 00000000
            00 00 0000 00000000 00000000 00000000
            """))
    }

    func testStringAttributeIsNulTerminatedAndPadded() {
        var m = MessageWriter(type: UInt16(RTM_DELLINK))
        m.append(header: ifinfomsg())
        m.attribute(UInt16(IFLA_IFNAME), string: "veth1")
        XCTAssertEqual(m.encoded(sequence: 1), bytes("""
            2c000000 1100 0100 01000000 00000000
            00000000 00000000 00000000 00000000
            0a00 0300 76657468 3100 0000
            """))
    }

    func testNestedAttributesCarryTheNestedFlagAndTotalLength() {
        var m = MessageWriter(type: UInt16(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL)
        m.append(header: ifinfomsg())
        m.nested(UInt16(IFLA_LINKINFO)) { m in
            m.attribute(UInt16(IFLA_INFO_KIND), string: "dummy")
        }
        XCTAssertEqual(m.encoded(sequence: 2), bytes("""
            30000000 1000 0106 02000000 00000000
            00000000 00000000 00000000 00000000
            1000 1280 0a00 0100 64756d6d 7900 0000
            """))
    }

    func testIntegerAttributesAreHostOrder() {
        var m = MessageWriter(type: UInt16(RTM_NEWLINK))
        m.attribute(UInt16(IFLA_MTU), uint32: 1400)
        m.attribute(UInt16(IFLA_OPERSTATE), uint8: 6)
        XCTAssertEqual(m.encoded(sequence: 3), bytes("""
            20000000 1000 0100 03000000 00000000
            0800 0400 78050000
            0500 1000 06000000
            """))
    }

    func testSequenceAndPortAreFilledAtEncoding() {
        let m = MessageWriter(type: 3)
        let b = m.encoded(sequence: 0x01020304, portID: 0x0a0b0c0d)
        XCTAssertEqual(Array(b[8..<16]), [4, 3, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a])
    }
}

/// Hex text (whitespace ignored) to bytes.
func bytes(_ hex: String) -> [UInt8] {
    let digits = hex.filter(\.isHexDigit)
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        out.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return out

    /// Several messages in one writer (a batch's datagram): each with its own length, at an
    /// aligned offset; stamping sets the current one's sequence number and ACK flag only.
    func testMessagesBackToBackInOneWriter() throws {
        var w = MessageWriter(capacity: 0)
        w.begin(type: UInt16(RTM_DELLINK))
        w.append(header: ifinfomsg())
        w.attribute(UInt16(IFLA_IFNAME), string: "veth1")
        w.stamp(sequence: 5, addingFlags: UInt16(NLM_F_ACK))
        XCTAssertEqual(w.messageStart, 0)
        w.begin(type: UInt16(RTM_GETLINK), flags: NLM_F_DUMP)
        w.append(header: ifinfomsg())
        XCTAssertEqual(w.messageStart, 44)
        XCTAssertEqual(w.type, UInt16(RTM_GETLINK), "the current message's type")
        XCTAssertTrue(w.hasAttributes)
        w.stamp(sequence: 6, addingFlags: UInt16(NLM_F_ACK))
        XCTAssertEqual(w.bytes, bytes("""
            2c000000 1100 0500 05000000 00000000
            00000000 00000000 00000000 00000000
            0a00 0300 76657468 3100 0000
            20000000 1200 0503 06000000 00000000
            00 00 0000 00000000 00000000 00000000
            """))
        let parsed = try NetlinkMessage.parse(w.bytes)
        XCTAssertEqual(parsed.map(\.sequence), [5, 6])
        w.removeAll()
        XCTAssertEqual(w.bytes, [])
        XCTAssertEqual(w.messageStart, 0)
    }
}
