import VethKit

/// Undoing a failed run: the ``UndoLog`` replayed newest first. Something already gone (a link
/// taken by its namespace, an address by its link) is fine; anything else is a problem reported
/// in ``ApplyError/rollbackErrors``.
extension Run {
    /// Undoes what this run created or changed. Returns problems (empty: all undone).
    func rollback() -> [String] {
        var removedHostLinks = Set<String>()
        var problems = undo.replay { group in
            if group.count == 1, !group[0].isBulkRemoval {
                try tolerateGone { try undoStep(group[0]) }
                return
            }
            // Namespaces first: their veths (and the host ends of those) go with them.
            var firstError: Error?
            var hostLinks = Set<String>()
            for step in group {
                switch step {
                case .removeNamespace(let ns):
                    do { try tolerateGone { try NetworkNamespace.delete(NamespaceName(ns)) } } catch { firstError = firstError ?? error }
                case .removeHostLink(let name): hostLinks.insert(name)
                default: continue
                }
            }
            if !hostLinks.isEmpty {
                removedHostLinks.formUnion(hostLinks)
                do { try tolerateGone { try HostLinks.delete(names: hostLinks, topology: topo.name, host: host) } } catch { firstError = firstError ?? error }
            }
            if let firstError { throw firstError }
        }
        // Veth host ends of deleted namespaces vanish asynchronously: wait, so the machine is as it was.
        do { try waitGone(removedHostLinks, timeout: 10) } catch { problems.append("waiting for links to go: \(error)") }
        return problems
    }

    /// Runs `body`; an object already gone (NotFound, ENODEV) is no error.
    func tolerateGone(_ body: () throws -> Void) throws {
        do { try body() } catch is NotFound {} catch let e as KernelError where e.errno == .operationNotSupportedByDevice {}
    }

    /// Undoes one step (bulk removals one at a time too).
    func undoStep(_ step: UndoStep) throws {
        switch step {
        case .removeNamespace(let ns):
            try NetworkNamespace.delete(NamespaceName(ns))
        case .removeHostLink(let name):
            try HostLinks.delete(names: [name], topology: topo.name, host: host)
        case .removeLink(let node, let name):
            try handle(node).deleteLink(.named(name))
        case .removeAddress(let node, let i, let a):
            try handle(node).deleteAddress(a, from: .named(i))
        case .removeRoute(let node, let r):
            let h = try handle(node)
            try h.deleteRoute(r.kernelRoute(device: try r.dev.map { .index(try h.link(.named($0)).index) }), matchingProtocol: true)
        case .restoreSysctl(let node, let key, let value):
            if let ns = try space(node) { try ns.run { try Sysctl.write(key, value) } } else { try Sysctl.write(key, value) }
        case .restoreLinkEdit(let node, let name, let old):
            let h = try handle(node)
            var c = LinkChange()
            c.mtu = old.mtu.map(UInt32.init)
            c.address = old.mac
            if let m = old.master { c.master = try m.map { .set(try .named($0)) } ?? .nomaster }
            if !c.isEmpty { try h.setLink(.named(name), c) }
        case .removeMasquerade(let node, let source):
            try TopologyMasquerade.remove(topo.name, node, space(node), source)
        case .restoreKindOptions(let node, let name, let old):
            guard let change = Topology.KindLink.kindChange(old) else { return }
            try handle(node).setLink(.named(name), LinkChange(kindChange: change))
        case .restoreEgress(let node, let i, let old):
            try restoreEgress(node: node, interface: i, old: old)
        }
    }
}
