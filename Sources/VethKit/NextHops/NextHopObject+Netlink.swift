import CLinuxUAPI
import Glibc
import Netlink

extension NextHopObject {
    /// Decodes an RTM_NEWNEXTHOP message; a truncated or inconsistent one throws `MalformedMessage`.
    @_spi(Decoding) public init(message: NetlinkMessage) throws {
        let h = try message.header(nhmsg.self)
        let attrs = try message.attributes(after: nhmsg.self)
        guard let idAttr = attrs[UInt16(NHA_ID)] else { throw MalformedMessage("nexthop: no NHA_ID") }
        self.init(id: try idAttr.integer(UInt32.self), family: AddressFamily(rawValue: h.nh_family))
        if let g = attrs[UInt16(NHA_GATEWAY)] {
            guard let a = IPAddress(bytes: g.value) else { throw MalformedMessage("nexthop: a \(g.value.count)-byte gateway") }
            gateway = a
        }
        if let o = attrs[UInt16(NHA_OIF)] { device = .index(try o.integer(Int32.self)) }
        blackhole = attrs[UInt16(NHA_BLACKHOLE)] != nil
        fdb = attrs[UInt16(NHA_FDB)] != nil
        flags = RouteFlags(rawValue: h.nh_flags)
        `protocol` = RouteProtocol(rawValue: h.nh_protocol)
        scope = RouteScope(rawValue: h.nh_scope)
        if let g = attrs[UInt16(NHA_GROUP)] {
            let size = MemoryLayout<nexthop_grp>.size
            guard g.value.count % size == 0, !g.value.isEmpty else { throw MalformedMessage("nexthop: a \(g.value.count)-byte group") }
            var start = g.value.startIndex
            while start < g.value.endIndex {
                let e = Attribute(type: 0, value: g.value[start..<start + size]).structure(nexthop_grp.self)
                // weight is weight − 1; newer kernels put the high byte of 16-bit weights in resvd1.
                group.append(NextHopGroupMember(id: e.id, weight: Int(e.weight) + Int(e.resvd1) << 8 + 1))
                start += size
            }
        }
        if let t = attrs[UInt16(NHA_GROUP_TYPE)] {
            let v = try t.integer(UInt16.self)
            guard let type = NextHopGroupType(rawValue: v) else { throw MalformedMessage("nexthop: group type \(v)") }
            groupType = type
        }
        if let r = attrs[UInt16(NHA_RES_GROUP)] {
            let n = try r.nested()
            let hz = UInt64(Route.clockTicksPerSecond)
            var p = ResilientGroupParameters()
            p.buckets = try n[UInt16(NHA_RES_GROUP_BUCKETS)].map { try $0.integer(UInt16.self) }
            p.idleTimer = try n[UInt16(NHA_RES_GROUP_IDLE_TIMER)].map { UInt32(UInt64(try $0.integer(UInt32.self)) / hz) }
            p.unbalancedTimer = try n[UInt16(NHA_RES_GROUP_UNBALANCED_TIMER)].map { UInt32(UInt64(try $0.integer(UInt32.self)) / hz) }
            p.unbalancedTime = try n[UInt16(NHA_RES_GROUP_UNBALANCED_TIME)].map { try $0.integer(UInt64.self) / hz }
            resilient = p
        }
    }

