import CLinuxUAPI
import Glibc
import Netlink

extension NetHandle {
    /// The forwarding database (`bridge fdb show`): every AF_BRIDGE entry; with `master`, those
    /// of that bridge and of its ports (their `self` entries too, as `bridge fdb show br BR`);
    /// with `device`, those of that port or device.
    public func fdb(master: LinkReference? = nil, device: LinkReference? = nil) throws -> [FDBEntry] {
        var m = MessageWriter(type: UInt16(RTM_GETNEIGH))
        var h = ndmsg()
        h.ndm_family = UInt8(AF_BRIDGE)
        m.append(header: h)
        let deviceIndex = try device.map { try index(of: $0) }
        var members: Set<Int32>?
        if let master {
            let b = try index(of: master)
            members = Set(try linksWithoutStatistics().filter { $0.masterIndex == b }.map(\.index) + [b])
        }
        return try socket.dump(m).compactMap { m in
            guard m.type == UInt16(RTM_NEWNEIGH), m.payload.first == UInt8(AF_BRIDGE) else { return nil }
            let e = try FDBEntry(message: m)
            if let deviceIndex, e.linkIndex != deviceIndex { return nil }
            if let members, !members.contains(e.linkIndex) { return nil }
            return e
        }
    }

    /// Adds an fdb entry on `device` (`bridge fdb add`); `replace` changes the entry of that
    /// address and VLAN or adds it (`bridge fdb replace`), `append` adds another remote for the
    /// address (`bridge fdb append`, a vxlan's head-end replication).
    public func addFDB(_ entry: FDBEntry, on device: LinkReference, replace: Bool = false, append: Bool = false) throws {
        var m = MessageWriter(capacity: 96)
        let f = NLM_F_CREATE | (replace ? Int32(NLM_F_REPLACE) : append ? Int32(NLM_F_APPEND) : NLM_F_EXCL)
        entry.encode(Int32(RTM_NEWNEIGH), index: try index(of: device), flags: f, into: &m)
        try socket.request(m)
    }

    /// Deletes the fdb entry of `entry`'s address (and VLAN, and table: master or self) on
    /// `device` (`bridge fdb del`); throws ``NotFound`` when there is none.
    public func deleteFDB(_ entry: FDBEntry, on device: LinkReference) throws {
        var m = MessageWriter(capacity: 96)
        entry.encode(Int32(RTM_DELNEIGH), index: try index(of: device), flags: 0, into: &m)
        do {
            try socket.request(m)
        } catch let e as KernelError where e.errno == .noSuchFileOrDirectory {
            throw NotFound(.fdbEntry, "\(entry.mac)\(entry.vlan.map { " vlan \($0)" } ?? "")", in: placeName)
        }
    }
}
