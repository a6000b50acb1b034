import VethKit

/// Route identity for the topology engine: which live route is a declared one (the planner's
/// "already there", `down`'s "ours to delete"), and the kernel routes `up` adds and deletes.
extension Topology.Route {
    /// Whether the live route `live` is this declared route: VethKit's route identity
    /// (``VethKit/Route/matches(_:)``: family, destination masked, gateway, table, metric) with
    /// two rules of the file on top: a dev the file names must be the route's (unset, any), and an
    /// unset metric matches either of the kernel's defaults (0, 1024). The only route-matching
    /// rule of the engine: the planner's "already there", `down`'s "ours to delete".
    func matches(_ live: LiveState.RouteEntry) -> Bool {
        if let dev, dev != live.dev { return false }
        let liveMetric = metric == nil && (live.metric == 0 || live.metric == 1024) ? nil : live.metric
        let l = VethKit.Route(destination: live.to, gateway: live.via, metric: liveMetric.map(UInt32.init))
        return kernelRoute(device: nil).matches(l)
    }

    /// Whether the live route `live` has this declared route's kernel key (destination, metric):
    /// adding this one would collide with it (EEXIST).
    func collides(with live: LiveState.RouteEntry) -> Bool {
        guard to.masked == live.to.masked else { return false }
        let dflt = to.isIPv4 ? 0 : 1024
        return (metric ?? dflt) == (live.metric ?? dflt) || (metric == nil && (live.metric == nil || live.metric == 0 || live.metric == 1024))
    }

    /// The kernel route `up` adds for it (and rollback deletes): marked with
    /// ``Ownership/routeProtocol``, through `device` when the file names a dev.
    func kernelRoute(device: LinkReference?) -> VethKit.Route {
        VethKit.Route(destination: to, gateway: via, device: device, metric: metric.map(UInt32.init), protocol: RouteProtocol(rawValue: Ownership.routeProtocol))
    }
}

extension LiveState.RouteEntry {
    /// The live route as read from the kernel: `names` maps interface indexes to names.
    init(_ route: VethKit.Route, names: [Int32: String]) {
        var dev: String?
        if case .index(let i)? = route.device { dev = names[i] } else if case .name(let n)? = route.device { dev = n.rawValue }
        self.init(to: route.destination, via: route.gateway, dev: dev, metric: route.metric.map(Int.init), proto: route.protocol.rawValue)
    }

    /// The kernel route to delete it with: of our protocol only (the kernel checks it again, so
    /// a user's route of the same key is never the one deleted).
    func kernelRoute(device: LinkReference?) -> VethKit.Route {
        VethKit.Route(destination: to, gateway: via, device: device, metric: metric.map(UInt32.init), protocol: RouteProtocol(rawValue: Ownership.routeProtocol))
    }
}
