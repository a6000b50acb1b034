import CLinuxUAPI
import Glibc
import Netlink

/// An open network namespace: a file descriptor on an nsfs file (`/run/netns/NAME`,
/// `/proc/PID/ns/net`, a CNI_NETNS path). The descriptor keeps the namespace alive while open.
///
/// Named namespaces are iproute2's: a bind mount under /run/netns, so `ip netns` and VethKit see
/// each other's. Nothing here changes the calling thread's namespace: work inside a namespace runs
/// on a dedicated thread (``run(_:)``), and ``NetHandle``s are sockets opened there once.
public final class NetworkNamespace: Sendable, CustomStringConvertible {
    /// Where named namespaces live.
    public static let runDirectory = "/run/netns"

    /// The open nsfs file.
    public let fileDescriptor: Int32
    /// The name under /run/netns, when opened by name (nil for the current namespace or a path).
    public let name: NamespaceName?
    /// The path it was opened from.
    public let path: String

    private init(fileDescriptor: Int32, name: NamespaceName?, path: String) {
        self.fileDescriptor = fileDescriptor
        self.name = name
        self.path = path
    }

    deinit { close(fileDescriptor) }

    public var description: String { name?.rawValue ?? path }

    /// The path of a named namespace.
    public static func path(of name: NamespaceName) -> String { "\(runDirectory)/\(name.rawValue)" }

