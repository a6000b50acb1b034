import CLinuxUAPI
import Glibc

/// A network interface name the kernel will accept: 1–15 bytes (IFNAMSIZ − 1), no `/`, `:`,
/// whitespace or NUL, and not `.` or `..` (see the kernel's `dev_valid_name`).
public struct InterfaceName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name as the kernel stores it.
    public let rawValue: String

    /// Validates `name`; throws ``InvalidInput`` naming it when the kernel would refuse it.
    public init(_ name: String) throws {
        try Self.validate(name)
        rawValue = name
    }

    /// The longest name the kernel takes: IFNAMSIZ - 1 bytes.
    public static let maxLength = Int(IF_NAMESIZE) - 1

    /// Throws ``InvalidInput`` when `name` is not a valid interface name.
    public static func validate(_ name: String) throws {
        let bytes = Array(name.utf8)
        func bad(_ why: String) -> InvalidInput { InvalidInput("interface name", name, why) }
        if bytes.isEmpty { throw bad("empty") }
        if bytes.count >= maxLength + 1 { throw bad("longer than \(maxLength) bytes") }
        if name == "." || name == ".." { throw bad("\"\(name)\" is reserved") }
        for b in bytes {
            switch b {
            case 0: throw bad("contains NUL")
            case UInt8(ascii: "/"): throw bad("contains '/'")
            case UInt8(ascii: ":"): throw bad("contains ':'")
            case UInt8(ascii: " "), 0x09...0x0d: throw bad("contains whitespace")
            default: continue
            }
        }
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}
