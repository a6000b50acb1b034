/// Several typed changes to one namespace, sent together by ``NetHandle/perform(_:perSend:)``:
/// one `sendmsg` per chunk of requests, one result per operation, in order. A refusal of one
/// operation does not stop the others (as `ip -batch -force`).
///
/// ```swift
/// var batch = NetworkBatch()
/// batch.addLink(.bridge(try InterfaceName("br0")))
/// batch.addAddress(try IPNetwork("10.0.0.1/24"), to: .named("br0"))
/// let results = try handle.perform(batch)
/// ```
///
/// Links named by name (an address's link, a route's device, a master, a link to set) are looked
/// up before anything is sent, so a link that the same batch creates must be referenced by
/// ``LinkReference/index(_:)``, with ``LinkAttributes/index`` set on its ``LinkSpec`` (or by name,
/// which VethKit then maps to that index).
public struct NetworkBatch: Sendable {
    /// One operation of a batch.
    enum Operation: Sendable {
        case addLink(LinkSpec)
        case setLink(LinkReference, LinkChange)
        case deleteLink(LinkReference)
        case addAddress(IPNetwork, LinkReference, noDAD: Bool, protocol: AddressProtocol?)
        case deleteAddress(IPNetwork, LinkReference)
        case addRoute(Route)
        case deleteRoute(Route, matchingProtocol: Bool)
        case addQdisc(QdiscOptions, LinkReference, parent: QdiscHandle, handle: QdiscHandle, replace: Bool)
        case deleteQdisc(LinkReference, parent: QdiscHandle, handle: QdiscHandle)
        case impair(LinkReference, LinkImpairment)
    }

    /// The operations, in the order they are sent.
    var operations: [Operation] = []

    /// An empty batch.
    public init() {}

    /// Creates a link (`ip link add`), as ``NetHandle/addLink(_:)``.
    public mutating func addLink(_ spec: LinkSpec) { operations.append(.addLink(spec)) }

    /// Applies `change` to `link` (`ip link set`).
    public mutating func setLink(_ link: LinkReference, _ change: LinkChange) { operations.append(.setLink(link, change)) }

    /// Deletes `link` (by name: ifindex 0 and IFLA_IFNAME, no lookup).
    public mutating func deleteLink(_ link: LinkReference) { operations.append(.deleteLink(link)) }

    /// Adds `address` to `link` (`ip addr add`); `noDAD` skips IPv6 duplicate address detection,
    /// `protocol` records who added it (IFA_PROTO).
    public mutating func addAddress(_ address: IPNetwork, to link: LinkReference, noDAD: Bool = false,
                                    protocol: AddressProtocol? = nil) {
        operations.append(.addAddress(address, link, noDAD: noDAD, protocol: `protocol`))
    }

    /// Removes `address` from `link` (`ip addr del`).
    public mutating func deleteAddress(_ address: IPNetwork, from link: LinkReference) {
        operations.append(.deleteAddress(address, link))
    }

    /// Adds a route (`ip route add`).
    public mutating func addRoute(_ route: Route) { operations.append(.addRoute(route)) }

    /// Deletes a route (`ip route del`); with `matchingProtocol`, only one of `route.protocol`.
    public mutating func deleteRoute(_ route: Route, matchingProtocol: Bool = false) {
        operations.append(.deleteRoute(route, matchingProtocol: matchingProtocol))
    }

    /// Attaches a qdisc (`tc qdisc add`), as ``NetHandle/addQdisc(_:link:parent:handle:replace:)``.
    public mutating func addQdisc(_ options: QdiscOptions, link: LinkReference, parent: QdiscHandle = .root,
                                  handle: QdiscHandle = .vethkit) {
        operations.append(.addQdisc(options, link, parent: parent, handle: handle, replace: false))
    }

    /// Attaches or changes a qdisc (`tc qdisc replace`).
    public mutating func replaceQdisc(_ options: QdiscOptions, link: LinkReference, parent: QdiscHandle = .root,
                                      handle: QdiscHandle = .vethkit) {
        operations.append(.addQdisc(options, link, parent: parent, handle: handle, replace: true))
    }

    /// Deletes a qdisc (`tc qdisc del`), as ``NetHandle/deleteQdisc(link:parent:handle:)``.
    public mutating func deleteQdisc(link: LinkReference, parent: QdiscHandle = .root, handle: QdiscHandle = .vethkit) {
        operations.append(.deleteQdisc(link, parent: parent, handle: handle))
    }

    /// Impairs a link, as ``NetHandle/impair(_:_:)`` (an empty impairment clears VethKit's root
    /// qdisc). The ownership of every impaired link is checked from one qdisc dump before
    /// anything is sent; a user's root makes that operation's result ``QdiscNotOurs``.
    public mutating func impair(_ link: LinkReference, _ impairment: LinkImpairment) {
        operations.append(.impair(link, impairment))
    }

    /// How many operations the batch holds.
    public var count: Int { operations.count }
    /// True when the batch holds none.
    public var isEmpty: Bool { operations.isEmpty }
}

extension NetworkBatch.Operation {
    /// Checks the operation before any syscall.
    func validate() throws {
        switch self {
        case .addLink(let s): try s.validate()
        case .setLink(_, let c): try c.validate()
        case .addRoute(let r): try r.validate()
        case .addQdisc(let o, _, _, _, _): try o.validate()
        case .impair(_, let i): try i.validate()
        case .deleteLink, .addAddress, .deleteAddress, .deleteRoute, .deleteQdisc: break
        }
    }
}
