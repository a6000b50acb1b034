/// An address with a prefix length, written in CIDR notation: `192.168.1.200/24`, `fd00::1/64`.
/// The host bits are kept (an interface address is one); ``network`` drops them.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The address, host bits included.
    public let address: IPAddress
    /// The prefix length, 0...32 or 0...128.
    public let prefixLength: Int

    /// Builds a prefix; throws ``InvalidInput`` when the length does not fit the family.
    public init(address: IPAddress, prefixLength: Int) throws {
        guard (0...address.bitWidth).contains(prefixLength) else {
            throw InvalidInput("CIDR", "\(address)/\(prefixLength)", "prefix length must be 0...\(address.bitWidth)")
        }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/LEN`; a bare address means a host prefix (/32 or /128) when
    /// `allowBareAddress` is true. Throws ``InvalidInput`` naming the text.
    public init(_ text: String, allowBareAddress: Bool = false) throws {
        func bad(_ why: String) -> InvalidInput { InvalidInput("CIDR", text, why) }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let addr = IPAddress(String(parts[0])) else { throw bad("\"\(parts[0])\" is not an IPv4 or IPv6 address") }
        if parts.count == 1 {
            guard allowBareAddress else { throw bad("missing /prefix-length") }
            try self.init(address: addr, prefixLength: addr.bitWidth)
            return
        }
        guard let len = Int(parts[1]), parts[1].allSatisfy(\.isNumber), (0...addr.bitWidth).contains(len) else {
            throw bad("prefix length must be a number 0...\(addr.bitWidth)")
        }
        try self.init(address: addr, prefixLength: len)
    }

    /// The network address (host bits cleared).
    public var network: IPAddress { address.masked(to: prefixLength) }
    /// This prefix with host bits cleared.
    public var masked: IPNetwork { try! IPNetwork(address: network, prefixLength: prefixLength) }
    /// True for IPv4.
    public var isIPv4: Bool { address.isIPv4 }
    /// The address family.
    public var family: AddressFamily { address.family }

    /// The prefix of every address of `family`, 0.0.0.0/0 or ::/0: a default route's destination.
    public static func all(_ family: AddressFamily) -> IPNetwork {
        try! IPNetwork(address: family == .inet6 ? .v6(0, 0) : .v4(0), prefixLength: 0)
    }

    /// True when `other` lies inside this prefix (same family).
    public func contains(_ other: IPAddress) -> Bool {
        other.isIPv4 == address.isIPv4 && other.masked(to: prefixLength) == network
    }

    /// The last address of the prefix (IPv4: the broadcast address).
    public var lastAddress: IPAddress {
        switch network {
        case .v4(let v):
            return .v4(prefixLength >= 32 ? v : v | (UInt32.max >> UInt32(prefixLength)))
        case .v6(let hi, let lo):
            if prefixLength >= 128 { return .v6(hi, lo) }
            if prefixLength <= 64 {
                return .v6(prefixLength == 64 ? hi : hi | (UInt64.max >> UInt64(prefixLength)), UInt64.max)
            }
            return .v6(hi, lo | (UInt64.max >> UInt64(prefixLength - 64)))
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
