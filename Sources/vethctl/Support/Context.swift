import VethKit

/// What one vethctl process shares between commands (and between the lines of a batch):
/// open handles and namespaces, so a batch of 1000 lines opens each once.
final class Context {
    nonisolated(unsafe) static let shared = Context()

    /// `-n NS` given before the subcommand (stripped from argv before parsing).
    var defaultNamespace: String?
    /// True while `--batch` runs its lines: a command that would replace the process
    /// (`netns exec`) runs as a child instead.
    var inBatch = false
    private var handles: [String: NetHandle] = [:]
    private var namespaces: [String: NetworkNamespace] = [:]

    /// The namespace name in effect: the command's own `-n`, else the leading one.
    func namespaceName(_ own: String?) -> String? { own ?? defaultNamespace }

    /// A handle on the named namespace (validated, then opened once), or on the current one.
    func handle(_ name: String?) throws -> NetHandle {
        let key = name ?? ""
        if let h = handles[key] { return h }
        let h: NetHandle
        if let name {
            h = try NetHandle(namespace: namespace(name))
        } else {
            h = try NetHandle()
        }
        handles[key] = h
        return h
    }

    /// The named namespace, validated and opened once; throws for a bad or unknown name.
    func namespace(_ name: String) throws -> NetworkNamespace {
        if let ns = namespaces[name] { return ns }
        let ns = try NetworkNamespace.open(NamespaceName(name))
        namespaces[name] = ns
        return ns
    }

    /// Forgets a namespace that was deleted.
    func forget(namespace name: String) {
        namespaces[name] = nil
        handles[name] = nil
    }
}
