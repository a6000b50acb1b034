import Foundation
import XCTest

/// The uid and gid refusal tests drop to when the suite runs as root (`nobody`/`nogroup`).
public let unprivilegedID: UInt32 = 65534

/// Runs `path ARGS` without any privilege: as root, through util-linux's `setpriv` as uid/gid
/// 65534 with no supplementary groups and (as a non-root uid) no capabilities, so any syscall that
/// needs privilege fails with EPERM; as a non-root user, directly. A refusal that still comes back
/// with the validation error (exit 2), not EPERM, was made before any syscall.
@discardableResult
public func runUnprivileged(_ path: String, _ arguments: [String], input: String? = nil) throws -> ProcessResult {
    guard getuid() == 0 else { return try runProcess(path, arguments, input: input) }
    let setpriv = "/usr/bin/setpriv"
    guard FileManager.default.isExecutableFile(atPath: setpriv) else {
        throw XCTSkip("\(setpriv) missing (apt-get install util-linux): cannot drop to uid \(unprivilegedID)")
    }
    return try runProcess(setpriv, ["--reuid=\(unprivilegedID)", "--regid=\(unprivilegedID)", "--clear-groups", "--", path] + arguments,
                          input: input)
}
