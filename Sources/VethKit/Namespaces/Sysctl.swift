import Glibc
import Netlink

/// Reads and writes kernel parameters under /proc/sys. Network sysctls belong to the calling
/// thread's namespace: call these inside ``NetworkNamespace/run(_:)`` to reach another one.
public enum Sysctl {
    /// The /proc/sys path of a key given as `net.ipv4.ip_forward` or `net/ipv4/ip_forward`.
    /// Throws ``InvalidInput`` for keys that would leave /proc/sys.
    public static func path(of key: String) throws -> String {
        let rel = key.contains("/") ? key : key.replacingDots()
        let parts = rel.split(separator: "/")
        guard !parts.isEmpty, !parts.contains(".."), !parts.contains("."), !key.utf8.contains(0) else {
            throw InvalidInput("sysctl", key, "not a sysctl key")
        }
        return "/proc/sys/" + parts.joined(separator: "/")
    }

    /// Writes `value` to the sysctl `key`.
    public static func write(_ key: String, _ value: String) throws {
        let p = try path(of: key)
        let fd = Glibc.open(p, O_WRONLY | O_CLOEXEC)
        if fd < 0 {
            let e = Errno.current
            if e == .noSuchFileOrDirectory { throw InvalidInput("sysctl", key, "no such sysctl") }
            throw SystemCallError("open \(p)", e)
        }
        defer { close(fd) }
        let bytes = Array((value + "\n").utf8)
        try syscall("write \(p)") { bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }
    }

    /// Reads the sysctl `key`, without the trailing newline.
    public static func read(_ key: String) throws -> String {
        let p = try path(of: key)
        let fd = Glibc.open(p, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemCallError("open \(p)") }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = try syscall("read \(p)") { buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
        var s = String(decoding: buf[0..<n], as: UTF8.self)
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}

extension String {
    /// `net.ipv4.conf.eth0/1.forwarding`-style keys: dots become slashes (a `/` in an interface
    /// name of a dotted key stays a `.` there, as sysctl(8) does for VLAN names).
    func replacingDots() -> String {
        String(map { $0 == "." ? "/" : $0 })
    }
}