    /// The request for RTM_NEWNEXTHOP (create, exclusive), as `ip nexthop add` writes it; the
    /// device already resolved to its index.
    func encode(deviceIndex: Int32?, into m: inout MessageWriter) {
        m.begin(type: UInt16(RTM_NEWNEXTHOP), flags: NLM_F_CREATE | NLM_F_EXCL)
        var h = nhmsg()
        h.nh_family = family.rawValue
        h.nh_protocol = `protocol`.rawValue
        h.nh_flags = flags.rawValue
        m.append(header: h)
        m.attribute(UInt16(NHA_ID), uint32: id)
        if !group.isEmpty {
            var bytes: [UInt8] = []
            for g in group {
                var e = nexthop_grp()
                e.id = g.id
                e.weight = UInt8(g.weight - 1)
                withUnsafeBytes(of: e) { bytes += $0 }
            }
            m.attribute(UInt16(NHA_GROUP), bytes)
            m.attribute(UInt16(NHA_GROUP_TYPE), uint16: groupType.rawValue)
            if groupType == .resilient, let r = resilient {
                let hz = UInt32(Route.clockTicksPerSecond)
                m.nested(UInt16(NHA_RES_GROUP)) { n in
                    if let b = r.buckets { n.attribute(UInt16(NHA_RES_GROUP_BUCKETS), uint16: b) }
                    if let t = r.idleTimer { n.attribute(UInt16(NHA_RES_GROUP_IDLE_TIMER), uint32: t * hz) }
                    if let t = r.unbalancedTimer { n.attribute(UInt16(NHA_RES_GROUP_UNBALANCED_TIMER), uint32: t * hz) }
                }
            }
        }
        if blackhole { m.attribute(UInt16(NHA_BLACKHOLE), [UInt8]()) }
        if let deviceIndex { m.attribute(UInt16(NHA_OIF), uint32: UInt32(bitPattern: deviceIndex)) }
        if let gateway { m.attribute(UInt16(NHA_GATEWAY), gateway.bytes) }
        if fdb { m.attribute(UInt16(NHA_FDB), [UInt8]()) }
    }

    /// The checks of ``NetHandle/addNextHop(_:)``, before any syscall: one kind of next hop,
    /// weights 1–256, no member twice or itself, a gateway of the object's family.
    public func validate() throws {
        let what = "nexthop \(id)"
        if id == 0 { throw InvalidInput("nexthop id", "0", "is not 1-4294967295") }
        let kinds = [isGroup, blackhole, gateway != nil || device != nil].filter { $0 }.count
        if kinds == 0 { throw InvalidInput(what, "-", "needs --via and --dev, --dev, --blackhole or --group") }
        if kinds > 1 { throw InvalidInput(what, "-", "is one of a gateway or device, a blackhole, or a group") }
        if let gateway, family != .unspecified, gateway.family != family {
            throw InvalidInput("gateway", "\(gateway)", "is not of the nexthop's family")
        }
        if gateway != nil && device == nil && !fdb { throw InvalidInput("gateway", "\(gateway!)", "needs --dev (the device it is on)") }
        if flags.contains(.onlink) && gateway == nil { throw InvalidInput(what, "onlink", "needs a gateway") }
        var seen = Set<UInt32>()
        for g in group {
            if g.weight < 1 || g.weight > 256 { throw InvalidInput("group weight", String(g.weight), "is not 1-256") }
            if g.id == 0 || g.id == id { throw InvalidInput("group member", String(g.id), g.id == 0 ? "is not an id" : "is the group itself") }
            if !seen.insert(g.id).inserted { throw InvalidInput("group member", String(g.id), "is given twice") }
        }
        if resilient != nil && groupType != .resilient { throw InvalidInput(what, "buckets/timers", "are for a resilient group (--type resilient)") }
        if groupType == .resilient && !isGroup { throw InvalidInput(what, "resilient", "is a group type: give --group") }
        if let b = resilient?.buckets, b == 0 { throw InvalidInput("buckets", "0", "is not 1-65535") }
        // The kernel has no default bucket count (it refuses a resilient group without one).
        if groupType == .resilient && resilient?.buckets == nil { throw InvalidInput(what, "resilient", "needs --buckets") }
        if case .name(let n)? = device, n.rawValue.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw InvalidInput("interface name", n.rawValue, "contains a control character")
        }
        if fdb && (blackhole || device != nil) { throw InvalidInput(what, "fdb", "takes a gateway or a group, no device or blackhole") }
    }
}
