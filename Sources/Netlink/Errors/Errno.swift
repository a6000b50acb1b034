import CLinuxUAPI
import Glibc
import SystemPackage

/// errno values are swift-system's `Errno`; these add the symbolic name and the rendering VethKit
/// prints everywhere: `File exists (EEXIST)`.
extension Errno {
    /// The calling thread's current `errno`.
    public static var current: Errno { Errno(rawValue: Glibc.errno) }

    /// The symbolic name, e.g. `EEXIST` (from glibc's `strerrorname_np`).
    public var name: String {
        guard let p = vk_errno_name(rawValue) else { return "E\(rawValue)" }
        return String(cString: p)
    }

    /// libc's message, e.g. `File exists`.
    public var message: String { String(cString: strerror(rawValue)) }

    /// `File exists (EEXIST)`: libc's message and the symbolic name.
    public var messageAndName: String { "\(message) (\(name))" }
}

/// A failed system call: which call (and on what), and the errno.
public struct SystemCallError: Error, Sendable, CustomStringConvertible {
    /// The call and its object, e.g. `mount /run/netns/t1`.
    public let call: String
    /// The errno it failed with.
    public let errno: Errno

    public init(_ call: String, _ errno: Errno = .current) {
        self.call = call
        self.errno = errno
    }

    /// `mount /run/netns/t1: Operation not permitted (EPERM)`.
    public var description: String { "\(call): \(errno.messageAndName)" }
}

/// Runs a libc call that returns -1 and sets errno on failure; retries on EINTR.
@discardableResult
public func syscall<T: BinaryInteger>(_ what: @autoclosure () -> String, _ body: () -> T) throws -> T {
    while true {
        let r = body()
        if r != -1 { return r }
        let e = Errno.current
        if e == .interrupted { continue }
        throw SystemCallError(what(), e)
    }
}
