import CLinuxUAPI
import Glibc

/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// IPv4, host byte order.
    case v4(UInt32)
    /// IPv6 as two 64-bit halves, host byte order.
    case v6(UInt64, UInt64)

    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text form; nil when it is neither.
    public init?(_ text: String) {
        if text.contains(":") {
            var a = in6_addr()
            guard inet_pton(AF_INET6, text, &a) == 1 else { return nil }
            self.init(bytes: withUnsafeBytes(of: &a) { Array($0) })
        } else {
            var a = in_addr()
            guard inet_pton(AF_INET, text, &a) == 1 else { return nil }
            self.init(bytes: withUnsafeBytes(of: &a) { Array($0) })
        }
    }

    /// Parses like ``init(_:)`` but throws ``InvalidInput`` naming the text.
    public init(parsing text: String) throws {
        guard let a = IPAddress(text) else { throw InvalidInput("IP address", text, "not an IPv4 or IPv6 address") }
        self = a
    }

    /// An address from 4 or 16 bytes in network order; nil for any other length.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        let b = Array(bytes)
        switch b.count {
        case 4:
            self = .v4(b.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            let hi = b[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let lo = b[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self = .v6(hi, lo)
        default:
            return nil
        }
    }

    /// The address in network byte order (4 or 16 bytes).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let v): return (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) }
        case .v6(let hi, let lo):
            return (0..<8).map { UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64($0))) }
                + (0..<8).map { UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64($0))) }
        }
    }

    /// The address family: ``AddressFamily/inet`` or ``AddressFamily/inet6``.
    public var family: AddressFamily { isIPv4 ? .inet : .inet6 }

    /// The all-zero address of `family` (0.0.0.0 or ::); nil for a family other than inet/inet6.
    public static func zero(_ family: AddressFamily) -> IPAddress? {
        switch family {
        case .inet: .v4(0)
        case .inet6: .v6(0, 0)
        default: nil
        }
    }
    /// True for IPv4.
    public var isIPv4: Bool { if case .v4 = self { return true } else { return false } }
    /// The number of bits: 32 or 128.
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    /// True for fe80::/10.
    public var isIPv6LinkLocal: Bool {
        if case .v6(let hi, _) = self { return hi >> 54 == 0x3fa }
        return false
    }

    /// The address `n` further on (negative: back); nil when that leaves the address space.
    public func advanced(by n: Int) -> IPAddress? {
        switch self {
        case .v4(let v):
            let r = Int64(v) + Int64(n)
            guard r >= 0, r <= Int64(UInt32.max) else { return nil }
            return .v4(UInt32(r))
        case .v6(let hi, let lo):
            if n >= 0 {
                let (l, o) = lo.addingReportingOverflow(UInt64(n))
                if o { guard hi < UInt64.max else { return nil }; return .v6(hi + 1, l) }
                return .v6(hi, l)
            } else {
                let (l, o) = lo.subtractingReportingOverflow(UInt64(-n))
                if o { guard hi > 0 else { return nil }; return .v6(hi - 1, l) }
                return .v6(hi, l)
            }
        }
    }

    /// The address with only the first `prefix` bits kept.
    public func masked(to prefix: Int) -> IPAddress {
        switch self {
        case .v4(let v):
            return .v4(prefix <= 0 ? 0 : prefix >= 32 ? v : v & ~(UInt32.max >> UInt32(prefix)))
        case .v6(let hi, let lo):
            if prefix <= 0 { return .v6(0, 0) }
            if prefix >= 128 { return self }
            if prefix <= 64 {
                return .v6(prefix == 64 ? hi : hi & ~(UInt64.max >> UInt64(prefix)), 0)
            }
            return .v6(hi, lo & ~(UInt64.max >> UInt64(prefix - 64)))
        }
    }

    public var description: String {
        var b = bytes
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(Int32(family.rawValue), &b, &buf, socklen_t(buf.count))
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): return x < y
        case (.v6(let h1, let l1), .v6(let h2, let l2)): return (h1, l1) < (h2, l2)
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }
}
