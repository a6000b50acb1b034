/// A YAML node as the topology schema sees it: text, a list or a mapping, with the 1-based
/// line and column where it starts. Tags are not kept (the schema reads every scalar as text and
/// parses numbers and addresses itself); an alias is a copy of the node its anchor names, mark
/// included.
struct YAMLNode: Sendable {
    enum Value: Sendable {
        /// A scalar's text; `plain` when it was written without quotes or a block indicator
        /// (only a plain empty, `~` or `null` scalar stands for "nothing").
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    var value: Value
    var line: Int
    var column: Int

    /// The text of a scalar (nil for a list or a mapping).
    var scalar: String? {
        if case let .scalar(s, _) = value { return s }
        return nil
    }

    /// True for a plain empty, `~` or `null` scalar: YAML's null, which the schema reads as an
    /// empty mapping or list where one is expected.
    var isNull: Bool {
        if case let .scalar(s, plain) = value { return plain && (s.isEmpty || s == "~" || s == "null") }
        return false
    }

    var sequence: [YAMLNode]? {
        if case let .sequence(items) = value { return items }
        return nil
    }

    var mapping: [(key: YAMLNode, value: YAMLNode)]? {
        if case let .mapping(pairs) = value { return pairs }
        return nil
    }
}
