import VethKitJSON
import VethKit

/// One range of host-local's config shape: `{subnet, rangeStart, rangeEnd, gateway}`, canonical:
/// start/end default to the first and last usable addresses, the gateway to the first address.
public struct IPRange: Equatable, Sendable {
    public var subnet: IPNetwork
    public var rangeStart: IPAddress
    public var rangeEnd: IPAddress
    public var gateway: IPAddress?

    /// Validates one range object; errors are code 7 naming the field.
    init(json: JSON, context: String) throws {
        let r = try FieldReader(json, context: context)
        guard let s = try r.string("subnet") else { throw CNIError(.invalidNetworkConfig, "\(context) has no subnet") }
        let net: IPNetwork
        do { net = try IPNetwork(s).masked } catch {
            throw CNIError(.invalidNetworkConfig, "\(context).subnet \"\(s.cniEscaped)\" is not a CIDR", details: "\(error)")
        }
        try self.init(subnet: net, start: try r.string("rangeStart"), end: try r.string("rangeEnd"),
                      gateway: try r.string("gateway"), context: context)
    }

    init(subnet net: IPNetwork, start: String?, end: String?, gateway: String?, context: String) throws {
        func bad(_ msg: String) -> CNIError { CNIError(.invalidNetworkConfig, "\(context): \(msg)") }
        // A bridge network: not wider than /8 (IPv4) or /16 (IPv6), and room for a gateway and
        // at least one container (IPv4 also loses the network and broadcast addresses).
        let minPrefix = net.isIPv4 ? 8 : 16
        if net.prefixLength < minPrefix {
            throw bad("subnet \(net) is too large for a bridge network (the shortest prefix is /\(minPrefix))")
        }
        let hostBits = net.address.bitWidth - net.prefixLength
        if hostBits < 2 { throw bad("subnet \(net) is too small for a gateway and a container (needs at least 2 host bits)") }
        subnet = net
        let first = net.network.advanced(by: 1)!
        let last = net.isIPv4 ? net.lastAddress.advanced(by: -1)! : net.lastAddress
        func addr(_ text: String?, _ field: String) throws -> IPAddress? {
            guard let text, !text.isEmpty else { return nil }
            guard let a = IPAddress(text) else { throw bad("\(field) \"\(text.cniEscaped)\" is not an IP address") }
            guard net.contains(a) else { throw bad("\(field) \(a) is not in subnet \(net)") }
            return a
        }
        rangeStart = try addr(start, "rangeStart") ?? first
        rangeEnd = try addr(end, "rangeEnd") ?? last
        if rangeStart < first || rangeStart > last { throw bad("rangeStart \(rangeStart) is the network or broadcast address of \(net)") }
        if rangeEnd < first || rangeEnd > last { throw bad("rangeEnd \(rangeEnd) is the network or broadcast address of \(net)") }
        if rangeStart > rangeEnd { throw bad("rangeStart \(rangeStart) is after rangeEnd \(rangeEnd)") }
        self.gateway = try addr(gateway, "gateway") ?? first
        if capacity == 0 {
            throw bad("range \(rangeStart)-\(rangeEnd) of subnet \(net) has no address left for a container (the gateway is \(self.gateway.map { "\($0)" } ?? "none"))")
        }
    }

    public func contains(_ a: IPAddress) -> Bool { a >= rangeStart && a <= rangeEnd && subnet.contains(a) }

    func overlaps(_ o: IPRange) -> Bool {
        subnet.isIPv4 == o.subnet.isIPv4 && rangeStart <= o.rangeEnd && o.rangeStart <= rangeEnd
    }

    /// How many addresses the range can hand out (the gateway excluded), capped at Int.max.
    public var capacity: Int {
        var n: UInt64
        switch (rangeStart, rangeEnd) {
        case (.v4(let a), .v4(let b)): n = UInt64(b - a) + 1
        case (.v6(let ah, let al), .v6(let bh, let bl)):
            if bh != ah { n = UInt64.max } else { n = bl - al == UInt64.max ? UInt64.max : bl - al + 1 }
        default: n = 0
        }
        if let g = gateway, contains(g), n > 0 { n -= 1 }
        return n > UInt64(Int.max) ? Int.max : Int(n)
    }
}

