/// A network namespace's identity on this machine: the device and inode of its nsfs file (what
/// `stat /proc/PID/ns/net` reports, and `lsns` prints as NS). Two open files are the same
/// namespace exactly when both are equal.
public struct NamespaceID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    public static func < (a: NamespaceID, b: NamespaceID) -> Bool {
        (a.device, a.inode) < (b.device, b.inode)
    }

    /// `net:[4026531840]`, as the kernel names it in /proc/PID/ns/net and /proc/PID/fd links.
    public var description: String { "net:[\(inode)]" }
}
