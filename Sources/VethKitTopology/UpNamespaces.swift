import VethKit

/// Phase 2 of `up`: new namespaces, each made on a worker thread and published under its name
/// only once it carries the topology's mark (``NamespacePublisher``). Leaves of a star go through
/// the whole namespace pipeline (FastPath.swift); the others get their contents in later phases.
extension Run {
    func createNamespaces() throws {
        try phase("namespaces")
        let steps: [(String, String)] = plan.steps.compactMap { if case .createNamespace(let n, let ns) = $0 { return (n, ns) } else { return nil } }
        guard !steps.isEmpty else { return }
        let total = steps.count
        let done = Locked(0)
        @Sendable func progress() {
            let n = done.with { $0 += 1; return $0 }
            if n % 100 == 0 || n == total { self.options.progress?("namespaces \(n)/\(total)") }
        }
        // Pipeline nodes: each on a worker thread that creates the namespace and stays inside it.
        let fast = steps.filter { pipelineNodes.contains($0.0) }
        let slow = steps.filter { !pipelineNodes.contains($0.0) }
        do { try ThreadNamespace.prepareRunDirectory() } catch { throw fail("+ namespace \(steps[0].1) (node \(steps[0].0))", error) }
        if !fast.isEmpty {
            let hostNS = try NetworkNamespace.current()
            let failures = parallelFor(fast.count, stopOnError: true, callerWorks: false) { [self] i in
                try pipeline(node: fast[i].0, hostNamespace: hostNS)
                progress()
            }
            if let f = failures.first { throw f.1 }
        }
        guard !slow.isEmpty else { return }
        // The others: each made on a worker thread (which exits afterwards), marked, then published.
        let failures = parallelFor(slow.count, stopOnError: true, callerWorks: false) { [self] i in
            let (node, ns) = slow[i]
            do { try publishMarked(node: node, namespace: ns) } catch { throw fail("+ namespace \(ns) (node \(node))", error) }
            progress()
        }
        if let f = failures.first { throw f.1 }
    }

    /// On a worker thread: a new namespace without a name, its sysctls and lo's mark from inside,
    /// and only then its name. The thread stays inside it (a pipeline goes on from there).
    /// Returns a handle on it, opened inside.
    @discardableResult
    func publishMarked(node: String, namespace ns: String) throws -> NetHandle {
        try NamespacePublisher.unshareCallingThread()
        try prepareInside(node: node)
        let h = try NetHandle()
        try h.setLink(.index(1), LinkChange(up: true, alias: alias))
        try NamespacePublisher.publishCallingThread(topology: topo.name, node: node, name: ns)
        undo.append(.removeNamespace(ns))
        return h
    }

    /// Inside a node's new namespace, before any interface exists: IPv6 DAD off when the node has
    /// IPv6 addresses (usable at once), then the node's sysctls.
    func prepareInside(node: String) throws {
        if (ifacesOf[node] ?? []).contains(where: { $0.addresses.contains { !$0.isIPv4 } }) {
            try? Sysctl.write("net.ipv6.conf.all.accept_dad", "0")
            try? Sysctl.write("net.ipv6.conf.default.accept_dad", "0")
        }
        for s in nodeOf[node]?.sysctls ?? [] { try Sysctl.write(s.key, s.value) }
    }
}
