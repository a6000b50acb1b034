/// The bounds on a topology file, checked before anything is built from it (docs/topology.md,
/// "Limits"). A file past any of them is refused with one error naming the limit.
public enum TopologyLimits {
    /// The largest file read (bytes). The biggest generated topology here (pairs-ns 1000) is ~0.2 MiB.
    public static let maxFileBytes = 16 << 20
    /// The deepest nesting of mappings and sequences. The schema itself needs 7.
    public static let maxDepth = 64
    /// The most YAML nodes (scalars, mappings, sequences) a document may have with every alias
    /// expanded: a few kilobytes of nested aliases otherwise stand for billions of nodes.
    public static let maxNodes = 1_000_000
    /// Errors printed; the rest are counted ("… and N more").
    public static let reportedErrors = 100
    /// Errors kept in memory while validating (the count goes on past it).
    public static let storedErrors = 1_000
    /// A quoted value in an error message longer than this is shortened (first characters, "…", length).
    public static let quotedValueLength = 64
}
