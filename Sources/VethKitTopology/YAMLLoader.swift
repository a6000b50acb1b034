/// Builds the one document of a YAML stream as a ``YAMLNode`` tree from libyaml's events,
/// counting ``YAMLBounds`` on every event first.
///
/// Errors, one per document, in the order the Yams-based loader gave them:
/// - a limit crossed (``YAMLBounds``) wins, wherever it is in the stream;
/// - otherwise the first of: a syntax error, an undefined alias, a second document.
/// After an undefined alias or a second document nothing more is built, but the events are still
/// counted (a bomb after them is reported as the bomb).
///
/// Not resolved, as before: tags (every scalar is text to the schema), merge keys (`<<` is a key
/// like any other: the schema refuses it as unknown). An anchor names its node once the node is
/// complete, so a node cannot contain an alias of itself.
enum YAMLLoader {
    /// The document's root, nil for a stream without one.
    static func load(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = TopologyLimits.maxDepth,
                     maxNodes: Int = TopologyLimits.maxNodes) throws -> YAMLNode? {
        var composer = Composer()
        var bounds = YAMLBounds(maxDepth: maxDepth, maxNodes: maxNodes)
        do {
            try YAMLEvents.read(bytes) { event in
                do { try bounds.count(event) } catch let e as YAMLBounds.Exceeded {
                    throw YAMLProblem(line: e.line, column: e.column, message: e.message)
                }
                composer.add(event)
                return true
            }
        } catch let syntax as YAMLProblem {
            throw composer.pending ?? syntax
        }
        if let pending = composer.pending { throw pending }
        return composer.root
    }

    /// The tree under construction: a stack of open collections.
    struct Composer {
        struct Frame {
            var line: Int
            var column: Int
            var anchor: String?
            var isMapping: Bool
            var items: [YAMLNode] = []
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var key: YAMLNode?
        }

        var stack: [Frame] = []
        var anchors: [String: YAMLNode] = [:]
        var root: YAMLNode?
        var documents = 0
        /// The first composition error; nothing is built after it.
        var pending: YAMLProblem?

        mutating func add(_ event: YAMLEvent) {
            guard pending == nil else { return }
            switch event.kind {
            case .documentStart:
                documents += 1
                if documents > 1 {
                    pending = YAMLProblem(line: event.line, column: event.column, message:
                        "YAML syntax: but found another document (expected a single document in the stream at 1:1)")
                }
            case let .scalar(text, plain, anchor):
                let node = YAMLNode(value: .scalar(text, plain: plain), line: event.line, column: event.column)
                if let anchor { anchors[anchor] = node }
                complete(node)
            case let .alias(name):
                guard let node = anchors[name] else {
                    pending = YAMLProblem(line: event.line, column: event.column, message: "YAML syntax: found undefined alias")
                    return
                }
                complete(node)
            case let .sequenceStart(anchor):
                stack.append(Frame(line: event.line, column: event.column, anchor: anchor, isMapping: false))
            case let .mappingStart(anchor):
                stack.append(Frame(line: event.line, column: event.column, anchor: anchor, isMapping: true))
            case .sequenceEnd, .mappingEnd:
                guard let f = stack.popLast() else { return }
                let node = YAMLNode(value: f.isMapping ? .mapping(f.pairs) : .sequence(f.items), line: f.line, column: f.column)
                if let anchor = f.anchor { anchors[anchor] = node }
                complete(node)
            case .streamStart, .streamEnd, .documentEnd:
                break
            }
        }

        mutating func complete(_ node: YAMLNode) {
            guard !stack.isEmpty else {
                if root == nil { root = node }
                return
            }
            let top = stack.count - 1
            if !stack[top].isMapping {
                stack[top].items.append(node)
            } else if let key = stack[top].key {
                stack[top].pairs.append((key, node))
                stack[top].key = nil
            } else {
                stack[top].key = node
            }
        }
    }
}
