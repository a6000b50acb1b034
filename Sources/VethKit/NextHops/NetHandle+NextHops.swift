import CLinuxUAPI
import Netlink

extension NetHandle {
    /// The nexthop objects (`ip nexthop show`), every family, by id.
    public func nexthops() throws -> [NextHopObject] {
        var m = MessageWriter(type: UInt16(RTM_GETNEXTHOP))
        m.append(header: nhmsg())
        return try socket.dump(m).compactMap { m in
            m.type == UInt16(RTM_NEWNEXTHOP) ? try NextHopObject(message: m) : nil
        }
    }

    /// Adds a nexthop object (`ip nexthop add`), checked first (``NextHopObject/validate()``).
    public func addNextHop(_ nexthop: NextHopObject) throws {
        try nexthop.validate()
        let deviceIndex = try nexthop.device.map { try self.index(of: $0) }
        var m = MessageWriter(capacity: 160)
        nexthop.encode(deviceIndex: deviceIndex, into: &m)
        try socket.request(m)
    }

    /// Deletes the nexthop object `id` (`ip nexthop del id N`); the routes using it go with it,
    /// as in the kernel. Throws ``NotFound`` when there is none.
    public func deleteNextHop(id: UInt32) throws {
        var m = MessageWriter(capacity: 64)
        m.begin(type: UInt16(RTM_DELNEXTHOP))
        m.append(header: nhmsg())
        m.attribute(UInt16(NHA_ID), uint32: id)
        do {
            try socket.request(m)
        } catch let e as KernelError where e.errno == .noSuchFileOrDirectory {
            throw NotFound(.nexthop, String(id), in: placeName)
        }
    }
}
