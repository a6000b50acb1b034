import ArgumentParser
import VethKit

/// Exit statuses: 0 ok, 1 the kernel (or the system) refused, 2 bad usage or input.
enum ExitStatus: Int32 {
    case ok = 0
    case refused = 1
    case badInput = 2
}

/// An error with the command that failed: `link add veth1: File exists (EEXIST)`.
struct CommandError: Error, CustomStringConvertible {
    var context: String
    var underlying: Error

    var description: String {
        context.isEmpty ? "\(underlying)" : "\(context): \(underlying)"
    }

    var status: ExitStatus { CommandError.status(of: underlying) }

    static func status(of error: Error) -> ExitStatus {
        switch error {
        case let e as CommandError: return e.status
        case let e as BatchFailed: return e.status
        case is InvalidInput, is ValidationError: return .badInput
        case let e as NotFound where e.kind == .namespace: return .badInput
        case is UsageError: return .badInput
        default: return ErrorCategory.of(error) == .invalidInput ? .badInput : .refused
        }
    }
}

/// Bad usage found by vethctl itself (a missing --peer, conflicting options).
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, wrapping any error with `context`.
func step<T>(_ context: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as CommandError { throw e } catch {
        throw CommandError(context: context(), underlying: error)
    }
}
