import CLinuxUAPI

/// A qdisc handle or parent, `major:minor` (tc writes `564b:` for minor 0, `1:2` otherwise).
/// ``vethkit`` (`564b:`) is VethKit's ownership mark: VethKit changes or deletes only a root qdisc
/// with that handle, or attaches one where the kernel's default is.
public struct QdiscHandle: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `major:minor`.
    public init(major: UInt16, minor: UInt16 = 0) { rawValue = UInt32(major) << 16 | UInt32(minor) }

    /// The upper 16 bits.
    public var major: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }
    /// The lower 16 bits.
    public var minor: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// TC_H_ROOT: the root of a device (as a parent).
    public static let root = QdiscHandle(rawValue: TC_H_ROOT)
    /// TC_H_INGRESS (`ffff:fff1`): the ingress / clsact hook (as a parent).
    public static let ingress = QdiscHandle(rawValue: TC_H_INGRESS)
    /// TC_H_UNSPEC (0): no handle; the kernel's default qdiscs have it.
    public static let unspecified = QdiscHandle(rawValue: TC_H_UNSPEC)
    /// `564b:` ("VK"): the handle of every qdisc VethKit attaches, and its ownership mark.
    public static let vethkit = QdiscHandle(major: 0x564b)

    /// Parses `564b:`, `1:2`, `ffff:` (hex, as tc), `root`, `ingress` or `none` (unspecified).
    /// Throws ``InvalidInput`` naming the value otherwise.
    public init(parsing text: String) throws {
        switch text {
        case "root": self = .root; return
        case "ingress": self = .ingress; return
        case "none": self = .unspecified; return
        default: break
        }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        func hex(_ s: Substring) -> UInt16? {
            guard s.utf8.count <= 4, s.utf8.allSatisfy({ TCNumber.isDigit($0) || (0x61...0x66).contains($0 | 0x20) }) else { return nil }
            return s.isEmpty ? 0 : UInt16(s, radix: 16)
        }
        guard parts.count == 2, !parts[0].isEmpty, let major = hex(parts[0]), let minor = hex(parts[1]) else {
            throw InvalidInput("qdisc handle", text, "expected MAJOR: or MAJOR:MINOR in hex (e.g. 564b:, 1:2), root or none")
        }
        self.init(major: major, minor: minor)
    }

    /// As tc prints it: `root`, `ingress`, `0:` for none… then `564b:` or `1:2` (hex).
    public var description: String {
        switch self {
        case .root: return "root"
        case .ingress: return "ingress"
        default: return minor == 0 ? "\(String(major, radix: 16)):" : "\(String(major, radix: 16)):\(String(minor, radix: 16))"
        }
    }
}
