import Glibc
import Netlink
import SystemPackage

/// What kind of failure an error is, for callers that decide by kind (retry, skip, exit code)
/// rather than by type. Executables map categories to exit codes (vethctl: invalidInput → 2,
/// everything else → 1).
public enum ErrorCategory: Sendable, Hashable {
    /// The caller's input is wrong; found before any syscall.
    case invalidInput
    /// A named object does not exist.
    case notFound
    /// The object exists already.
    case exists
    /// The object exists but VethKit did not create it (no ownership mark), so it is left alone.
    case notOurs
    /// The object is in use (EBUSY).
    case busy
    /// Not allowed (EPERM, EACCES).
    case permission
    /// The kernel or the system lacks the feature (EOPNOTSUPP, EAFNOSUPPORT, a missing tool).
    case unsupported
    /// The kernel refused for another reason, or answered something malformed.
    case kernel
    /// A system call (file, mount, thread) failed for another reason.
    case system
}

/// An error that knows its ``ErrorCategory``. Every VethKit error adopts it.
public protocol CategorizedError: Error {
    var category: ErrorCategory { get }
}

extension ErrorCategory {
    /// The category of an errno value; `otherwise` for those without a more precise one.
    public init(_ errno: Errno, otherwise: ErrorCategory) {
        switch errno {
        case .fileExists: self = .exists
        case .noSuchFileOrDirectory, .operationNotSupportedByDevice, .noSuchProcess, .addressNotAvailable,
             Errno(rawValue: ENXIO): self = .notFound
        case .resourceBusy: self = .busy
        case .notPermitted, .permissionDenied: self = .permission
        case .notSupportedOnSocket, .notSupported, .addressFamilyNotSupported, .protocolNotSupported: self = .unsupported
        default: self = otherwise
        }
    }

    /// The category of any error: its own for a ``CategorizedError``, ``system`` otherwise.
    public static func of(_ error: any Error) -> ErrorCategory {
        (error as? any CategorizedError)?.category ?? .system
    }
}

extension KernelError: CategorizedError {
    /// From the errno: EEXIST → exists, ENODEV/ENOENT/ESRCH/EADDRNOTAVAIL → notFound, EBUSY → busy,
    /// EPERM/EACCES → permission, EOPNOTSUPP/EAFNOSUPPORT → unsupported, anything else → kernel.
    public var category: ErrorCategory { ErrorCategory(errno, otherwise: .kernel) }
}

extension SystemCallError: CategorizedError {
    /// From the errno, as for ``KernelError``; otherwise system.
    public var category: ErrorCategory { ErrorCategory(errno, otherwise: .system) }
}

extension MalformedMessage: CategorizedError {
    /// Always kernel: the answer did not parse.
    public var category: ErrorCategory { .kernel }
}

extension InvalidInput: CategorizedError {
    public var category: ErrorCategory { .invalidInput }
}

extension BoundedRead.TooLarge: CategorizedError {
    /// The input is too large: invalidInput.
    public var category: ErrorCategory { .invalidInput }
}

extension NFTables.Unavailable: CategorizedError {
    /// libnftables is missing: unsupported.
    public var category: ErrorCategory { .unsupported }
}

extension NFTables.CommandError: CategorizedError {
    /// notFound when nft said the object does not exist, kernel otherwise.
    public var category: ErrorCategory { isNotFound ? .notFound : .kernel }
}

/// The wire layer's errors, reachable with `import VethKit` alone.
public typealias KernelError = Netlink.KernelError
public typealias SystemCallError = Netlink.SystemCallError
public typealias MalformedMessage = Netlink.MalformedMessage
/// errno values: swift-system's `Errno` (`.fileExists`, `.resourceBusy`…), printed by VethKit's
/// errors as `File exists (EEXIST)`.
public typealias Errno = SystemPackage.Errno
