/// Something named does not exist: a link, a namespace, an address.
public struct NotFound: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of object ("link", "namespace", …).
    public let what: String
    /// Its name as given.
    public let name: String
    /// Where it was looked for, when that matters (a namespace name).
    public let place: String?

    public init(_ what: String, _ name: String, in place: String? = nil) {
        self.what = what
        self.name = name
        self.place = place
    }

    public static func namespace(_ name: String) -> NotFound { NotFound("network namespace", name) }
    public static func link(_ name: String, in place: String? = nil) -> NotFound { NotFound("link", name, in: place) }

    public var description: String {
        if let place { return "no \(what) \"\(name)\" in namespace \(place)" }
        return "no \(what) \"\(name)\""
    }
}

/// A name that is already taken.
public struct AlreadyExists: Error, Equatable, Sendable, CustomStringConvertible {
    public let what: String
    public let name: String
    public init(_ what: String, _ name: String) {
        self.what = what
        self.name = name
    }
    public static func namespace(_ name: String) -> AlreadyExists { AlreadyExists("network namespace", name) }
    public var description: String { "\(what) \"\(name)\" already exists (EEXIST)" }
}
