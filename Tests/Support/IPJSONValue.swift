import VethKitJSON
import XCTest

/// Runs `ip -j -n NS ARGS` (or `bridge -j -n NS ARGS` with `tool: "bridge"`), fails the test on
/// error, and returns what it printed as JSON (nothing printed is `[]`, as iproute2 prints for no
/// objects): the value ``differencesFromIP(_:_:path:ignoring:typeOnly:)`` compares with.
public func iproute2JSON(_ tool: String = "ip", namespace: String, _ args: [String],
                         file: StaticString = #filePath, line: UInt = #line) throws -> JSON {
    let r = try runProcess("/usr/sbin/\(tool)", ["-j", "-n", namespace] + args)
    XCTAssertEqual(r.status, 0, "\(tool) \(args): \(r.stderr)", file: file, line: line)
    return try JSON.parse(r.stdout.isEmpty ? "[]" : r.stdout)
}
