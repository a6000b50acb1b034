import CYaml

/// A pass over libyaml's events before Yams builds any node: it measures the nesting depth and
/// the number of nodes with every alias expanded, without expanding anything, and stops at the
/// first limit exceeded (Yams' composer recurses once per level, so a deep document would crash
/// it; aliases are shared in memory, but everything that walks the tree sees them expanded).
enum YAMLBounds {
    struct Exceeded: Error {
        var line: Int
        var column: Int
        var message: String
    }

    /// Throws ``Exceeded`` (1-based position) when `bytes` nest deeper than `maxDepth` or expand
    /// to more than `maxNodes` nodes. Syntax errors are left to Yams (it reports them with context).
    static func check(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = TopologyLimits.maxDepth,
                      maxNodes: Int = TopologyLimits.maxNodes) throws {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!, bytes.count)

        // Per open collection: the expanded count when it started, and its anchor.
        var open: [(start: Int, anchor: String?)] = []
        var anchors: [String: Int] = [:]
        var expanded = 0
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else { return }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
            func anchor(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? { p.map { String(cString: $0) } }
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return
            case YAML_SCALAR_EVENT:
                expanded += 1
                if let a = anchor(event.data.scalar.anchor) { anchors[a] = 1 }
            case YAML_ALIAS_EVENT:
                // An unknown alias is Yams' error to report; count it as one node.
                let size = anchor(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1
                expanded = expanded > maxNodes - size ? maxNodes + 1 : expanded + size
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let a = event.type == YAML_SEQUENCE_START_EVENT ? anchor(event.data.sequence_start.anchor)
                                                                : anchor(event.data.mapping_start.anchor)
                open.append((expanded, a))
                expanded += 1
                if open.count > maxDepth {
                    throw Exceeded(line: line, column: column,
                                   message: "nested deeper than \(maxDepth) levels (the limit for a topology file)")
                }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let (start, a) = open.popLast() else { break }
                if let a { anchors[a] = expanded - start }
            default:
                break
            }
            if expanded > maxNodes {
                throw Exceeded(line: line, column: column,
                               message: "more than \(maxNodes) YAML nodes with aliases expanded (the limit for a topology file)")
            }
        }
    }
}
