/// A name that is already taken.
public struct AlreadyExists: CategorizedError, Equatable, Sendable, CustomStringConvertible {
    /// What kind of object (`network namespace`, …).
    public let what: String
    /// The name that is taken.
    public let name: String
    public init(_ what: String, _ name: String) {
        self.what = what
        self.name = name
    }
    /// A network namespace called `name` exists already.
    public static func namespace(_ name: String) -> AlreadyExists { AlreadyExists("network namespace", name) }
    public var category: ErrorCategory { .exists }
    /// `network namespace "t1" already exists (EEXIST)`.
    public var description: String { "\(what) \"\(name)\" already exists (EEXIST)" }
}
