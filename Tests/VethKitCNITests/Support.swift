import Foundation
import VethKit
import XCTest
@testable import VethKitCNI

/// A fresh temporary directory, removed by the caller's `addTeardownBlock`.
func temporaryDirectory(_ test: XCTestCase) -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("vethkit-cni-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
    return d
}

/// Asserts that `body` throws a CNIError with `code`; returns it.
@discardableResult
func assertCNIError<T>(_ code: CNIError.Code, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) -> CNIError? {
    do {
        _ = try body()
        XCTFail("expected CNI error \(code.rawValue), got success", file: file, line: line)
    } catch let e as CNIError {
        XCTAssertEqual(e.code, code, "\(e)", file: file, line: line)
        return e
    } catch {
        XCTFail("expected CNIError \(code.rawValue), got \(error)", file: file, line: line)
    }
    return nil
}

func json(_ text: String) -> JSON { try! JSON.parse(Array(text.utf8), what: "test") }

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

/// Runs the plugin binary as a runtime would: env + stdin → (status, stdout).
func runPlugin(_ env: [String: String], _ stdin: String, binary: String) -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.environment = env
    let inPipe = Pipe(), outPipe = Pipe()
    p.standardInput = inPipe
    p.standardOutput = outPipe
    p.standardError = FileHandle.nullDevice
    try! p.run()
    inPipe.fileHandleForWriting.write(Data(stdin.utf8))
    try? inPipe.fileHandleForWriting.close()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: out, as: UTF8.self))
}
