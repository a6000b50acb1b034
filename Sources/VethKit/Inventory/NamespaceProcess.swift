/// A process that keeps a network namespace alive: one of its threads is in it, or it holds an
/// nsfs file of it open.
public struct NamespaceProcess: Hashable, Sendable {
    /// How the process holds the namespace.
    public enum Hold: Hashable, Sendable {
        /// The process (its /proc/PID/ns/net) is in the namespace.
        case member
        /// One of its threads (not the main one) is in it: /proc/PID/task/TID/ns/net.
        case thread(Int32)
        /// It holds the namespace only through an open file descriptor: /proc/PID/fd/N.
        case fileDescriptor(Int32)
    }

    public var pid: Int32
    /// /proc/PID/comm (terminal-unsafe bytes are the printer's business, not this value's).
    public var command: String
    /// The real uid (/proc/PID/status `Uid:` first field).
    public var uid: UInt32
    public var hold: Hold

    public init(pid: Int32, command: String, uid: UInt32, hold: Hold) {
        self.pid = pid
        self.command = command
        self.uid = uid
        self.hold = hold
    }
}
