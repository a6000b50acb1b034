import Glibc
import VethKit

/// Phase 1 of `up`: what the file no longer wants goes first (only objects of ours: the planner
/// checked their marks, and the kernel checks a route's protocol again). Not undoable.
extension Run {
    func removals() throws {
        try phase("remove")
        var deletedNodes = Set<String>()
        for step in plan.steps {
            let line = plan.describe(step)
            do {
                switch step {
                case .deleteNamespace(let node, let ns):
                    do { try NetworkNamespace.delete(NamespaceName(ns)) } catch is NotFound {}
                    deletedNodes.insert(node)
                case .deleteLink(let node, let name):
                    try tolerateGone { try handle(node).deleteLink(.named(name)) }
                case .deleteRoute(let node, let r):
                    let h = try handle(node)
                    let dev = r.dev.flatMap { try? h.link(.named($0)).index }
                    try tolerateGone { try h.deleteRoute(r.kernelRoute(device: dev.map(LinkReference.index)), matchingProtocol: true) }
                case .deleteAddress(let node, let i, let a):
                    try tolerateGone { try handle(node).deleteAddress(a, from: .named(i)) }
                    deletedAddresses.with { $0.append(.init(node: node, interface: i, address: a)) }
                case .deleteMasquerade(let node, let source):
                    try TopologyMasquerade.remove(topo.name, node, space(node), source)
                default: continue
                }
            } catch { throw fail(line, error) }
        }
        // Host ends of veths whose namespace went away disappear asynchronously: wait for them,
        // so a re-created link of the same name does not collide.
        if !deletedNodes.isEmpty, let h = live.nodes[Topology.hostNode] {
            let names = Set(h.interfaces.filter { $0.peer?.node.map(deletedNodes.contains) ?? false }.map(\.name))
            try waitGone(names, timeout: 10)
        }
    }

    /// Waits until no host link has one of `names` (at most `timeout` seconds).
    func waitGone(_ names: Set<String>, timeout: Double) throws {
        guard !names.isEmpty else { return }
        let deadline = monotonicSeconds() + timeout
        while monotonicSeconds() < deadline {
            if try !host.linksWithoutStatistics().contains(where: { names.contains($0.name) }) { return }
            usleep(2_000)
        }
    }
}
