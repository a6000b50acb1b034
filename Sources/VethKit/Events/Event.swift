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
    case newNeighbour(Neighbour)
    case deletedNeighbour(Neighbour)
    /// This namespace gave an id to another namespace (RTM_NEWNSID: `ip monitor nsid`).
    case newNamespaceID(Int32)
    /// It dropped one (the other namespace is gone).
    case deletedNamespaceID(Int32)
    /// A policy rule was added or deleted (`ip monitor rule`).
    case newRule(Rule)
    case deletedRule(Rule)
    /// A nexthop object was added, changed or deleted (`ip monitor nexthop`).
    case newNextHop(NextHopObject)
    case deletedNextHop(NextHopObject)

    /// Decodes a notification; nil for message types VethKit does not follow.
    /// For the fuzzer of the decoders (fuzz/): `@_spi(Decoding) import VethKit`.
    @_spi(Decoding) public init?(message m: NetlinkMessage) throws {
        switch Int32(m.type) {
        case Int32(RTM_NEWLINK): self = .newLink(try Link(message: m))
        case Int32(RTM_DELLINK): self = .deletedLink(try Link(message: m))
        case Int32(RTM_NEWADDR): self = .newAddress(try Address(message: m))
        case Int32(RTM_DELADDR): self = .deletedAddress(try Address(message: m))
        case Int32(RTM_NEWROUTE): self = .newRoute(try Route(message: m))
        case Int32(RTM_DELROUTE): self = .deletedRoute(try Route(message: m))
        case Int32(RTM_NEWNEIGH): self = .newNeighbour(try Neighbour(message: m))
        case Int32(RTM_DELNEIGH): self = .deletedNeighbour(try Neighbour(message: m))
        case Int32(RTM_NEWRULE): self = .newRule(try Rule(message: m))
        case Int32(RTM_DELRULE): self = .deletedRule(try Rule(message: m))
        case Int32(RTM_NEWNEXTHOP): self = .newNextHop(try NextHopObject(message: m))
        case Int32(RTM_DELNEXTHOP): self = .deletedNextHop(try NextHopObject(message: m))
        case Int32(RTM_NEWNSID), Int32(RTM_DELNSID):
            _ = try m.header(rtgenmsg.self)
            let attrs = try m.attributes(after: rtgenmsg.self)
            guard let id = attrs[UInt16(NETNSA_NSID)]?.int32 else { throw MalformedMessage("nsid event without NETNSA_NSID") }
            self = m.type == UInt16(RTM_NEWNSID) ? .newNamespaceID(id) : .deletedNamespaceID(id)
        default: return nil
        }
    }
}

/// A subscription to link, address, route, neighbour, rule, nexthop and namespace-id events of one namespace. ``next()`` blocks until the
/// kernel announces something; ``next(timeout:)`` gives up after a deadline.
public final class EventMonitor: Sendable {
    private let socket: NetlinkSocket

    /// Subscribes in `namespace` (the caller's when nil); the socket is opened inside it.
    public init(namespace: NetworkNamespace? = nil) throws {
        let groups: [UInt32] = [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
                                RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_NEIGH, RTNLGRP_NSID,
                                RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE, RTNLGRP_NEXTHOP].map { UInt32($0.rawValue) }
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

    /// The next batch of events, waiting at most `timeout` seconds for the kernel to announce
    /// something: nil when nothing arrived in time (an empty array is a datagram holding only
    /// messages VethKit does not follow). For waits that must not hang, such as tests.
    public func next(timeout: Double) throws -> [Event]? {
        guard try waitReadable(timeout: timeout) else { return nil }
        return try next()
    }

    /// Polls the socket until it is readable (true) or `timeout` seconds pass (false).
    private func waitReadable(timeout: Double) throws -> Bool {
        let deadline = monotonicSeconds() + max(0, timeout)
        while true {
            var fds = pollfd(fd: socket.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let left = deadline - monotonicSeconds()
            let n = poll(&fds, 1, Int32((max(0, min(left, 3600)) * 1000).rounded(.up)))
            if n > 0 { return true }
            if n == 0 { if monotonicSeconds() >= deadline { return false } else { continue } }
            if errno == EINTR { continue }
            throw SystemCallError("poll(netlink events)")
        }
    }
}