    /// The namespace the calling thread is in.
    public static func current() throws -> NetworkNamespace {
        let fd = try syscall("open /proc/thread-self/ns/net") { Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC) }
        return NetworkNamespace(fileDescriptor: fd, name: nil, path: "/proc/thread-self/ns/net")
    }

    /// Opens a named namespace; throws ``NotFound`` when there is none of that name.
    public static func open(_ name: NamespaceName) throws -> NetworkNamespace {
        let p = path(of: name)
        let fd = Glibc.open(p, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = Errno.current
            if e == .noSuchFileOrDirectory { throw NotFound.namespace(name.rawValue) }
            throw SystemCallError("open \(p)", e)
        }
        return NetworkNamespace(fileDescriptor: fd, name: name, path: p)
    }

    /// Opens a namespace by file path (e.g. CNI_NETNS, `/proc/1234/ns/net`).
    public static func open(path: String) throws -> NetworkNamespace {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = Errno.current
            if e == .noSuchFileOrDirectory { throw NotFound.namespace(path) }
            throw SystemCallError("open \(path)", e)
        }
        return NetworkNamespace(fileDescriptor: fd, name: nil, path: path)
    }

    /// The names under /run/netns, sorted.
    public static func list() throws -> [NamespaceName] {
        guard let dir = opendir(runDirectory) else {
            if Errno.current == .noSuchFileOrDirectory { return [] }
            throw SystemCallError("opendir \(runDirectory)")
        }
        defer { closedir(dir) }
        var names: [NamespaceName] = []
        while let entry = readdir(dir) {
            let n = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if n == "." || n == ".." { continue }
            if let name = try? NamespaceName(n) { names.append(name) }
        }
        return names.sorted()
    }

    /// True when a namespace of that name exists.
    public static func exists(_ name: NamespaceName) -> Bool {
        access(path(of: name), F_OK) == 0
    }

    /// Creates a named namespace as `ip netns add` does: a new namespace made on a dedicated
    /// thread and bind-mounted onto /run/netns/NAME (with /run/netns made a shared mount point).
    /// Throws ``AlreadyExists`` when the name is taken. A failure removes the mount point.
    @discardableResult
    public static func create(_ name: NamespaceName) throws -> NetworkNamespace {
        try prepareRunDirectory()
        try onDedicatedThread { try createEnteringCallingThread(name) }
        return try open(name)
    }

    /// Deletes a named namespace: detaches the bind mount and removes the file. The kernel destroys
    /// the namespace (and every veth in it, with the peers outside) once nothing else holds it.
    public static func delete(_ name: NamespaceName) throws {
        let p = path(of: name)
        if umount2(p, Int32(MNT_DETACH)) != 0 {
            let e = Errno.current
            if e == .noSuchFileOrDirectory { throw NotFound.namespace(name.rawValue) }
            if e != .invalidArgument { throw SystemCallError("umount \(p)", e) }
            // EINVAL: not a mount point (a stale file); remove it all the same.
        }
        if unlink(p) != 0 {
            let e = Errno.current
            if e == .noSuchFileOrDirectory { throw NotFound.namespace(name.rawValue) }
            throw SystemCallError("unlink \(p)", e)
        }
    }

    /// Makes /run/netns exist and be a shared mount point, as iproute2 does, so mounts made in
    /// other mount namespaces (e.g. `ip netns exec`) see the same names. ``create(_:)`` calls it;
    /// callers of ``createEnteringCallingThread(_:)`` call it once first.
    public static func prepareRunDirectory() throws {
        if mkdir(runDirectory, 0o755) != 0, Errno.current != .fileExists {
            throw SystemCallError("mkdir \(runDirectory)")
        }
        if mount("", runDirectory, "none", UInt(MS_SHARED | MS_REC), nil) == 0 { return }
        guard Errno.current == .invalidArgument else { throw SystemCallError("mount --make-rshared \(runDirectory)") }
        try syscall("mount --bind \(runDirectory)") { mount(runDirectory, runDirectory, "none", UInt(MS_BIND | MS_REC), nil) }
        try syscall("mount --make-rshared \(runDirectory)") { mount("", runDirectory, "none", UInt(MS_SHARED | MS_REC), nil) }
    }

    /// Creates a named namespace and leaves **the calling thread** inside it: reserve
    /// /run/netns/NAME, unshare(CLONE_NEWNET), bind-mount the thread's namespace there; a failure
    /// removes the mount point. Only for threads made for the purpose (a worker pthread that builds
    /// the namespace's contents from inside, then exits) — never a Swift concurrency pool thread.
    public static func createEnteringCallingThread(_ name: NamespaceName) throws {
        let p = path(of: name)
        let fd = vk_open(p, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)
        if fd < 0 {
            let e = Errno.current
            throw e == .fileExists ? AlreadyExists.namespace(name.rawValue) : SystemCallError("create \(p)", e)
        }
        close(fd)
        do {
            try syscall("unshare(CLONE_NEWNET) for \(name)") { vk_unshare(Int32(CLONE_NEWNET)) }
            try syscall("mount --bind /proc/thread-self/ns/net \(p)") {
                mount("/proc/thread-self/ns/net", p, "none", UInt(MS_BIND), nil)
            }
        } catch {
            unlink(p)
            throw error
        }
    }

    /// Moves **the calling thread** into this namespace (setns). Same rule as
    /// ``createEnteringCallingThread(_:)``: only for threads made for the purpose.
    public func enterOnCallingThread() throws {
        try syscall("setns(\(self))") { vk_setns(fileDescriptor, Int32(CLONE_NEWNET)) }
    }

    /// Runs `body` on a dedicated thread that has entered this namespace; the caller's thread
    /// is never moved. Use it for sysctls (/proc/sys/net follows the thread) and for opening sockets.
    public func run<T>(_ body: () throws -> T) throws -> T {
        try onDedicatedThread {
            try enterOnCallingThread()
            return try body()
        }
    }

    /// Writes a sysctl (`net.ipv4.ip_forward` or `net/ipv4/ip_forward`) inside this namespace.
    public func setSysctl(_ key: String, _ value: String) throws {
        try run { try Sysctl.write(key, value) }
    }

    /// The inode of the namespace (stable identity; equal inodes mean the same namespace).
    public func inode() throws -> UInt64 {
        var st = stat()
        try syscall("fstat(\(self))") { fstat(fileDescriptor, &st) }
        return UInt64(st.st_ino)
    }
}
