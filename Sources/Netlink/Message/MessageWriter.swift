import CLinuxUAPI
import Glibc

/// Builds one request: the `nlmsghdr`, a fixed header struct, then attributes and nests.
/// The socket fills in the length, sequence number and port id when it sends.
public struct MessageWriter: Sendable {
    /// The encoded bytes so far, starting with the `nlmsghdr`.
    public private(set) var bytes: [UInt8]

    /// Starts a message of `type` with `flags` (NLM_F_REQUEST is always added).
    public init(type: UInt16, flags: Int32 = 0) {
        bytes = []
        bytes.reserveCapacity(256)
        var h = nlmsghdr()
        h.nlmsg_type = type
        h.nlmsg_flags = UInt16(truncatingIfNeeded: flags | NLM_F_REQUEST)
        append(raw: h)
        setLength()
    }

    /// True when anything follows the `nlmsghdr` (a header or attributes).
    public var hasAttributes: Bool { bytes.count > MemoryLayout<nlmsghdr>.size }

    /// The message type.
    public var type: UInt16 { bytes.loadLE(UInt16.self, at: 4) }
    /// The flags.
    public var flags: UInt16 { bytes.loadLE(UInt16.self, at: 6) }

    /// Appends a fixed header (e.g. `ifinfomsg`), padded to 4 bytes.
    public mutating func append<T>(header value: T) {
        append(raw: value)
        setLength()
    }

    /// Appends one attribute with a raw payload.
    public mutating func attribute<C: Collection>(_ type: UInt16, _ payload: C) where C.Element == UInt8 {
        let len = 4 + payload.count
        appendUInt16(UInt16(len))
        appendUInt16(type)
        bytes.append(contentsOf: payload)
        pad()
        setLength()
    }

    /// Appends an attribute whose payload is the raw bytes of a value (a C struct or an integer in host order).
    public mutating func attribute<T: BitwiseCopyable>(_ type: UInt16, value: T) {
        withUnsafeBytes(of: value) { attribute(type, $0) }
    }

    public mutating func attribute(_ type: UInt16, uint8 v: UInt8) { attribute(type, CollectionOfOne(v)) }
    public mutating func attribute(_ type: UInt16, uint16 v: UInt16) { attribute(type, value: v) }
    public mutating func attribute(_ type: UInt16, uint32 v: UInt32) { attribute(type, value: v) }
    public mutating func attribute(_ type: UInt16, int32 v: Int32) { attribute(type, value: v) }

    /// Appends a NUL-terminated string attribute.
    public mutating func attribute(_ type: UInt16, string: String) {
        attribute(type, Array(string.utf8) + [0])
    }

    /// Appends a nested attribute; `body` writes its contents (attributes, or a header + attributes).
    public mutating func nested(_ type: UInt16, _ body: (inout MessageWriter) throws -> Void) rethrows {
        let start = bytes.count
        appendUInt16(0)
        appendUInt16(type | UInt16(NLA_F_NESTED))
        try body(&self)
        let len = UInt16(bytes.count - start)
        bytes[start] = UInt8(truncatingIfNeeded: len)
        bytes[start + 1] = UInt8(truncatingIfNeeded: len >> 8)
        setLength()
    }

    /// The finished bytes with `nlmsg_seq` and `nlmsg_pid` set.
    public func encoded(sequence: UInt32, portID: UInt32 = 0) -> [UInt8] {
        var b = bytes
        b.storeLE(sequence, at: 8)
        b.storeLE(portID, at: 12)
        return b
    }

    private mutating func append<T>(raw value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        pad()
    }

    private mutating func appendUInt16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    private mutating func setLength() {
        bytes.storeLE(UInt32(bytes.count), at: 0)
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func storeLE<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        for i in 0..<MemoryLayout<T>.size { self[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }
}
