/// Where a link went when it left this namespace: an RTM_DELLINK for a move carries the target
/// namespace's id (IFLA_NEW_NETNSID, as this namespace numbers it) and, from Linux 4.16, the
/// link's index there (IFLA_NEW_IFINDEX). `ip monitor` prints them as `new-netns NAME new-ifindex N`.
public struct LinkMove: Hashable, Sendable {
    /// The target namespace's id, local to the namespace the link left.
    public var namespaceID: Int32
    /// The link's index in the target namespace, when the kernel said.
    public var index: Int32?

    public init(namespaceID: Int32, index: Int32? = nil) {
        self.namespaceID = namespaceID
        self.index = index
    }
}
