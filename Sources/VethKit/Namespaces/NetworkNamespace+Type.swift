import CLinuxUAPI
import Glibc
import Netlink

/// NS_GET_NSTYPE from linux/nsfs.h, `_IO(0xb7, 0x3)` (a function-like macro Swift cannot import).
let nsGetNSType = UInt(0xb703)

extension NetworkNamespace {
    /// True when the open file is a network namespace (NS_GET_NSTYPE answers CLONE_NEWNET only
    /// for a network namespace's nsfs file; a plain file, a directory or another namespace type
    /// answers otherwise).
    public var isNetworkNamespace: Bool {
        ioctl(fileDescriptor, nsGetNSType) == Int32(CLONE_NEWNET)
    }

    /// True when `path` opens and is a network namespace file.
    public static func isNetworkNamespace(path: String) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return ioctl(fd, nsGetNSType) == Int32(CLONE_NEWNET)
    }

    /// Opens `path` and checks it is a network namespace file: ``NotFound`` when there is no such
    /// file, ``InvalidInput`` when it is not a network namespace.
    public static func openChecked(path: String) throws -> NetworkNamespace {
        let ns = try open(path: path)
        guard ns.isNetworkNamespace else {
            throw InvalidInput("network namespace file", path, "not a network namespace file")
        }
        return ns
    }

    /// True when this and `other` are the same namespace (same nsfs device and inode).
    public func isSame(as other: NetworkNamespace) throws -> Bool {
        var a = stat(), b = stat()
        try syscall("fstat(\(self))") { fstat(fileDescriptor, &a) }
        try syscall("fstat(\(other))") { fstat(other.fileDescriptor, &b) }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }
}
