import CLinuxUAPI
import Glibc
import Netlink

/// Thread-level steps for code that builds a namespace from inside, on a thread made for the
/// purpose (a worker pthread that exits afterwards, so the change dies with it) — never the main
/// thread of a long-lived process, never a Swift concurrency pool thread. `ip netns add` is
/// ``NetworkNamespace/create(_:)``; these are its two halves, for callers that must do something
/// in between (mark the namespace before it gets its name).
extension NetworkNamespace {
    /// Moves **the calling thread** into a new network namespace that has no name yet
    /// (`unshare(CLONE_NEWNET)`). Nothing else holds it: it dies with the thread (or the process)
    /// unless ``bindCallingThread(onto:)`` names it first.
    public static func unshareCallingThread() throws {
        try syscall("unshare(CLONE_NEWNET)") { vk_unshare(Int32(CLONE_NEWNET)) }
    }

    /// Names **the calling thread's** namespace: bind-mounts `/proc/thread-self/ns/net` over the
    /// existing file at `path` (a file the caller created under ``runDirectory``), as `ip netns
    /// add` does once it has reserved the name. Throws ``SystemCallError`` and mounts nothing on
    /// failure (the file stays: it is the caller's).
    public static func bindCallingThread(onto path: String) throws {
        try syscall("mount --bind /proc/thread-self/ns/net \(path)") {
            mount("/proc/thread-self/ns/net", path, "none", UInt(MS_BIND), nil)
        }
    }
}
