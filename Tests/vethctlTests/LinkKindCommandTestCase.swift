import Foundation
import VethKitTestSupport
import XCTest

/// What LinkKindCommandTests and LinkKindVMCommandTests share: a namespace of the test's own and
/// the comparison of vethctl's `link show -d --json` info_data with `ip -j -d`'s.
class LinkKindCommandTestCase: XCTestCase {
    let v = Vethctl()

    /// A namespace of the test's own (`ip netns add`), deleted when the test ends.
    func namespace() throws -> String {
        let n = "vk-c-\(uniqueSuffix())"
        try ip("netns", "add", n)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", n]) }
        try ip("-n", n, "link", "set", "lo", "up")
        return n
    }

    func infoData(_ ns: String, _ link: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let j = try ipJSON("-n", ns, "-d", "link", "show", link, file: file, line: line)
        return try XCTUnwrap((j.first?["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any], "\(link): no info_data", file: file, line: line)
    }

    func vethctlInfoData(_ ns: String, _ link: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let j = try v.json("-n", ns, "link", "show", "-d", link, file: file, line: line)
        return try XCTUnwrap((j.first?["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any], "\(link): no info_data", file: file, line: line)
    }

    /// The keys vethctl prints under info_data have iproute2's values.
    func assertAgrees(_ ns: String, _ link: String, keys: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let ours = try vethctlInfoData(ns, link, file: file, line: line), theirs = try infoData(ns, link, file: file, line: line)
        for k in keys {
            XCTAssertEqual(ours[k].map { "\($0)" }, theirs[k].map { "\($0)" }, "\(link) info_data.\(k)", file: file, line: line)
        }
        XCTAssertEqual(Set(ours.keys).subtracting(theirs.keys), [], "\(link): keys iproute2 does not print", file: file, line: line)
    }
}
