/// A root qdisc VethKit did not attach (its handle is not ``QdiscHandle/vethkit`` and it is not
/// the kernel's default): VethKit leaves it alone and says whose it is.
public struct QdiscNotOurs: CategorizedError, Hashable, Sendable, CustomStringConvertible {
    /// The link, as the caller named it.
    public let link: String
    /// The qdisc found there.
    public let kind: String
    public let handle: QdiscHandle

    public init(link: String, kind: String, handle: QdiscHandle) {
        (self.link, self.kind, self.handle) = (link, kind, handle)
    }

    public var category: ErrorCategory { .notOurs }

    /// `link veth0 has a root qdisc VethKit did not make (tbf 1:): left alone; remove it with tc qdisc del dev veth0 root`.
    public var description: String {
        "link \(link) has a root qdisc VethKit did not make (\(kind) \(handle)): left alone; "
            + "remove it with `tc qdisc del dev \(link) root` to let VethKit impair this link"
    }
}
