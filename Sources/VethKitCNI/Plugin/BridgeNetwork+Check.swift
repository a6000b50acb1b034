import VethKit

extension BridgeNetwork {
    /// Compares the kernel with `prevResult`: code 3 when the namespace is gone, 100 when an
    /// interface is missing or changed, 101 for a missing address, 102 for a missing route, 103
    /// for a missing IPAM reservation.
    public func check() throws {
        guard let prev = config.prevResult else {
            throw CNIError(.invalidNetworkConfig, "CHECK needs prevResult", details: "the runtime must pass the ADD result as prevResult")
        }
        let a = attachment
        let netnsPath = environment.netns!
        let netns = try openNetns(netnsPath)
        let host = try step("open rtnetlink") { try NetHandle() }
        let container = try step("open rtnetlink in CNI_NETNS") { try NetHandle(namespace: netns) }

        guard let ci = prev.interfaces.firstIndex(where: { $0.name == a.ifname && $0.sandbox != nil }) else {
            throw CNIError(.interfaceDrift, "prevResult has no interface \(a.ifname) in a sandbox")
        }
        let want = prev.interfaces[ci]
        let ifname = try InterfaceName(a.ifname)
        guard let cl = try step("look up \(a.ifname)", { try container.linkIfPresent(named: ifname) }) else {
            throw CNIError(.interfaceDrift, "interface \(a.ifname) is missing from CNI_NETNS \(netnsPath.cniEscaped)")
        }
        guard cl.isVeth else { throw CNIError(.interfaceDrift, "interface \(a.ifname) is not a veth", details: "kind: \(cl.kind ?? "none")") }
        if let m = want.mac, cl.address?.description != m.lowercased() {
            throw CNIError(.interfaceDrift, "interface \(a.ifname) has MAC \(cl.address?.description ?? "none"), expected \(m)")
        }
        if let mtu, cl.mtu != mtu {
            throw CNIError(.interfaceDrift, "interface \(a.ifname) has MTU \(cl.mtu ?? 0), expected \(mtu)")
        }
        guard let br = try step("look up bridge", { try host.linkIfPresent(named: config.bridge) }), br.kind == "bridge" else {
            throw CNIError(.interfaceDrift, "bridge \(config.bridge) is missing")
        }
        guard let hl = try step("look up host veth", { try host.linkIfPresent(named: hostVethName) }) else {
            throw CNIError(.interfaceDrift, "host veth \(hostVethName) is missing")
        }
        if hl.masterIndex != br.index {
            throw CNIError(.interfaceDrift, "host veth \(hostVethName) is not attached to bridge \(config.bridge)")
        }
        if cl.linkIndex != hl.index {
            throw CNIError(.interfaceDrift, "interface \(a.ifname) is not the peer of host veth \(hostVethName)")
        }
        if !cl.isUp { throw CNIError(.interfaceDrift, "interface \(a.ifname) is down") }

        let have = try step("list addresses of \(a.ifname)") { try container.addresses(link: .index(cl.index)) }
        let ips = prev.ips.filter { $0.interface == nil || $0.interface == ci }
        for ip in ips where !have.contains(where: { $0.network == ip.address }) {
            throw CNIError(.addressDrift, "address \(ip.address) is missing from \(a.ifname)",
                           details: "present: \(have.map(\.network.description).joined(separator: ", "))")
        }
        let routes = try step("list routes in CNI_NETNS") { try container.routes() }
        for r in prev.routes {
            let found = routes.contains { k in
                k.family == r.dst.family && k.destination == r.dst.masked && (r.gw == nil || k.gateway == r.gw)
            }
            if !found {
                throw CNIError(.routeDrift, "route \(r.dst)\(r.gw.map { " via \($0)" } ?? "") is missing in CNI_NETNS")
            }
        }
        if config.isGateway {
            let onBridge = try step("list addresses of \(config.bridge)") { try host.addresses(link: .index(br.index)) }
            for ip in ips {
                guard let gw = ip.gateway, let want = try? IPNetwork(address: gw, prefixLength: ip.address.prefixLength) else { continue }
                if !onBridge.contains(where: { $0.network == want }) {
                    throw CNIError(.addressDrift, "gateway address \(want) is missing from bridge \(config.bridge)")
                }
            }
        }
        try ipam.check(a, ips: ips)
    }
}
