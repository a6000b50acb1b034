import Foundation
import XCTest

/// A long-running program (e.g. `vethctl monitor`) whose standard output goes to a temporary
/// file, so a test can poll what it printed so far with ``waitUntil(_:timeout:interval:file:line:_:)``
/// instead of sleeping and hoping. ``stop()`` (also run by deinit) terminates it and removes the file.
public final class BackgroundProcess {
    public let process = Process()
    private let outputPath: String

    public init(_ path: String, _ arguments: [String]) throws {
        outputPath = NSTemporaryDirectory() + "vethkit-bg-\(UInt32.random(in: 0...UInt32.max)).out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Everything written to standard output so far.
    public var output: String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    /// The complete lines written so far.
    public var lines: [String] {
        let text = output
        let complete = text.hasSuffix("\n") ? text : String(text[..<(text.lastIndex(of: "\n") ?? text.startIndex)])
        return complete.split(separator: "\n").map(String.init)
    }

    /// Terminates the program (SIGTERM) and waits for it.
    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: outputPath)
    }
}
