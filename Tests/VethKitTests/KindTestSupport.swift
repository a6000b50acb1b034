import Netlink
@testable import VethKit
import XCTest

/// The bytes of a payload as strace prints it with -xx (`"\x06\x00\x01\x00"`), as hex for ``hex(_:)``:
/// the link-kind encoding tests paste iproute2's IFLA_INFO_DATA straight from strace.
func straceHex(_ text: String) -> String {
    text.split(separator: "\\").compactMap { $0.hasPrefix("x") ? String($0.dropFirst().prefix(2)) : nil }.joined(separator: " ")
}

/// A request decoded back as the kernel's reply would be (an RTM_NEWLINK with the same attributes).
func decodedLink(_ spec: LinkSpec, file: StaticString = #filePath, line: UInt = #line) throws -> Link {
    let msgs = try NetlinkMessage.parse(try spec.request().encoded(sequence: 1))
    return try Link(message: XCTUnwrap(msgs.first, file: file, line: line), statistics: true)
}

/// Asserts `body` throws InvalidInput whose text names every one of `words`.
func assertInvalid(_ words: String..., file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    XCTAssertThrowsError(try body(), file: file, line: line) { e in
        XCTAssertTrue(e is InvalidInput, "\(type(of: e)): \(e)", file: file, line: line)
        XCTAssertEqual(ErrorCategory.of(e), .invalidInput, file: file, line: line)
        for w in words { XCTAssertTrue("\(e)".contains(w), "\"\(e)\" does not name \"\(w)\"", file: file, line: line) }
    }
}
