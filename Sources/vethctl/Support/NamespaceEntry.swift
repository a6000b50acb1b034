import Glibc
import VethKit

/// `-n NS` for the topology verbs: the topology's `host` node is namespace NS. vethctl moves its
/// main thread into NS (setns) before the verb does any work. Every thread the topology engine
/// starts afterwards (pthreads: its workers, VethKit's dedicated namespace threads) inherits the
/// main thread's namespace, and each of them returns to it, so "the host" is NS throughout.
/// vethctl starts no thread and no Swift concurrency task before this point, so no thread is left
/// in the original namespace.
enum MainThreadNamespace {
    /// Enters namespace `name` on the calling (main) thread; nil leaves it where it is. A bad or
    /// unknown name is bad input (exit 2), as for every other verb's `-n`.
    static func enter(_ name: String?, for verb: String) throws {
        guard let name else { return }
        try step(verb) {
            // Validated and opened like every other command's -n.
            let ns = try Context.shared.namespace(name)
            try ns.enterOnCallingThread()
        }
    }
}
