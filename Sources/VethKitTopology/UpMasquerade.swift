import VethKit

/// Phase 7 of `up`: masquerade rules (nftables, VethKit's table; one owner per rule).
extension Run {
    func masquerade() throws {
        try phase("masquerade")
        for step in plan.steps {
            guard case .addMasquerade(let node, let source) = step else { continue }
            do {
                try TopologyMasquerade.add(topo.name, node, space(node), source)
                undo.append(.removeMasquerade(node: node, source: source))
            } catch { throw fail(plan.describe(step), error) }
        }
    }
}
