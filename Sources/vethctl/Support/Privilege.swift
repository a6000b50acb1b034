import Glibc
import VethKit

/// The one message every command gives when it was refused for want of privilege (EPERM or
/// EACCES from the kernel, a mount, a lock file under /run/vethkit, libnftables) and the process
/// lacks CAP_NET_ADMIN: instead of the errno of whichever step came first.
enum Privilege {
    static let message = "needs root (CAP_NET_ADMIN): run it with sudo"

    static var hasNetAdmin: Bool { Capabilities.hasNetAdmin }

    /// True when `error` is a refusal for want of privilege and this process lacks it.
    static func explains(_ error: Error) -> Bool {
        guard !hasNetAdmin else { return false }
        if let e = error as? CommandError { return explains(e.underlying) }
        return ErrorCategory.of(error) == .permission
    }
}