/// The built-in IPAM's configuration (`ipam.type` = `vethkit`), host-local's shape:
/// `ranges` (a list of range sets; one address is taken from each set), `routes`, `dataDir`,
/// or the legacy single range (`subnet`, `rangeStart`, `rangeEnd`, `gateway`).
public struct IPAMConfig: Sendable {
    public static let defaultDataDir = "/var/lib/cni/networks"
    public var rangeSets: [[IPRange]]
    public var routes: [CNIResult.Route]
    public var dataDir: String

    public init(json: JSON) throws {
        let r = try FieldReader(json, context: "ipam")
        var sets: [[IPRange]] = []
        if let rs = try r.array("ranges") {
            for (i, set) in rs.enumerated() {
                guard let items = set.arrayValue, !items.isEmpty else {
                    throw CNIError(.invalidNetworkConfig, "ipam.ranges[\(i)] must be a non-empty list of ranges")
                }
                sets.append(try items.enumerated().map { try IPRange(json: $1, context: "ipam.ranges[\(i)][\($0)]") })
            }
        }
        if r.has("subnet") {
            let s = try r.string("subnet")!
            let net: IPNetwork
            do { net = try IPNetwork(s).masked } catch {
                throw CNIError(.invalidNetworkConfig, "ipam.subnet \"\(s.cniEscaped)\" is not a CIDR", details: "\(error)")
            }
            sets.insert([try IPRange(subnet: net, start: try r.string("rangeStart"), end: try r.string("rangeEnd"),
                                     gateway: try r.string("gateway"), context: "ipam")], at: 0)
        }
        if sets.isEmpty { throw CNIError(.invalidNetworkConfig, "ipam has no ranges", details: "give ipam.ranges or ipam.subnet") }
        // No overlaps anywhere; one family per set.
        let all = sets.flatMap { $0 }
        for (i, a) in all.enumerated() {
            for b in all[(i + 1)...] where a.overlaps(b) {
                throw CNIError(.invalidNetworkConfig, "ipam ranges \(a.subnet) and \(b.subnet) overlap")
            }
        }
        for (i, set) in sets.enumerated() where Set(set.map(\.subnet.isIPv4)).count > 1 {
            throw CNIError(.invalidNetworkConfig, "ipam.ranges[\(i)] mixes IPv4 and IPv6 ranges")
        }
        rangeSets = sets
        var routes: [CNIResult.Route] = []
        for (i, rt) in (try r.array("routes") ?? []).enumerated() {
            let rr = try FieldReader(rt, context: "ipam.routes[\(i)]")
            guard let d = try rr.string("dst"), let dst = try? IPNetwork(d) else {
                throw CNIError(.invalidNetworkConfig, "ipam.routes[\(i)].dst must be a CIDR", details: rt.serialized)
            }
            var route = CNIResult.Route(dst: dst.masked)
            if let g = try rr.string("gw"), !g.isEmpty {
                guard let a = IPAddress(g), a.isIPv4 == dst.isIPv4 else {
                    throw CNIError(.invalidNetworkConfig, "ipam.routes[\(i)].gw \"\(g.cniEscaped)\" is not an address of the dst's family")
                }
                route.gw = a
            }
            routes.append(route)
        }
        self.routes = routes
        let d = try r.string("dataDir") ?? IPAMConfig.defaultDataDir
        try IPAMConfig.validateDataDir(d)
        dataDir = d
    }

    /// `dataDir` must be absolute, without `.`/`..` components or control characters (code 7).
    public static func validateDataDir(_ d: String) throws {
        guard d.hasPrefix("/"), d.utf8.count < 4096, !d.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }),
              !d.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw CNIError(.invalidNetworkConfig, "ipam.dataDir \"\(d.cniEscaped)\" must be an absolute path without '.', '..' or control characters")
        }
    }
}
