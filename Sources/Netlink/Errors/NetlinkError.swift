import SystemPackage

/// A refusal from the kernel (an NLMSG_ERROR with a non-zero code), with the kernel's
/// extended-ACK text and offending-attribute offset when it sent them.
public struct KernelError: Error, Sendable, CustomStringConvertible {
    /// The errno the kernel answered with.
    public let errno: Errno
    /// NLMSGERR_ATTR_MSG: the kernel's own explanation, when it gave one.
    public let message: String?
    /// NLMSGERR_ATTR_OFFS: the byte offset of the offending attribute in the request.
    public let attributeOffset: UInt32?

    public init(errno: Errno, message: String? = nil, attributeOffset: UInt32? = nil) {
        self.errno = errno
        self.message = message
        self.attributeOffset = attributeOffset
    }

    /// `File exists (EEXIST)`, followed by `: <kernel text>` when the kernel explained.
    public var description: String {
        if let message, !message.isEmpty { return "\(errno.messageAndName): \(message)" }
        return errno.messageAndName
    }
}

/// A reply that does not parse: truncated or inconsistent lengths, a message of the wrong size.
public struct MalformedMessage: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "malformed netlink message: \(reason)" }
}
