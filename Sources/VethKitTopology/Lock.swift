import Glibc
import VethKit

/// An exclusive lock per topology: `flock` on /run/vethkit/<name>.lock, so two `up`/`down` of one
/// topology never interleave. The kernel releases it when the process dies (kill -9 included).
public final class TopologyLock {
    public static let directory = "/run/vethkit"
    let fd: Int32
    public let path: String

    /// Takes the lock; waits up to `timeout` seconds (0: fail at once), then throws ``Busy``.
    public init(topology: String, timeout: Double = 30) throws {
        try validateTopologyName(topology)
        mkdir(Self.directory, 0o755)
        path = "\(Self.directory)/\(topology).lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemCallError("open \(path)") }
        self.fd = fd
        let deadline = monotonicSeconds() + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { close(fd); throw SystemCallError("flock \(path)") }
            if monotonicSeconds() >= deadline { close(fd); throw Busy(topology: topology, path: path) }
            usleep(10_000)
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    public struct Busy: Error, CustomStringConvertible {
        public var topology: String
        public var path: String
        public var description: String { "topology \(topology) is busy: another vethctl up/down holds \(path)" }
    }
}
