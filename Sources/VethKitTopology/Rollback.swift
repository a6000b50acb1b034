import Foundation
import VethKit

extension Run {
    // MARK: rollback

    /// Undoes what this run created or changed, newest first. Returns problems (empty: all undone).
    func rollback() -> [String] {
        var problems: [String] = []
        func attempt(_ what: String, _ body: () throws -> Void) {
            do { try body() } catch is NotFound {} catch let e as KernelError where e.errno == .operationNotSupportedByDevice {} catch {
                problems.append("\(what): \(error)")
            }
        }
        for (node, source) in addedMasquerade.value.reversed() {
            attempt("masquerade \(source) in \(node)") { try TopologyMasquerade.remove(topo.name, node, node == Topology.hostNode ? nil : NetworkNamespace.open(nsName(node)), source) }
        }
        for (node, r) in addedRoutes.value.reversed() {
            attempt("route \(node): \(r)") {
                let h = try handle(node)
                let vr = VethKit.Route(destination: r.to, gateway: r.via, device: try r.dev.map { .name(try InterfaceName($0)) },
                                       metric: r.metric.map(UInt32.init), protocol: .vethkit)
                try h.deleteRoute(vr, matchingProtocol: true)
            }
        }
        for (node, i, a) in addedAddresses.value.reversed() {
            attempt("address \(a) on \(node)/\(i)") { try handle(node).deleteAddress(a, from: .name(InterfaceName(i))) }
        }
        for (node, name, old) in oldEdits.value.reversed() {
            attempt("link \(node)/\(name)") {
                let h = try handle(node)
                var c = LinkChange()
                c.mtu = old.mtu.map(UInt32.init)
                c.address = old.mac
                if let m = old.master { c.master = try m.map { .set(.name(try InterfaceName($0))) } ?? .nomaster }
                if !c.isEmpty { try h.setLink(.name(InterfaceName(name)), c) }
            }
        }
        for (node, name) in createdLinksInExisting.value.reversed() {
            attempt("link \(node)/\(name)") { try handle(node).deleteLink(.name(InterfaceName(name))) }
        }
        // Namespaces first: their veths (and the host ends of those) go with them.
        for ns in createdNamespaces.value.reversed() {
            attempt("namespace \(ns)") { try NetworkNamespace.delete(NamespaceName(ns)) }
        }
        let hostLinks = createdHostLinks.value
        if !hostLinks.isEmpty {
            attempt("host links") { try HostLinks.delete(names: Set(hostLinks), topology: topo.name, host: host) }
        }
        for (node, key, old) in oldSysctls.value.reversed() {
            attempt("sysctl \(node): \(key)") {
                if node == Topology.hostNode { try Sysctl.write(key, old) } else { try NetworkNamespace.open(nsName(node)).run { try Sysctl.write(key, old) } }
            }
        }
        // Veth host ends of deleted namespaces vanish asynchronously: wait, so the machine is as it was.
        attempt("waiting for links to go") { try waitGone(Set(hostLinks), timeout: 10) }
        return problems
    }
}
