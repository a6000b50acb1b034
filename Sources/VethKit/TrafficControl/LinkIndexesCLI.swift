import Glibc

extension NetHandle {
    /// The ifindex of each name in this handle's namespace, nil for a name no link has: one
    /// SIOCGIFINDEX ioctl per name on the handle's own netlink socket (the kernel answers for
    /// the socket's namespace, so it works for a handle opened in another one), about a
    /// microsecond each where a link dump costs the kernel and the decoder ~10 µs per link.
    /// For vethctl's batches that name thousands of links (`link impair` lines): given indexes,
    /// ``perform(_:perSend:)`` looks nothing up. Throws ``SystemCallError`` for an ioctl failing
    /// otherwise than ENODEV.
    public func linkIndexes(_ names: [InterfaceName]) throws -> [Int32?] {
        let fd = socket.fileDescriptor
        // struct ifreq: the name (IFNAMSIZ = 16 bytes, NUL-terminated), then ifr_ifindex.
        var request = [UInt8](repeating: 0, count: 40)
        return try names.map { name in
            for i in 0..<16 { request[i] = 0 }
            var i = 0
            for b in name.rawValue.utf8.prefix(15) { request[i] = b; i += 1 }
            let r = request.withUnsafeMutableBytes { ioctl(fd, UInt(SIOCGIFINDEX), $0.baseAddress!) }
            if r < 0 {
                let e = errno
                if e == ENODEV { return nil }
                throw SystemCallError("ioctl(SIOCGIFINDEX)", Errno(rawValue: e))
            }
            return request.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: Int32.self) }
        }
    }
}
