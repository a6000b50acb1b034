/// The size of a YAML document as the loader receives it, counted on libyaml's events: the
/// nesting depth and the number of nodes, both with every alias expanded (without expanding
/// anything: an alias counts its anchor's size and height).
/// The loader stops at the first event past a limit, before building more: a deep document
/// would otherwise cost one frame per level to everything that walks the tree, and a few
/// kilobytes of nested aliases stand for billions of nodes.
struct YAMLBounds {
    /// The limit crossed, at the event that crossed it (1-based).
    struct Exceeded: Error {
        var line: Int
        var column: Int
        var message: String
    }

    let maxDepth: Int
    let maxNodes: Int
    /// Per open collection: the expanded count when it started, its anchor, its depth and the
    /// deepest level reached inside it so far.
    private var open: [(start: Int, anchor: String?, depth: Int, deepest: Int)] = []
    /// An anchor's size (nodes) and height (levels of collections: 0 for a scalar), its own
    /// aliases expanded.
    private var anchors: [String: (size: Int, height: Int)] = [:]
    private(set) var expanded = 0

    init(maxDepth: Int = TopologyLimits.maxDepth, maxNodes: Int = TopologyLimits.maxNodes) {
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    /// Counts one event; throws ``Exceeded`` at its position when it crosses a limit.
    mutating func count(_ event: YAMLEvent) throws {
        switch event.kind {
        case let .scalar(_, _, anchor):
            expanded += 1
            if let anchor { anchors[anchor] = (1, 0) }
        case let .alias(name):
            // An undefined alias is the loader's error to report; it counts as one node.
            let (size, height) = anchors[name] ?? (1, 0)
            expanded = expanded > maxNodes - size ? maxNodes + 1 : expanded + size
            // An alias of a collection nests it here: a chain of them must not make the tree
            // deeper than the limit either.
            let reach = open.count + height
            if reach > maxDepth { throw tooDeep(event) }
            if !open.isEmpty { open[open.count - 1].deepest = max(open[open.count - 1].deepest, reach) }
        case let .sequenceStart(anchor), let .mappingStart(anchor):
            open.append((expanded, anchor, open.count + 1, open.count + 1))
            expanded += 1
            if open.count > maxDepth { throw tooDeep(event) }
        case .sequenceEnd, .mappingEnd:
            guard let f = open.popLast() else { break }
            if let anchor = f.anchor { anchors[anchor] = (expanded - f.start, f.deepest - f.depth + 1) }
            if !open.isEmpty { open[open.count - 1].deepest = max(open[open.count - 1].deepest, f.deepest) }
        default:
            break
        }
        if expanded > maxNodes {
            throw Exceeded(line: event.line, column: event.column,
                              message: "more than \(maxNodes) YAML nodes with aliases expanded (the limit for a topology file)")
        }
    }

    func tooDeep(_ event: YAMLEvent) -> Exceeded {
        Exceeded(line: event.line, column: event.column, message: "nested deeper than \(maxDepth) levels (the limit for a topology file)")
    }

    /// Counts every event of `bytes` (nothing is built); throws ``Exceeded`` at the first
    /// event past a limit. A syntax error ends the count silently (the loader reports it).
    static func check(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = TopologyLimits.maxDepth,
                      maxNodes: Int = TopologyLimits.maxNodes) throws {
        var bounds = YAMLBounds(maxDepth: maxDepth, maxNodes: maxNodes)
        do {
            try YAMLEvents.read(bytes) { event in
                try bounds.count(event)
                return true
            }
        } catch let e as Exceeded {
            throw e
        } catch {}
    }
}
