/// A 48-bit Ethernet address, written `aa:bb:cc:dd:ee:ff`.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The six bytes, in wire order.
    public let bytes: [UInt8]

    /// Parses `aa:bb:cc:dd:ee:ff` (or `-` separators); throws ``InvalidInput`` otherwise.
    public init(_ text: String) throws {
        let parts = text.split(separator: text.contains("-") ? "-" : ":", omittingEmptySubsequences: false)
        var out: [UInt8] = []
        for p in parts {
            guard p.utf8.count == 2 || p.utf8.count == 1, let v = UInt8(p, radix: 16) else {
                throw InvalidInput("MAC address", text, "expected six hex bytes like 02:00:00:00:00:01")
            }
            out.append(v)
        }
        guard out.count == 6 else {
            throw InvalidInput("MAC address", text, "expected six hex bytes like 02:00:00:00:00:01")
        }
        if out[0] & 1 == 1 { throw InvalidInput("MAC address", text, "a multicast address cannot be a device address") }
        bytes = out
    }

    /// Parses `aa:bb:cc:dd:ee:ff` as a neighbour's or forwarding entry's address, which may be a
    /// multicast one (ff02::16's 33:33:00:00:00:16) that ``init(_:)`` refuses for a device; throws
    /// ``InvalidInput`` naming `field` otherwise.
    public init(entryAddress text: String, field: String = "MAC address") throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let bytes = parts.compactMap { $0.utf8.count <= 2 && !$0.isEmpty ? UInt8($0, radix: 16) : nil }
        guard parts.count == 6, bytes.count == 6 else { throw InvalidInput(field, text, "expected six hex bytes like 02:00:00:00:00:01") }
        self.bytes = bytes
    }

    /// Wraps bytes read from the kernel (any length: some link types have longer addresses).
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A random locally administered unicast address.
    public static func random() -> MACAddress {
        var b = (0..<6).map { _ in UInt8.random(in: 0...255) }
        b[0] = (b[0] & 0xfe) | 0x02
        return MACAddress(bytes: b)
    }

    public var description: String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for (i, b) in bytes.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ":")) }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
