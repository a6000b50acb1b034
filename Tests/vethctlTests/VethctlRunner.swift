import Foundation
import VethKitTestSupport
import XCTest

/// Runs the built `vethctl` as a user would.
struct Vethctl {
    let path = productPath("vethctl")

    @discardableResult
    func run(_ args: [String], input: String? = nil) throws -> ProcessResult {
        try runProcess(path, args, input: input)
    }

    /// Runs and fails the test unless the exit status is 0; returns standard output.
    @discardableResult
    func ok(_ args: String..., file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try ok(args, file: file, line: line)
    }

    func ok(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try run(args)
        XCTAssertEqual(r.status, 0, "vethctl \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        return r.stdout
    }

    /// Runs `ARGS --json` and decodes the array.
    func json(_ args: String..., file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let r = try run(args + ["--json"])
        XCTAssertEqual(r.status, 0, "vethctl \(args.joined(separator: " ")) --json: \(r.stderr)", file: file, line: line)
        return try parseJSONArray(r.stdout)
    }
}
