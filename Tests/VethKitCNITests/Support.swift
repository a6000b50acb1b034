import VethKitJSON
import Foundation
import VethKit
import XCTest
@testable import VethKitCNI

/// A fresh temporary directory, removed by the caller's `addTeardownBlock`.
func temporaryDirectory(_ test: XCTestCase) -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("vethkit-cni-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    XCTAssertNoThrow(try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true), d)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
    return d
}

/// Asserts that `body` throws a CNIError with `code`; returns it.
@discardableResult
func assertCNIError<T>(_ code: CNIError.Code, _ what: String = "", file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) -> CNIError? {
    do {
        _ = try body()
        XCTFail("expected CNI error \(code.rawValue), got success \(what)", file: file, line: line)
    } catch let e as CNIError {
        XCTAssertEqual(e.code, code, "\(e) \(what)", file: file, line: line)
        return e
    } catch {
        XCTFail("expected CNIError \(code.rawValue), got \(error) \(what)", file: file, line: line)
    }
    return nil
}

/// Parses JSON text (test literals and plugin output); a parse failure fails the calling test
/// with the text instead of crashing the whole bundle.
func json(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSON {
    do { return try JSON.parse(Array(text.utf8), what: "test") } catch {
        XCTFail("not JSON (\(error)): \(text.prefix(500))", file: file, line: line)
        return .null
    }
}

let baseEnv = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "abc123", "CNI_NETNS": "/run/netns/x", "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"]

func config(_ extra: String = "", version: String = "1.0.0", ipam: String = #"{"type":"vethkit","subnet":"10.1.0.0/24"}"#) -> String {
    #"{"cniVersion":"\#(version)","name":"net1","type":"vethkit-cni","ipam":\#(ipam)\#(extra)}"#
}

/// The plugin binary built next to the tests (`swift build` puts both in the same directory).
func pluginBinary() -> String? {
    if let p = ProcessInfo.processInfo.environment["VETHKIT_CNI_BIN"] { return p }
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<5 {
        let p = dir.appendingPathComponent("vethkit-cni").path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
        dir = dir.deletingLastPathComponent()
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    for cfg in ["debug", "release"] {
        let p = root.appendingPathComponent(".build/\(cfg)/vethkit-cni").path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// Runs the plugin binary as a runtime would: env + stdin → (status, stdout). posix_spawn +
/// waitpid (the plugin's own helper), not Foundation's Process: Process.waitUntilExit was seen to
/// hang forever here when many processes were started from several threads at once.
func runPlugin(_ env: [String: String], _ stdin: String, binary: String) -> (Int32, String) {
    do {
        let (status, out, _) = try DelegatedIPAM.spawn(binary, environment: env.map { "\($0.key)=\($0.value)" }, stdin: Array(stdin.utf8))
        return (status, String(decoding: out, as: UTF8.self))
    } catch {
        return (127, "could not run \(binary): \(error)")
    }
}

/// Runs a tool (cross-checks only): (status, stdout).
@discardableResult
func runTool(_ path: String, _ args: [String]) -> (Int32, String) {
    let env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    let (status, out, _) = (try? DelegatedIPAM.spawn(path, arguments: args, environment: env, stdin: [])) ?? (127, [], [])
    return (status, String(decoding: out, as: UTF8.self))
}

/// Starts the plugin without waiting (for kill -9 tests); returns its pid after writing stdin.
func startPlugin(_ env: [String: String], _ stdin: String, binary: String) -> pid_t {
    var fds: [Int32] = [0, 0]
    precondition(pipe(&fds) == 0)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addclose(&actions, fds[1])
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(binary), nil]
    let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
    var pid: pid_t = 0
    precondition(posix_spawn(&pid, binary, &actions, nil, argv, envp) == 0)
    close(fds[0])
    let b = Array(stdin.utf8)
    _ = b.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
    close(fds[1])
    return pid
}

/// A seeded generator (SplitMix64), so a failing property test can be replayed from its printed seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
