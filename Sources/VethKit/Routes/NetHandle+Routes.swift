import CLinuxUAPI
import Glibc
import Netlink

extension NetHandle {
    /// The unicast routes of `table` (main by default), IPv4 and IPv6 (`ip route show` and
    /// `ip -6 route show`). Pass nil for every table.
    public func routes(table: UInt32? = Route.mainTable, family: Int32 = AF_UNSPEC) throws -> [Route] {
        var m = MessageWriter(type: UInt16(RTM_GETROUTE))
        var h = rtmsg()
        h.rtm_family = UInt8(family)
        m.append(header: h)
        return try socket.dump(m).compactMap { m in
            guard m.type == UInt16(RTM_NEWROUTE) else { return nil }
            let r = try Route(message: m)
            if let table, r.table != table { return nil }
            if r.type != UInt8(RTN_UNICAST) { return nil }
            return r
        }
    }

    /// Adds a route (`ip route add`). Validated before anything is sent.
    public func addRoute(_ route: Route) throws {
        try route.validate()
        try socket.request(route.request(Int32(RTM_NEWROUTE)))
    }

    /// Deletes a route (`ip route del`); throws ``NotFound`` when there is no such route.
    /// `matchingProtocol`: only a route whose protocol is `route.protocolID` (the kernel checks).
    public func deleteRoute(_ route: Route, matchingProtocol: Bool = false) throws {
        do {
            try socket.request(route.request(Int32(RTM_DELROUTE), matchingProtocol: matchingProtocol))
        } catch let e as KernelError where e.errno.rawValue == ESRCH {
            throw NotFound("route", route.destinationText, in: placeName)
        }
    }
}
