@testable import VethKitCNI
import XCTest

/// host-local reservation contents (no kernel): what is a container id, what is refused.
final class HostLocalOrphansTests: XCTestCase {
    func testParse() {
        func p(_ s: [UInt8]) -> String? { HostLocalOrphans.parse(s).map { "\($0.0)|\($0.1 ?? "-")" } }
        XCTAssertEqual(p(Array("abc123\r\neth0".utf8)), "abc123|eth0")
        XCTAssertEqual(p(Array("abc123\neth0\n".utf8)), "abc123|eth0")
        XCTAssertEqual(p(Array("abc123".utf8)), "abc123|-", "host-local before 0.8: the id only")
        XCTAssertNil(p([]))
        XCTAssertNil(p(Array("\r\neth0".utf8)))
        XCTAssertNil(p([0x61, 0xff, 0x00]), "binary")
        XCTAssertNil(p(Array("abc def\r\neth0".utf8)), "a space in the id")
        XCTAssertNil(p(Array("abc\r\neth0\r\nmore".utf8)), "a third line")
        XCTAssertNil(p(Array("abc\r\ne/th0".utf8)), "a slash in the interface name")
        XCTAssertNil(p(Array("abc\r\n0123456789abcdef".utf8)), "an interface name longer than 15")
        XCTAssertNil(p(Array(String(repeating: "a", count: 257).utf8)), "an id longer than 256")
    }
}
