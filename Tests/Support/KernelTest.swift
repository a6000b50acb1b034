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

/// How long ``runProcess(_:_:input:environment:timeout:file:line:)`` lets a program run by default
/// before killing it (a safety net so a hung program fails its test instead of hanging the suite).
public let defaultProcessTimeout: Double = 600

/// Runs `path` with `arguments` and waits; `input` is written to its standard input. A program
/// still running after `timeout` seconds is killed (SIGKILL) and the test fails saying so.
@discardableResult
public func runProcess(_ path: String, _ arguments: [String], input: String? = nil,
                       environment: [String: String]? = nil, timeout: Double = defaultProcessTimeout,
                       file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    if let environment { p.environment = environment }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    final class Flag: @unchecked Sendable { var fired = false }
    let killed = Flag()
    let pid = p.processIdentifier
    let watchdog = DispatchWorkItem {
        killed.fired = true
        kill(pid, SIGKILL)
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    defer { watchdog.cancel() }
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
    watchdog.cancel()
    if killed.fired {
        XCTFail("\(path) \(arguments.joined(separator: " ")): killed after \(timeout) s (hung)", file: file, line: line)
    }
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

/// ``ip(_:file:line:)`` with the arguments in an array.
@discardableResult
public func ip(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
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

/// The inode of the calling thread's network namespace (to prove it never changes). A failing
/// stat() fails the test (a silent 0 would make "unchanged" comparisons pass).
public func currentNamespaceInode(file: StaticString = #filePath, line: UInt = #line) -> UInt64 {
    var st = stat()
    guard stat("/proc/thread-self/ns/net", &st) == 0 else {
        let e = errno
        XCTFail("stat(/proc/thread-self/ns/net): \(String(cString: strerror(e))) (errno \(e))", file: file, line: line)
        return 0
    }
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

/// Skips the calling test, with the reason, when an optional component is absent.
/// `path` is an executable or a library file; `package` is the Debian package that provides it.
/// A test that needs ping, libnftables, podman or Debian's CNI plugins calls this first, so a
/// machine without them reports "skipped: … missing (apt-get install …)" instead of a failure.
public func requireComponent(_ path: String, package: String) throws {
    guard FileManager.default.fileExists(atPath: path) else {
        throw XCTSkip("\(path) missing (apt-get install \(package)); scripts/test installs it as root")
    }
}

/// Skips unless iputils' ping is installed (reachability tests send real ICMP through it).
public func requirePing() throws { try requireComponent("/usr/bin/ping", package: "iputils-ping") }

/// Skips unless libnftables is loadable (masquerade tests).
public func requireNFTables() throws {
    guard NFTables.isAvailable else {
        throw XCTSkip("libnftables.so.1 missing (apt-get install libnftables1 nftables); scripts/test installs it as root")
    }
}

/// The outcome of a reachability probe: a reply, no reply, or the probe could not run at all
/// (tool missing, namespace missing) — the last must fail a test, never count as "unreachable".
public enum PingOutcome: Equatable, Sendable {
    case reply
    case noReply
    case couldNotRun(String)
}

/// Sends `count` ICMP echoes from inside the named namespace `ns` with iputils' ping.
/// ping exits 0 on a reply, 1 on no reply, 2 (or 127 from the exec) on anything else.
public func ping(from ns: String, _ address: String, count: Int = 1, wait: Int = 2) -> PingOutcome {
    let family = address.contains(":") ? "-6" : "-4"
    do {
        let r = try runProcess("/usr/sbin/ip", ["netns", "exec", ns, "/usr/bin/ping", family,
                                                "-c", String(count), "-i", "0.2", "-W", String(wait), address])
        switch r.status {
        case 0: return .reply
        case 1: return .noReply
        default: return .couldNotRun("ping exited \(r.status): \(r.stderr.prefix(300))")
        }
    } catch {
        return .couldNotRun("could not run ip netns exec: \(error)")
    }
}
