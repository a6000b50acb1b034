import CLinuxUAPI
import Glibc

/// An errno value with its symbolic name and libc's text: `File exists (EEXIST)`.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    /// The positive errno number.
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current `errno`.
    public static var current: Errno { Errno(rawValue: errno) }

    /// The symbolic name, e.g. `EEXIST` (from glibc's `strerrorname_np`).
    public var name: String {
        guard let p = vk_errno_name(rawValue) else { return "E\(rawValue)" }
        return String(cString: p)
    }

    /// libc's message, e.g. `File exists`.
    public var message: String { String(cString: strerror(rawValue)) }

    public var description: String { "\(message) (\(name))" }

    public static let exists = Errno(rawValue: EEXIST)
    public static let noSuchDevice = Errno(rawValue: ENODEV)
    public static let noSuchEntry = Errno(rawValue: ENOENT)
    public static let notPermitted = Errno(rawValue: EPERM)
    public static let interrupted = Errno(rawValue: EINTR)
    public static let busy = Errno(rawValue: EBUSY)
    public static let invalid = Errno(rawValue: EINVAL)
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

    public var description: String { "\(call): \(errno)" }
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
