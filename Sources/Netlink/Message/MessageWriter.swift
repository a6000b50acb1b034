import CLinuxUAPI
import Glibc

/// Builds requests: the `nlmsghdr`, a fixed header struct, then attributes and nests.
/// The socket fills in the length, sequence number and port id when it sends.
///
/// One writer may hold several messages back to back (``begin(type:flags:)`` starts the next):
/// a batch is encoded straight into the buffer that is sent.
public struct MessageWriter: Sendable {
    /// The encoded bytes so far, starting with the first message's `nlmsghdr`.
    public private(set) var bytes: [UInt8]
    /// Where the message being written starts in ``bytes``.
    public private(set) var messageStart = 0

    /// Starts a message of `type` with `flags` (NLM_F_REQUEST is always added).
    public init(type: UInt16, flags: Int32 = 0) {
        bytes = []
        bytes.reserveCapacity(256)
        begin(type: type, flags: flags)
    }

    /// An empty writer, for ``begin(type:flags:)``; `capacity` bytes are reserved.
    public init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Starts the next message after those already written.
    public mutating func begin(type: UInt16, flags: Int32 = 0) {
        messageStart = bytes.count
        var h = nlmsghdr()
        h.nlmsg_type = type
        h.nlmsg_flags = UInt16(truncatingIfNeeded: flags | NLM_F_REQUEST)
        append(raw: h)
        setLength()
    }

    /// Appends `other`'s messages after those already written; the last of them becomes the
    /// current message (for ``stamp(sequence:addingFlags:)``).
    public mutating func append(messagesOf other: MessageWriter) {
        messageStart = bytes.count + other.messageStart
        bytes.append(contentsOf: other.bytes)
    }

    /// Forgets every message, keeping the buffer's capacity.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        messageStart = 0
    }

    /// Sets the current message's sequence number and adds `flags` to its flags.
    mutating func stamp(sequence: UInt32, addingFlags extra: UInt16) {
        bytes.storeLE(sequence, at: messageStart + 8)
        bytes.storeLE(flags | extra, at: messageStart + 6)
    }

    /// True when anything follows the current message's `nlmsghdr` (a header or attributes).
    public var hasAttributes: Bool { bytes.count > messageStart + MemoryLayout<nlmsghdr>.size }

    /// The current message's type.
    public var type: UInt16 { bytes.loadLE(UInt16.self, at: messageStart + 4) }
    /// The current message's flags.
    public var flags: UInt16 { bytes.loadLE(UInt16.self, at: messageStart + 6) }

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
        try attribute(type | UInt16(NLA_F_NESTED), contents: body)
    }

    /// Appends an attribute whose payload `body` writes (a struct, attributes, or both), without
    /// NLA_F_NESTED: as iproute2 writes a qdisc's TCA_OPTIONS (netem's is a `tc_netem_qopt`
    /// followed by attributes; tbf's a plain nest), so requests compare byte for byte with tc's.
    public mutating func attribute(_ type: UInt16, contents body: (inout MessageWriter) throws -> Void) rethrows {
        let start = bytes.count
        appendUInt16(0)
        appendUInt16(type)
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
        bytes.storeLE(UInt32(bytes.count - messageStart), at: messageStart)
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func storeLE<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        for i in 0..<MemoryLayout<T>.size { self[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }
}
