import CLinuxUAPI
import Glibc
import Netlink

extension NetHandle {
    /// The routes of `table` (main by default), of `family` (IPv4 and IPv6 by default) and of
    /// `type` (unicast by default): `ip route show` and `ip -6 route show`. Pass nil for every
    /// table (`table all`) or every type (blackhole, local, broadcast… as `ip route` lists them).
    public func routes(table: RouteTable? = .main, family: AddressFamily = .unspecified, type: RouteType? = .unicast) throws -> [Route] {
        var m = MessageWriter(type: UInt16(RTM_GETROUTE))
        var h = rtmsg()
        h.rtm_family = family.rawValue
        m.append(header: h)
        return try socket.dump(m).compactMap { m in
            guard m.type == UInt16(RTM_NEWROUTE) else { return nil }
            // Other families (MPLS, bridge) have no IP destination.
            guard let f = m.payload.first, f == AddressFamily.inet.rawValue || f == AddressFamily.inet6.rawValue else { return nil }
            let r = try Route(message: m)
            if let table, r.table != table { return nil }
            if let type, r.type != type { return nil }
            return r
        }
    }

    /// Adds a route (`ip route add`). Validated before anything is sent; a device named by name is
    /// looked up first.
    public func addRoute(_ route: Route) throws {
        try send(route, replace: false)
    }

    /// Adds a route or changes the one of the same key (destination, table, metric): `ip route
    /// replace`. Validated and resolved as ``addRoute(_:)``.
    public func replaceRoute(_ route: Route) throws {
        try send(route, replace: true)
    }

    private func send(_ route: Route, replace: Bool) throws {
        try route.validate()
        let r = try resolvingNextHops(route)
        var m = MessageWriter(capacity: 128)
        r.encode(Int32(RTM_NEWROUTE), deviceIndex: try route.device.map { try index(of: $0) }, replace: replace, into: &m)
        try socket.request(m)
    }

    /// `route` with each next hop's device given by index (looked up when given by name).
    func resolvingNextHops(_ route: Route) throws -> Route {
        var r = route
        r.nexthops = try route.nexthops.map { n in
            var n = n
            n.device = try n.device.map { .index(try index(of: $0)) }
            return n
        }
        return r
    }

    /// Deletes a route (`ip route del`); throws ``NotFound`` when there is no such route.
    /// `matchingProtocol`: only a route whose protocol is `route.protocol` (the kernel checks).
    public func deleteRoute(_ route: Route, matchingProtocol: Bool = false) throws {
        let r = try resolvingNextHops(route)
        var m = MessageWriter(capacity: 128)
        r.encode(Int32(RTM_DELROUTE), deviceIndex: try route.device.map { try index(of: $0) },
                     matchingProtocol: matchingProtocol, into: &m)
        do {
            try socket.request(m)
        } catch let e as KernelError where e.errno == .noSuchProcess {
            throw NotFound(.route, route.destinationText, in: placeName)
        }
    }
}
