/// An nsfs bind mount of a network namespace, found in some mount namespace's mountinfo:
/// /run/netns/NAME, /run/docker/netns/ID, /run/user/UID/netns/NAME, a CNI_NETNS path…
public struct NamespaceMount: Hashable, Sendable {
    /// The mount point as seen inside its mount namespace.
    public var path: String
    /// The inode of the mount namespace it was found in.
    public var mountNamespace: UInt64
    /// A live process in that mount namespace: the mount is reachable as /proc/PID/root + path.
    public var viaPID: Int32
    /// True when the mount is visible in the caller's own mount namespace at `path`.
    public var isInCallersMountNamespace: Bool

    public init(path: String, mountNamespace: UInt64, viaPID: Int32, isInCallersMountNamespace: Bool) {
        self.path = path
        self.mountNamespace = mountNamespace
        self.viaPID = viaPID
        self.isInCallersMountNamespace = isInCallersMountNamespace
    }
}
