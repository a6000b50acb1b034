import CLinuxUAPI
import Glibc

/// One netlink message: the `nlmsghdr` fields and the payload that follows the header.
public struct NetlinkMessage: Sendable {
    /// `nlmsg_type`: RTM_NEWLINK, NLMSG_ERROR, NLMSG_DONE, …
    public var type: UInt16
    /// `nlmsg_flags`.
    public var flags: UInt16
    /// `nlmsg_seq`.
    public var sequence: UInt32
    /// `nlmsg_pid`: the sender's port id (0 for the kernel).
    public var portID: UInt32
    /// The bytes after the header (up to `nlmsg_len`).
    public var payload: ArraySlice<UInt8>

    public init(type: UInt16, flags: UInt16 = 0, sequence: UInt32 = 0, portID: UInt32 = 0, payload: ArraySlice<UInt8>) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
        self.payload = payload
    }

    static let headerSize = MemoryLayout<nlmsghdr>.size

    /// Splits a datagram into messages. Throws ``MalformedMessage`` on any length that does not
    /// fit; never reads out of bounds and always makes progress.
    public static func parse(_ buffer: [UInt8]) throws -> [NetlinkMessage] {
        var out: [NetlinkMessage] = []
        var offset = 0
        while buffer.count - offset >= headerSize {
            let len = Int(buffer.loadLE(UInt32.self, at: offset))
            guard len >= headerSize else { throw MalformedMessage("nlmsg_len \(len) is smaller than the header") }
            guard len <= buffer.count - offset else {
                throw MalformedMessage("nlmsg_len \(len) runs past the end of the datagram (\(buffer.count - offset) bytes left)")
            }
            out.append(NetlinkMessage(
                type: buffer.loadLE(UInt16.self, at: offset + 4),
                flags: buffer.loadLE(UInt16.self, at: offset + 6),
                sequence: buffer.loadLE(UInt32.self, at: offset + 8),
                portID: buffer.loadLE(UInt32.self, at: offset + 12),
                payload: buffer[(offset + headerSize)..<(offset + len)]))
            offset += Int(vk_nlmsg_align(UInt32(len)))
        }
        return out
    }

    /// The fixed header struct at the start of the payload (`ifinfomsg`, `ifaddrmsg`, `rtmsg`, …).
    /// Throws when the payload is too short for it.
    public func header<T>(_ type: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard payload.count >= size else {
            throw MalformedMessage("payload of \(payload.count) bytes is shorter than \(T.self) (\(size))")
        }
        return payload.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }

    /// The attributes after a fixed header of type `T` (aligned to 4 bytes).
    public func attributes<T>(after type: T.Type) throws -> AttributeList {
        let start = Int(vk_nlmsg_align(UInt32(MemoryLayout<T>.size)))
        guard payload.count >= start else {
            throw MalformedMessage("payload of \(payload.count) bytes is shorter than \(T.self) (\(start))")
        }
        return try AttributeList(parsing: payload.dropFirst(start))
    }

    /// Calls `body` with each attribute after a fixed header of type `T`, without collecting them.
    public func forEachAttribute<T>(after type: T.Type, _ body: (Attribute) throws -> Void) throws {
        let start = Int(vk_nlmsg_align(UInt32(MemoryLayout<T>.size)))
        guard payload.count >= start else {
            throw MalformedMessage("payload of \(payload.count) bytes is shorter than \(T.self) (\(start))")
        }
        try AttributeList.scan(payload.dropFirst(start), body)
    }

    /// True when the kernel marks a dump part as inconsistent (the table changed mid-dump).
    public var isDumpInterrupted: Bool { flags & UInt16(NLM_F_DUMP_INTR) != 0 }
}

extension Collection where Element == UInt8, Index == Int {
    /// Reads a little-endian (host order on Linux x86/ARM) integer at an absolute index.
    @inline(__always)
    func loadLE<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var v: T = 0
        for i in 0..<MemoryLayout<T>.size { v |= T(self[offset + i]) << (8 * i) }
        return v
    }
}
