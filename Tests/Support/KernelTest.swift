import Foundation
import VethKit
import XCTest

/// Kernel tests create real links and namespaces: they run only as root inside the project's
/// sandbox (scripts/sandbox sets VETHKIT_SANDBOX=1), and report themselves skipped elsewhere,
/// so that `swift test` as root on a real host can never touch its network.
public func requireKernel(file: StaticString = #filePath, line: UInt = #line) throws {
    guard getuid() == 0 else { throw XCTSkip("kernel test: needs root (run scripts/test as root)") }
    guard ProcessInfo.processInfo.environment["VETHKIT_SANDBOX"] == "1" else {
        throw XCTSkip("kernel test: runs only inside scripts/sandbox (VETHKIT_SANDBOX=1)")
    }
}

/// A short unique suffix for names, so tests never collide with each other's leftovers.
public func uniqueSuffix() -> String {
    String(UInt32.random(in: 0..<0xffffff), radix: 36)
}

/// The result of running a program.
public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `path` with `arguments` and waits; `input` is written to its standard input.
@discardableResult
public func runProcess(_ path: String, _ arguments: [String], input: String? = nil,
                       environment: [String: String]? = nil) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    if let environment { p.environment = environment }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let input { inp.fileHandleForWriting.write(input.data(using: .utf8)!) }
    try inp.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child never blocks on a full pipe.
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errBox.data = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let errData = errBox.data
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs `ip ARGS` (iproute2, the independent cross-check) and fails the test on error.
@discardableResult
public func ip(_ args: String..., file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let r = try runProcess("/usr/sbin/ip", args)
    XCTAssertEqual(r.status, 0, "ip \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
    return r.stdout
}

/// Runs `ip -j ARGS` and decodes the JSON array it prints.
public func ipJSON(_ args: String..., file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
    let r = try runProcess("/usr/sbin/ip", ["-j"] + args)
    XCTAssertEqual(r.status, 0, "ip -j \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
    return try parseJSONArray(r.stdout)
}

/// Decodes a JSON array of objects (empty text is an empty array, as `ip -j` prints for nothing).
public func parseJSONArray(_ text: String) throws -> [[String: Any]] {
    let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if t.isEmpty { return [] }
    guard let a = try JSONSerialization.jsonObject(with: Data(t.utf8)) as? [[String: Any]] else {
        throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "not a JSON array of objects: \(t.prefix(200))"])
    }
    return a
}

/// The inode of the calling thread's network namespace (to prove it never changes).
public func currentNamespaceInode() -> UInt64 {
    var st = stat()
    stat("/proc/thread-self/ns/net", &st)
    return UInt64(st.st_ino)
}

/// The directory holding the built products (where the test bundle itself lives).
public func productsDirectory() -> URL {
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return bundle.bundleURL.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
}

/// The path of a built executable product, e.g. `vethctl`.
public func productPath(_ name: String) -> String {
    productsDirectory().appendingPathComponent(name).path
}
