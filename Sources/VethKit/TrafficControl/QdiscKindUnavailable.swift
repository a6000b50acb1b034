/// The kernel lacks a qdisc kind an operation needs (sch_netem is missing from slim kernels).
/// Found before anything is changed.
public struct QdiscKindUnavailable: CategorizedError, Hashable, Sendable, CustomStringConvertible {
    /// The missing kind (`netem`).
    public let kind: String
    /// What needed it (`delay 20ms loss 1%`), for the message.
    public let neededFor: String?

    public init(kind: String, neededFor: String? = nil) { (self.kind, self.neededFor) = (kind, neededFor) }

    public var category: ErrorCategory { .unsupported }

    /// For netem: `this kernel has no sch_netem (delay, loss… need it; rate alone works with tbf)`.
    public var description: String {
        if kind == "netem" {
            let what = neededFor.map { " (\($0))" } ?? ""
            return "this kernel has no sch_netem (delay, loss… need it; rate alone works with tbf)\(what)"
        }
        return "this kernel has no sch_\(kind) (the \(kind) qdisc)"
    }
}
