import VethKit
import VethKitTopology

/// A topology verb that ends with a non-zero exit status: what it prints on standard output (a
/// plan with conflicts, a check table with failures) and on standard error, and the status.
/// Statuses as for every vethctl command: 1 refused (kernel refusal, conflict, busy lock, not up,
/// failed reachability check), 2 bad input (schema errors with file:line:column, bad names,
/// unreadable file, bad options).
struct TopologyFailure: Error {
    var stdout = ""
    var stderr = ""
    var status: ExitStatus

    /// Runs `body`; a library error becomes the failure `command` reports for it.
    static func wrap<T>(_ command: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as TopologyFailure { throw e } catch { throw failure(command, error) }
    }

    /// The message and status for a library error of `command` (`up FILE`, `show NAME`, `list`…).
    static func failure(_ command: String, _ error: Error) -> TopologyFailure {
        if !(error is SchemaErrors), Privilege.explains(error) {
            return TopologyFailure(stderr: "vethctl: \(command): \(Privilege.message)", status: .refused)
        }
        switch error {
        case let e as SchemaErrors:
            // One line per problem, each `vethctl: FILE:LINE:COLUMN: message`.
            return TopologyFailure(stderr: e.lines(prefix: "vethctl: ").joined(separator: "\n"), status: .badInput)
        case is ApplyError, is ConflictError, is GraphvizMissing:
            // These name the topology (or the program) themselves.
            return TopologyFailure(stderr: "vethctl: \(error)", status: .refused)
        default:
            // By category (VethKit's ErrorCategory): invalid input (InvalidInput: a bad name, an
            // unreadable or oversized file) is 2, everything else 1.
            return TopologyFailure(stderr: "vethctl: \(command): \(error)", status: ErrorCategory.of(error) == .invalidInput ? .badInput : .refused)
        }
    }
}
