import CLinuxUAPI
import Glibc
import Netlink
import Synchronization

/// A handle on one network namespace: an rtnetlink socket opened inside it, once. Every
/// operation on links, addresses and routes goes through a handle; the calling thread's namespace
/// is never changed. A handle is safe to share between threads (requests are serialised).
public final class NetHandle: Sendable {
    /// The netlink socket, bound to the handle's namespace.
    let socket: NetlinkSocket
    /// The namespace the handle works in (kept open for namespace-relative operations).
    public let namespace: NetworkNamespace
    /// Handles on other namespaces this one needed (veth ends created there), by namespace inode.
    private let others = Mutex<[UInt64: NetHandle]>([:])

    /// A handle on the calling thread's namespace.
    public init() throws {
        namespace = try NetworkNamespace.current()
        socket = try NetlinkSocket()
    }

    /// A handle on `namespace`: the socket is opened by a dedicated thread inside it.
    public init(namespace: NetworkNamespace) throws {
        self.namespace = namespace
        socket = try namespace.run { try NetlinkSocket() }
    }

    /// A handle on the named namespace; throws ``NotFound`` when it does not exist.
    public convenience init(named name: NamespaceName) throws {
        try self.init(namespace: NetworkNamespace.open(name))
    }

    /// A handle on the named namespace, or on the current one for nil.
    public convenience init(_ name: NamespaceName?) throws {
        if let name { try self.init(named: name) } else { try self.init() }
    }

    /// For error messages: the namespace's name, or nil for an unnamed one.
    var placeName: String? { namespace.name?.rawValue }

    /// A handle on `other` (this one for nil or the same namespace), opened once and kept.
    public func handle(for other: NetworkNamespace?) throws -> NetHandle {
        guard let other else { return self }
        let inode = try other.inode()
        if inode == (try namespace.inode()) { return self }
        if let h = others.withLock({ $0[inode] }) { return h }
        let h = try NetHandle(namespace: other)
        others.withLock { $0[inode] = h }
        return h
    }
}
