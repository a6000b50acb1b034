import CLinuxUAPI
import Netlink

extension Rule {
    /// Decodes an RTM_NEWRULE or RTM_DELRULE message; a truncated or inconsistent one throws
    /// `MalformedMessage`. For the fuzzer of the decoders: `@_spi(Decoding) import VethKit`.
    @_spi(Decoding) public init(message: NetlinkMessage) throws {
        let h = try message.header(fib_rule_hdr.self)
        let attrs = try message.attributes(after: fib_rule_hdr.self)
        let family = AddressFamily(rawValue: h.family)
        func prefix(_ type: Int, _ length: UInt8) throws -> IPNetwork? {
            guard let a = attrs[UInt16(type)] else {
                if length != 0 { throw MalformedMessage("rule: prefix length \(length) without an address") }
                return nil
            }
            guard let address = IPAddress(bytes: a.value), address.family == family else {
                throw MalformedMessage("rule: a \(a.value.count)-byte address in a family \(h.family) rule")
            }
            guard Int(length) <= address.bitWidth else { throw MalformedMessage("rule: prefix length \(length) for \(address)") }
            return try IPNetwork(address: address, prefixLength: Int(length))
        }
        func uids() throws -> ClosedRange<UInt32>? {
            guard let a = attrs[UInt16(FRA_UID_RANGE)] else { return nil }
            guard a.value.count >= MemoryLayout<fib_rule_uid_range>.size else { throw MalformedMessage("rule: uid range of \(a.value.count) bytes") }
            let r = a.structure(fib_rule_uid_range.self)
            guard r.start <= r.end else { throw MalformedMessage("rule: uid range \(r.start)-\(r.end)") }
            return r.start...r.end
        }
        func ports(_ type: Int) throws -> ClosedRange<UInt16>? {
            guard let a = attrs[UInt16(type)] else { return nil }
            guard a.value.count >= MemoryLayout<fib_rule_port_range>.size else { throw MalformedMessage("rule: port range of \(a.value.count) bytes") }
            let r = a.structure(fib_rule_port_range.self)
            guard r.start <= r.end else { throw MalformedMessage("rule: port range \(r.start)-\(r.end)") }
            return r.start...r.end
        }
        var table = RouteTable(rawValue: UInt32(h.table))
        if let t = attrs[UInt16(FRA_TABLE)] { table = RouteTable(rawValue: try t.integer(UInt32.self)) }
        let target = try attrs[UInt16(FRA_GOTO)].map { try $0.integer(UInt32.self) }
        self.init(family: family,
                  // The kernel leaves FRA_PRIORITY out for priority 0.
                  priority: try attrs[UInt16(FRA_PRIORITY)].map { try $0.integer(UInt32.self) } ?? 0,
                  source: try prefix(Int(FRA_SRC), h.src_len), destination: try prefix(Int(FRA_DST), h.dst_len),
                  invert: h.flags & UInt32(FIB_RULE_INVERT) != 0, tos: h.tos,
                  mark: try attrs[UInt16(FRA_FWMARK)].map { try $0.integer(UInt32.self) },
                  markMask: try attrs[UInt16(FRA_FWMASK)].map { try $0.integer(UInt32.self) },
                  inputInterface: attrs[UInt16(FRA_IIFNAME)]?.string, outputInterface: attrs[UInt16(FRA_OIFNAME)]?.string,
                  uidRange: try uids(),
                  ipProtocol: try attrs[UInt16(FRA_IP_PROTO)].map { try $0.integer(UInt8.self) },
                  sourcePorts: try ports(Int(FRA_SPORT_RANGE)), destinationPorts: try ports(Int(FRA_DPORT_RANGE)),
                  l3mdev: try attrs[UInt16(FRA_L3MDEV)].map { try $0.integer(UInt8.self) } ?? 0 != 0,
                  action: RuleAction(code: h.action, table: table, target: target),
                  suppressPrefixLength: try attrs[UInt16(FRA_SUPPRESS_PREFIXLEN)].map { try $0.integer(Int32.self) }.flatMap { $0 == -1 ? nil : $0 },
                  suppressInterfaceGroup: try attrs[UInt16(FRA_SUPPRESS_IFGROUP)].map { try $0.integer(Int32.self) }.flatMap { $0 == -1 ? nil : $0 },
                  protocol: RouteProtocol(rawValue: try attrs[UInt16(FRA_PROTOCOL)].map { try $0.integer(UInt8.self) } ?? 0))
        flags = h.flags
        // The kernel reports "match every uid" as the full range: no selector.
        if uidRange == 0...UInt32.max { uidRange = nil }
    }

    /// The request for RTM_NEWRULE (create, exclusive) or RTM_DELRULE, as `ip rule add|del` writes it:
    /// the table in the header up to 255, in FRA_TABLE above; only the selectors that are set.
    func encode(_ type: Int32, into m: inout MessageWriter) {
        let isNew = type == Int32(RTM_NEWRULE)
        m.begin(type: UInt16(type), flags: isNew ? NLM_F_CREATE | NLM_F_EXCL : 0)
        var h = fib_rule_hdr()
        h.family = family.rawValue
        h.src_len = UInt8(source?.prefixLength ?? 0)
        h.dst_len = UInt8(destination?.prefixLength ?? 0)
        h.tos = tos
        h.action = action.code
        h.flags = invert ? UInt32(FIB_RULE_INVERT) : 0
        let table = action.table ?? .unspecified
        h.table = table.rawValue < 256 ? UInt8(table.rawValue) : UInt8(RT_TABLE_UNSPEC.rawValue)
        m.append(header: h)
        if table.rawValue >= 256 { m.attribute(UInt16(FRA_TABLE), uint32: table.rawValue) }
        if let priority { m.attribute(UInt16(FRA_PRIORITY), uint32: priority) }
        if let source { m.attribute(UInt16(FRA_SRC), source.address.bytes) }
        if let destination { m.attribute(UInt16(FRA_DST), destination.address.bytes) }
        if let mark { m.attribute(UInt16(FRA_FWMARK), uint32: mark) }
        if let markMask { m.attribute(UInt16(FRA_FWMASK), uint32: markMask) }
        if let inputInterface { m.attribute(UInt16(FRA_IIFNAME), string: inputInterface) }
        if let outputInterface { m.attribute(UInt16(FRA_OIFNAME), string: outputInterface) }
        if case .goto(let n) = action { m.attribute(UInt16(FRA_GOTO), uint32: n) }
        if let suppressPrefixLength { m.attribute(UInt16(FRA_SUPPRESS_PREFIXLEN), int32: suppressPrefixLength) }
        if let suppressInterfaceGroup { m.attribute(UInt16(FRA_SUPPRESS_IFGROUP), int32: suppressInterfaceGroup) }
        if l3mdev { m.attribute(UInt16(FRA_L3MDEV), uint8: 1) }
        if let r = uidRange { m.attribute(UInt16(FRA_UID_RANGE), value: fib_rule_uid_range(start: r.lowerBound, end: r.upperBound)) }
        if `protocol` != .unspecified { m.attribute(UInt16(FRA_PROTOCOL), uint8: `protocol`.rawValue) }
        if let ipProtocol { m.attribute(UInt16(FRA_IP_PROTO), uint8: ipProtocol) }
        if let r = sourcePorts { m.attribute(UInt16(FRA_SPORT_RANGE), value: fib_rule_port_range(start: r.lowerBound, end: r.upperBound)) }
        if let r = destinationPorts { m.attribute(UInt16(FRA_DPORT_RANGE), value: fib_rule_port_range(start: r.lowerBound, end: r.upperBound)) }
    }
}
