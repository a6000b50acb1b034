import CLinuxUAPI
import Glibc

/// One netlink attribute (`nlattr`/`rtattr`): its type and payload.
public struct Attribute: Sendable {
    /// The type with the NLA_F_NESTED and NLA_F_NET_BYTEORDER bits removed.
    public let type: UInt16
    /// The payload, without header or padding.
    public let value: ArraySlice<UInt8>

    public init(type: UInt16, value: ArraySlice<UInt8>) {
        self.type = type
        self.value = value
    }

    /// The payload as a fixed-size integer in host order; throws when the size differs.
    public func integer<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        guard value.count >= MemoryLayout<T>.size else {
            throw MalformedMessage("attribute \(type): \(value.count) bytes, expected \(MemoryLayout<T>.size)")
        }
        return value.loadLE(T.self, at: value.startIndex)
    }

    public var uint8: UInt8? { try? integer(UInt8.self) }
    public var uint16: UInt16? { try? integer(UInt16.self) }
    public var uint32: UInt32? { try? integer(UInt32.self) }
    public var int32: Int32? { try? integer(Int32.self) }
    public var uint64: UInt64? { try? integer(UInt64.self) }

    /// The payload as a string, up to the first NUL.
    public var string: String {
        String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The payload as a C struct (shorter payloads are zero-filled, as the kernel's structs grow at the end).
    public func structure<T>(_: T.Type) -> T {
        var bytes = [UInt8](value.prefix(MemoryLayout<T>.size))
        if bytes.count < MemoryLayout<T>.size { bytes += [UInt8](repeating: 0, count: MemoryLayout<T>.size - bytes.count) }
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }

    /// The payload parsed as nested attributes.
    public func nested() throws -> AttributeList {
        try AttributeList(parsing: value)
    }
}

/// The attributes of a message or a nest, parsed eagerly and checked for consistent lengths.
public struct AttributeList: Sendable, RandomAccessCollection {
    public private(set) var elements: [Attribute]

    public init() { elements = [] }

    /// Parses attributes from `bytes`; throws ``MalformedMessage`` when a length does not fit.
    /// Trailing bytes shorter than an attribute header are ignored, as the kernel does.
    public init(parsing bytes: ArraySlice<UInt8>) throws {
        var out: [Attribute] = []
        try Self.scan(bytes) { out.append($0) }
        elements = out
    }

    /// Calls `body` with each attribute of `bytes` in order, without collecting them (for decoders
    /// that look at every attribute once, such as a link dump's thousands of messages).
    public static func scan(_ bytes: ArraySlice<UInt8>, _ body: (Attribute) throws -> Void) throws {
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= 4 {
            let len = Int(bytes.loadLE(UInt16.self, at: offset))
            let rawType = bytes.loadLE(UInt16.self, at: offset + 2)
            guard len >= 4 else { throw MalformedMessage("attribute length \(len) is smaller than its header") }
            guard len <= bytes.endIndex - offset else {
                throw MalformedMessage("attribute \(rawType & UInt16(vk_nla_type_mask())) of \(len) bytes runs past its container")
            }
            try body(Attribute(type: rawType & UInt16(vk_nla_type_mask()), value: bytes[(offset + 4)..<(offset + len)]))
            offset += Int(vk_nla_align(UInt32(len)))
        }
    }

    public var startIndex: Int { elements.startIndex }
    public var endIndex: Int { elements.endIndex }
    public subscript(i: Int) -> Attribute { elements[i] }

    /// The first attribute of `type`, if any (the kernel sends each at most once).
    public subscript(type: UInt16) -> Attribute? {
        elements.first { $0.type == type }
    }

    /// The first attribute whose type is the given C enum value.
    public subscript<E: RawRepresentable>(type: E) -> Attribute? where E.RawValue: BinaryInteger {
        self[UInt16(type.rawValue)]
    }
}
