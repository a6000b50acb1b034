/// One way to name a link everywhere: by name, or by interface index (as decoded objects carry it,
/// and as a link created in the same ``NetworkBatch`` with ``LinkAttributes/index`` set is named).
public enum LinkReference: Hashable, Sendable, CustomStringConvertible {
    case name(InterfaceName)
    case index(Int32)

    /// The link called `name`; throws ``InvalidInput`` when the kernel would refuse the name.
    public static func named(_ name: String) throws -> LinkReference { .name(try InterfaceName(name)) }

    /// The name, or `#INDEX`.
    public var description: String {
        switch self {
        case .name(let n): n.rawValue
        case .index(let i): "#\(i)"
        }
    }
}
