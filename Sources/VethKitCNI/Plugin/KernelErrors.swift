import VethKit

/// Turns errors from VethKit (kernel refusals, missing objects, syscalls, bad input) into the
/// spec's error object, naming the step that failed.
func cniError(_ error: Error, _ step: String) -> CNIError {
    switch error {
    case let e as CNIError: return e
    case let e as KernelError: return CNIError(.kernelRefused, "\(step): \(e.errno.messageAndName)", details: e.message)
    case let e as NotFound: return CNIError(.unknownContainer, "\(step): \(e)")
    case let e as InvalidInput: return CNIError(.invalidNetworkConfig, "\(step): \(e)")
    case let e as SystemCallError: return CNIError(.ioFailure, "\(step): \(e)")
    case let e as NFTables.Unavailable: return CNIError(.ioFailure, "\(step): \(e)")
    case let e as NFTables.CommandError: return CNIError(.ioFailure, "\(step): nftables refused", details: e.message)
    default: return CNIError(.ioFailure, "\(step): \(error)")
    }
}

/// Runs `body`, mapping any error with ``cniError(_:_:)``.
func step<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw cniError(error, what()) }
}

extension Error {
    /// The object exists already (EEXIST from the kernel, or AlreadyExists).
    var isExists: Bool { ErrorCategory.of(self) == .exists }
    /// The object is not there (NotFound, or ENODEV/ENOENT/ESRCH/EADDRNOTAVAIL from the kernel).
    var isNotFound: Bool { ErrorCategory.of(self) == .notFound }
}
