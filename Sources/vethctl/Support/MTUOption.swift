import VethKit

/// `--mtu VALUE`: read with `parsing: .unconditional`, so `--mtu -1` reaches vethctl (instead of
/// argument-parser taking `-1` for an option and saying the value is missing) and is refused
/// naming "-1". The syntax is checked before any syscall; the range is the kernel's.
enum MTUOption {
    /// The MTU a new veth, bridge or dummy takes: the kernel's ETH_MIN_MTU...ETH_MAX_MTU for these
    /// kinds (include/uapi/linux/if_ether.h), known before the device exists.
    static let newLinkRange: ClosedRange<UInt32> = 68...65535

    /// A decimal number of bytes that fits the kernel's int; nil when not given.
    static func parse(_ value: String?) throws -> UInt32? {
        guard let value else { return nil }
        guard !value.isEmpty, value.utf8.count <= 10, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let v = UInt32(value), v <= UInt32(Int32.max) else {
            throw InvalidInput("MTU", value, "must be a whole number of bytes")
        }
        return v
    }

    /// For `link add`: the syntax, and the range every new veth, bridge and dummy has.
    static func parseForNewLink(_ value: String?) throws -> UInt32? {
        guard let v = try parse(value) else { return nil }
        guard newLinkRange.contains(v) else {
            throw InvalidInput("MTU", value!, "must be \(newLinkRange.lowerBound)...\(newLinkRange.upperBound) for a new veth, bridge or dummy")
        }
        return v
    }

    /// For `link set`: `mtu` against the range the kernel reports for `link` (IFLA_MIN_MTU/IFLA_MAX_MTU).
    static func check(_ mtu: UInt32, for link: Link) throws {
        guard let range = link.mtuRange, !range.contains(mtu) else { return }
        throw InvalidInput("MTU", String(mtu), "must be \(range.lowerBound)...\(range.upperBound) for \(link.name) (the kernel's limits for this device)")
    }
}
