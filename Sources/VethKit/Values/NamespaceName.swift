/// A named network namespace's name: a file name under /run/netns, as `ip netns add` takes it:
/// 1–255 bytes, no `/` or NUL, not `.` or `..`.
public struct NamespaceName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name, as the file under /run/netns is called.
    public let rawValue: String

    /// Validates `name`; throws ``InvalidInput`` naming it when it cannot be a namespace name.
    public init(_ name: String) throws {
        let bytes = Array(name.utf8)
        func bad(_ why: String) -> InvalidInput { InvalidInput("namespace name", name, why) }
        if bytes.isEmpty { throw bad("empty") }
        if bytes.count > 255 { throw bad("longer than 255 bytes") }
        if name == "." || name == ".." { throw bad("\"\(name)\" is reserved") }
        if bytes.contains(0) { throw bad("contains NUL") }
        if bytes.contains(UInt8(ascii: "/")) { throw bad("contains '/'") }
        rawValue = name
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}
