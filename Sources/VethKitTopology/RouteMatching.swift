import Glibc
import VethKit

/// Route identity for the topology engine: which live route is a declared one (the planner's
/// "already there", `down`'s "ours to delete"), and the kernel routes `up` adds and deletes.
extension Topology.Route {
    /// Whether the live route `live` is this declared route: the same destination (masked) and
    /// gateway; the same device when the file names one (an unset dev matches any); the same
    /// metric when the file sets one, else one of the kernel's defaults (unset, 0 for IPv4, 1024
    /// for IPv6). The only route-matching rule of the engine.
    func matches(_ live: LiveState.RouteEntry) -> Bool {
        guard to.masked == live.to.masked, live.via == via else { return false }
        if let dev, dev != live.dev { return false }
        if let metric { return live.metric == metric }
        return live.metric == nil || live.metric == 0 || live.metric == 1024
    }

    /// Whether the live route `live` has this declared route's kernel key (destination, metric):
    /// adding this one would collide with it (EEXIST).
    func collides(with live: LiveState.RouteEntry) -> Bool {
        guard to.masked == live.to.masked else { return false }
        let dflt = to.isIPv4 ? 0 : 1024
        return (metric ?? dflt) == (live.metric ?? dflt) || (metric == nil && (live.metric == nil || live.metric == 0 || live.metric == 1024))
    }

    /// The kernel route `up` adds for it (and rollback deletes): marked with
    /// ``Ownership/routeProtocol``, through the interface of index `outputIndex` when the file names a dev.
    func kernelRoute(outputIndex: Int32?) -> VethKit.Route {
        var r = VethKit.Route(destination: isDefault ? nil : to, family: via.family, gateway: via,
                              outputIndex: outputIndex, metric: metric.map(UInt32.init))
        r.protocolID = Ownership.routeProtocol
        return r
    }
}

extension LiveState.RouteEntry {
    /// The live route as read from the kernel: `names` maps interface indexes to names.
    init?(_ route: VethKit.Route, names: [Int32: String]) {
        let to = route.destination ?? (try? IPNetwork(address: route.family == AF_INET6 ? .v6(0, 0) : .v4(0), prefixLength: 0))
        guard let to else { return nil }
        self.init(to: to, via: route.gateway, dev: route.outputIndex.flatMap { names[$0] },
                  metric: route.metric.map(Int.init), proto: route.protocolID)
    }

    /// The kernel route to delete it with: of our protocol only (the kernel checks it again, so
    /// a user's route of the same key is never the one deleted).
    func kernelRoute(outputIndex: Int32?) -> VethKit.Route {
        var r = VethKit.Route(destination: to.prefixLength == 0 ? nil : to, family: to.address.family, gateway: via,
                              outputIndex: outputIndex, metric: metric.map(UInt32.init))
        r.protocolID = Ownership.routeProtocol
        return r
    }
}
