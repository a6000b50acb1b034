import CLinuxUAPI
import Glibc
import Netlink

extension NetHandle {
    /// The neighbour (ARP / NDP) entries of `family` (IPv4 and IPv6 by default), every state:
    /// `ip neigh show nud all`. With `proxy`, the proxy entries instead (`ip neigh show proxy`).
    /// Bridge forwarding entries are not included.
    public func neighbours(family: AddressFamily = .unspecified, proxy: Bool = false) throws -> [Neighbour] {
        var m = MessageWriter(type: UInt16(RTM_GETNEIGH))
        var h = ndmsg()
        h.ndm_family = family.rawValue
        h.ndm_flags = proxy ? UInt8(NTF_PROXY) : 0
        m.append(header: h)
        return try socket.dump(m).compactMap { m in
            guard m.type == UInt16(RTM_NEWNEIGH) else { return nil }
            let n = try Neighbour(message: m)
            guard n.family == AddressFamily.inet.rawValue || n.family == AddressFamily.inet6.rawValue, n.destination != nil else { return nil }
            return n.isProxy == proxy ? n : nil
        }
    }

    /// Adds a neighbour entry on `device` (`ip neigh add`); with `replace`, changes the entry of
    /// that address or adds it (`ip neigh replace`). Checked before anything is sent: an entry
    /// in a state that keeps an address (permanent, noarp, reachable, stale) needs one; a proxy
    /// entry takes none.
    public func addNeighbour(_ entry: Neighbour, on device: LinkReference, replace: Bool = false) throws {
        try entry.validate()
        var m = MessageWriter(capacity: 96)
        entry.encode(Int32(RTM_NEWNEIGH), index: try index(of: device), replace: replace, into: &m)
        try socket.request(m)
    }

    /// Deletes the neighbour entry of `entry`'s address on `device` (`ip neigh del`; a proxy
    /// entry with `entry.isProxy`). Throws ``NotFound`` when there is none.
    public func deleteNeighbour(_ entry: Neighbour, on device: LinkReference) throws {
        var m = MessageWriter(capacity: 96)
        entry.encode(Int32(RTM_DELNEIGH), index: try index(of: device), replace: false, into: &m)
        do {
            try socket.request(m)
        } catch let e as KernelError where e.errno == .noSuchFileOrDirectory {
            throw NotFound(.neighbour, entry.destination.map { "\($0)" } ?? "?", in: placeName)
        }
    }
}

extension Neighbour {
    /// The checks of ``NetHandle/addNeighbour(_:on:replace:)``.
    public func validate() throws {
        guard let destination else { throw InvalidInput("neighbour", "-", "needs an IP address") }
        let keeps = UInt16(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_STALE)
        if isProxy {
            if linkLayerAddress != nil { throw InvalidInput("neighbour", "\(destination)", "is a proxy entry: it takes no link-layer address") }
        } else if state & keeps != 0 && linkLayerAddress == nil {
            throw InvalidInput("neighbour", "\(destination)", "needs a link-layer address (--lladdr) in state \(stateNames.joined(separator: ",").lowercased())")
        }
        if let l = linkLayerAddress, l.bytes.count != 6 { throw InvalidInput("lladdr", "\(l)", "is not six bytes") }
    }
}
