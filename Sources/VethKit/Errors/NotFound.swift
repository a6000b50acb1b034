/// Something named does not exist: a link, a namespace, an address, a route, a file.
public struct NotFound: CategorizedError, Equatable, Sendable, CustomStringConvertible {
    /// The kinds of objects VethKit looks up.
    public enum Kind: String, Sendable, Hashable, CustomStringConvertible {
        case link
        case namespace = "network namespace"
        case address
        case route
        case file
        case bridge
        case peer
        case neighbour
        case alternativeName = "alternative name"
        case fdbEntry = "fdb entry"
        case rule = "policy rule"
        case nexthop = "nexthop object"

        /// How it reads in a message: `network namespace`, `link`…
        public var description: String { rawValue }
    }

    /// What kind of object was missing.
    public let kind: Kind
    /// Its name as given.
    public let name: String
    /// Where it was looked for, when that matters (a namespace name).
    public let place: String?

    public init(_ kind: Kind, _ name: String, in place: String? = nil) {
        self.kind = kind
        self.name = name
        self.place = place
    }

    /// No network namespace called `name`.
    public static func namespace(_ name: String) -> NotFound { NotFound(.namespace, name) }
    /// No link called `name` (in the namespace called `place`, when given).
    public static func link(_ name: String, in place: String? = nil) -> NotFound { NotFound(.link, name, in: place) }

    public var category: ErrorCategory { .notFound }

    /// `no link "veth0" in namespace t1`.
    public var description: String {
        if let place { return "no \(kind) \"\(name)\" in namespace \(place)" }
        return "no \(kind) \"\(name)\""
    }
}
