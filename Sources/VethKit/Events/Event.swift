import CLinuxUAPI
import Glibc
import Netlink

/// A change the kernel announced on an rtnetlink multicast group.
public enum Event: Sendable {
    case newLink(Link)
    case deletedLink(Link)
    case newAddress(Address)
    case deletedAddress(Address)
    case newRoute(Route)
    case deletedRoute(Route)

    /// Decodes a notification; nil for message types VethKit does not follow.
    public init?(message m: NetlinkMessage) throws {
        switch Int32(m.type) {
        case Int32(RTM_NEWLINK): self = .newLink(try Link(message: m))
        case Int32(RTM_DELLINK): self = .deletedLink(try Link(message: m))
        case Int32(RTM_NEWADDR): self = .newAddress(try Address(message: m))
        case Int32(RTM_DELADDR): self = .deletedAddress(try Address(message: m))
        case Int32(RTM_NEWROUTE): self = .newRoute(try Route(message: m))
        case Int32(RTM_DELROUTE): self = .deletedRoute(try Route(message: m))
        default: return nil
        }
    }
}

/// A subscription to link, address and route events of one namespace. ``next()`` blocks until the
/// kernel announces something.
public final class EventMonitor: Sendable {
    private let socket: NetlinkSocket

    /// Subscribes in `namespace` (the caller's when nil); the socket is opened inside it.
    public init(namespace: NetworkNamespace? = nil) throws {
        let groups: [UInt32] = [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
                                RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE].map { UInt32($0.rawValue) }
        if let namespace {
            socket = try namespace.run { try NetlinkSocket(groups: groups) }
        } else {
            socket = try NetlinkSocket(groups: groups)
        }
    }

    /// The next batch of events (one datagram's worth).
    public func next() throws -> [Event] {
        try socket.receiveMessages().compactMap { try Event(message: $0) }
    }
}
