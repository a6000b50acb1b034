import CLinuxUAPI
import Glibc
import VethKit

/// The kernel side of the plugin: containernetworking-plugins' `bridge`, done with VethKit in
/// process. One instance serves one invocation.
public struct BridgeNetwork {
    public let environment: CNIEnvironment
    public let config: NetworkConfig
    public let ipam: IPAMDriver

    public init(environment: CNIEnvironment, config: NetworkConfig, stdin: [UInt8]) throws {
        self.environment = environment
        self.config = config
        ipam = try IPAMDriver(config: config, environment: environment, stdin: stdin)
    }

    var attachment: NetworkConfig.Attachment {
        .init(containerID: environment.containerID ?? "", ifname: environment.ifname ?? "")
    }
    var hostVethName: InterfaceName { Naming.hostVeth(network: config.name, attachment) }
    var mtu: UInt32? { config.mtu == 0 ? nil : UInt32(config.mtu) }

    /// Opens CNI_NETNS and makes sure it is a namespace file (nsfs), before anything is created.
    func openNetns(_ path: String) throws -> NetworkNamespace {
        let ns: NetworkNamespace
        do { ns = try NetworkNamespace.open(path: path) } catch {
            throw CNIError(.unknownContainer, "cannot open CNI_NETNS \(path.cniEscaped)", details: "\(error)")
        }
        // NS_GET_NSTYPE (_IO(0xb7, 0x3)) answers CLONE_NEWNET only for a network namespace file.
        guard ioctl(ns.fileDescriptor, UInt(0xb703)) == Int32(CLONE_NEWNET) else {
            throw CNIError(.invalidEnvironment, "invalid CNI_NETNS \(path.cniEscaped): not a network namespace file")
        }
        return ns
    }

    // MARK: ADD

    public func add() throws -> CNIResult {
        let netnsPath = environment.netns!
        let netns = try openNetns(netnsPath)
        let host = try step("open rtnetlink") { try NetHandle() }
        let a = attachment
        // Addresses first: a refused ADD (bad IPAM, exhausted pool) leaves nothing behind, not even a bridge.
        let ipamResult = try ipam.add(a)
        var masqueraded = false
        var vethCreated = false
        do {
            let bridge = try ensureBridge(host)
            let hostName = hostVethName
            let hostMAC = MACAddress.random(), containerMAC = MACAddress.random()
            let ifname = try InterfaceName(a.ifname)
            let spec = LinkSpec(
                LinkAttributes(name: hostName, mtu: mtu, address: hostMAC, group: Naming.linkGroup(network: config.name),
                               masterIndex: bridge.index, up: true),
                // The peer cannot be brought up in the same request (veth_open: no peer yet, ENOTCONN).
                kind: Veth(peer: LinkAttributes(name: ifname, namespace: netns, mtu: mtu, address: containerMAC)))
            do {
                try host.addLink(spec)
            } catch where error.isExists {
                // A host end of this very attachment left by an interrupted ADD (a veth of this
                // network's group with this attachment's name): replace it. Anything else: refuse.
                guard let stale = (try? host.linkIfPresent(named: hostName.rawValue)) ?? nil else {
                    throw CNIError(.kernelRefused, "interface \(a.ifname) already exists in CNI_NETNS \(netnsPath.cniEscaped)")
                }
                guard stale.isVeth, stale.group == Naming.linkGroup(network: config.name) else {
                    throw CNIError(.kernelRefused, "host interface name \(hostName) is taken by a device that is not ours")
                }
                try step("delete stale \(hostName)") { try host.deleteLink(index: stale.index) }
                try step("create veth \(hostName) / \(a.ifname)") { try host.addLink(spec) }
            } catch {
                throw cniError(error, "create veth \(hostName) / \(a.ifname)")
            }
            vethCreated = true
            if config.hairpinMode {
                let idx = try step("find \(hostName)") { try host.link(named: hostName.rawValue).index }
                try step("set hairpin mode on \(hostName)") { try host.setBridgePort(index: idx, BridgePortChange(hairpin: true)) }
            }
            let container = try step("open rtnetlink in CNI_NETNS") { try NetHandle(namespace: netns) }
            let cl = try step("find \(a.ifname) in CNI_NETNS") { try container.link(named: a.ifname) }
            try step("set \(a.ifname) up") { try container.setLink(index: cl.index, LinkChange(up: true)) }
            for ip in ipamResult.ips {
                try step("add address \(ip.address) to \(a.ifname)") {
                    try container.addAddress(ip.address, linkIndex: cl.index, noDAD: !ip.address.isIPv4 && !config.enableDAD)
                }
            }
            // IPv6: even `nodad` addresses stay tentative until the kernel's addrconf work (which
            // takes the RTNL lock) has run; on a busy host that can take seconds. Say "done" only
            // when they are usable, as the reference plugin does (link-local addresses excepted).
            let v6 = ipamResult.ips.map(\.address).filter { !$0.isIPv4 }
            if !v6.isEmpty { waitUntilUsable(container, link: a.ifname, v6) }
            var routes = ipamResult.routes
            for r in ipamResult.routes {
                let gw = r.gw ?? ipamResult.ips.first { $0.address.isIPv4 == r.dst.isIPv4 && $0.gateway != nil }?.gateway
                try step("add route \(r.dst) in CNI_NETNS") {
                    try container.addRoute(Route(destination: r.dst, gateway: gw, outputIndex: cl.index))
                }
            }
            if config.isDefaultGateway {
                for ip in ipamResult.ips {
                    guard let gw = ip.gateway, !routes.contains(where: { $0.dst.prefixLength == 0 && $0.dst.isIPv4 == gw.isIPv4 }) else { continue }
                    let dst = try IPNetwork(address: gw.masked(to: 0), prefixLength: 0)
                    try step("add default route via \(gw) in CNI_NETNS") {
                        try container.addRoute(Route(destination: dst, gateway: gw, outputIndex: cl.index))
                    }
                    routes.append(CNIResult.Route(dst: dst, gw: gw))
                }
            }
            if config.isGateway {
                try addGatewayAddresses(host, bridge: bridge, ips: ipamResult.ips)
            }
            if config.ipMasq && !ipamResult.ips.isEmpty {
                let rules = ipamResult.ips.map { ip in
                    (source: try! IPNetwork(address: ip.address.address, prefixLength: ip.address.address.bitWidth),
                     excluding: Optional(ip.address.masked))
                }
                try step("install masquerade") {
                    try Masquerade.install(rules, owner: Naming.masqueradeOwner(network: config.name, a))
                }
                masqueraded = true
            }

            // A bridge created moments ago passes no traffic of its own (ARP replies from the
            // gateway address) until the kernel's link watcher activates it, which it batches for
            // up to a second: the first container would lose its first packets. Wait for it
            // (one RTM_GETLINK when it is already running, as for every later container).
            try step("wait for \(bridge.name) and \(hostName) to run") {
                try host.waitUntilRunning([bridge.name, hostName.rawValue], timeout: 3)
            }

            var result = CNIResult()
            var prefixInterfaces: [CNIResult.Interface] = []
            if let prev = config.prevResult {
                result = prev
                prefixInterfaces = prev.interfaces
            }
            let base = prefixInterfaces.count
            result.interfaces = prefixInterfaces + [
                CNIResult.Interface(name: bridge.name, mac: bridge.address?.description, mtu: bridge.mtu.map(Int.init)),
                CNIResult.Interface(name: hostName.rawValue, mac: hostMAC.description, mtu: cl.mtu.map(Int.init)),
                CNIResult.Interface(name: a.ifname, mac: containerMAC.description, mtu: cl.mtu.map(Int.init), sandbox: netnsPath),
            ]
            result.ips += ipamResult.ips.map { var ip = $0; ip.interface = base + 2; return ip }
            result.routes += routes
            if let d = ipamResult.dns { result.dns = d } else if result.dns == nil, let d = config.dns { result.dns = d }
            return result
        } catch {
            // Undo in reverse: masquerade, veth (the container end goes with it), reservation.
            if masqueraded { try? Masquerade.remove(owner: Naming.masqueradeOwner(network: config.name, a)) }
            if vethCreated { try? host.deleteLink(named: hostVethName.rawValue) }
            try? ipam.del(a)
            throw cniError(error, "ADD")
        }
    }

    /// The bridge, created (up, with a fixed random MAC so it does not follow its ports) when missing.
    func ensureBridge(_ host: NetHandle) throws -> Link {
        let name = config.bridge.rawValue
        var link = try step("look up bridge \(name)") { try host.linkIfPresent(named: name) }
        if link == nil {
            do {
                try host.addLink(LinkSpec(LinkAttributes(name: config.bridge, mtu: mtu, address: .random(), up: true), kind: Bridge()))
            } catch where error.isExists {
                // Created concurrently by another ADD.
            } catch {
                throw cniError(error, "create bridge \(name)")
            }
            link = try step("look up bridge \(name)") { try host.link(named: name) }
        }
        guard let br = link else { throw CNIError(.ioFailure, "bridge \(name) vanished") }
        guard br.kind == "bridge" else {
            throw CNIError(.invalidNetworkConfig, "\(name) already exists and is not a bridge", details: "kind: \(br.kind ?? "none")")
        }
        var change = LinkChange()
        if !br.isUp { change.up = true }
        if config.promiscMode && !br.flags.contains(.promiscuous) { change.promiscuous = true }
        if !change.isEmpty {
            try step("set bridge \(name) up") { try host.setLink(index: br.index, change) }
        }
        return br
    }

    func addGatewayAddresses(_ host: NetHandle, bridge: Link, ips: [CNIResult.IPConfig]) throws {
        var v4 = false, v6 = false
        for ip in ips {
            guard let gw = ip.gateway else { continue }
            let net = try IPNetwork(address: gw, prefixLength: ip.address.prefixLength)
            do {
                try host.addAddress(net, linkIndex: bridge.index, noDAD: true)
            } catch where error.isExists {
            } catch {
                throw cniError(error, "add gateway address \(net) to bridge \(bridge.name)")
            }
            if gw.isIPv4 { v4 = true } else { v6 = true }
        }
        let gateways6 = ips.compactMap { ip in ip.gateway.flatMap { $0.isIPv4 ? nil : try? IPNetwork(address: $0, prefixLength: ip.address.prefixLength) } }
        if !gateways6.isEmpty { waitUntilUsable(host, link: bridge.name, gateways6) }
        if v4 { try enableSysctl("net/ipv4/ip_forward") }
        if v6 { try enableSysctl("net/ipv6/conf/all/forwarding") }
    }

    /// Polls (1 ms, then 10 ms steps, up to 10 s) until none of `addresses` on the link is tentative.
    /// On time-out ADD still succeeds: the addresses are in place and become usable by themselves.
    func waitUntilUsable(_ h: NetHandle, link: String, _ addresses: [IPNetwork]) {
        let deadline = monotonicSeconds() + 10
        var pause: UInt32 = 1000
        while let have = try? h.addresses(link: link) {
            let pending = have.contains { a in a.isTentative && addresses.contains(a.network) }
            if !pending || monotonicSeconds() > deadline { return }
            usleep(pause)
            pause = 10_000
        }
    }

    func enableSysctl(_ key: String) throws {
        if (try? Sysctl.read(key)) == "1" { return }
        try step("sysctl \(key)=1") { try Sysctl.write(key, "1") }
    }

    /// `bridge link set dev X hairpin on`: RTM_SETLINK, family AF_BRIDGE, IFLA_PROTINFO { IFLA_BRPORT_MODE = 1 }.
    // MARK: DEL

    /// Idempotent: a second DEL, a gone namespace or an unknown container all succeed.
    public func del() throws {
        let a = attachment
        try ipam.del(a)
        let host = try step("open rtnetlink") { try NetHandle() }
        // Only a veth of this network's group with this attachment's name is ours to delete.
        if let l = try step("look up \(hostVethName)", { try host.linkIfPresent(named: hostVethName.rawValue) }),
           l.isVeth, l.group == Naming.linkGroup(network: config.name) {
            do {
                try host.deleteLink(index: l.index)
            } catch where error.isNotFound {
            } catch {
                throw cniError(error, "delete veth \(hostVethName)")
            }
        }
        // Without libnftables nothing can have been installed: DEL stays idempotent.
        if config.ipMasq && NFTables.isAvailable {
            try step("remove masquerade") { try Masquerade.remove(owner: Naming.masqueradeOwner(network: config.name, a)) }
        }
    }

    // MARK: CHECK

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
        guard let cl = try step("look up \(a.ifname)", { try container.linkIfPresent(named: a.ifname) }) else {
            throw CNIError(.interfaceDrift, "interface \(a.ifname) is missing from CNI_NETNS \(netnsPath.cniEscaped)")
        }
        guard cl.isVeth else { throw CNIError(.interfaceDrift, "interface \(a.ifname) is not a veth", details: "kind: \(cl.kind ?? "none")") }
        if let m = want.mac, cl.address?.description != m.lowercased() {
            throw CNIError(.interfaceDrift, "interface \(a.ifname) has MAC \(cl.address?.description ?? "none"), expected \(m)")
        }
        if let mtu, cl.mtu != mtu {
            throw CNIError(.interfaceDrift, "interface \(a.ifname) has MTU \(cl.mtu ?? 0), expected \(mtu)")
        }
        guard let br = try step("look up bridge", { try host.linkIfPresent(named: config.bridge.rawValue) }), br.kind == "bridge" else {
            throw CNIError(.interfaceDrift, "bridge \(config.bridge) is missing")
        }
        guard let hl = try step("look up host veth", { try host.linkIfPresent(named: hostVethName.rawValue) }) else {
            throw CNIError(.interfaceDrift, "host veth \(hostVethName) is missing")
        }
        if hl.masterIndex != br.index {
            throw CNIError(.interfaceDrift, "host veth \(hostVethName) is not attached to bridge \(config.bridge)")
        }
        if cl.linkIndex != hl.index {
            throw CNIError(.interfaceDrift, "interface \(a.ifname) is not the peer of host veth \(hostVethName)")
        }
        if !cl.isUp { throw CNIError(.interfaceDrift, "interface \(a.ifname) is down") }

        let have = try step("list addresses of \(a.ifname)") { try container.addresses(link: a.ifname) }
        let ips = prev.ips.filter { $0.interface == nil || $0.interface == ci }
        for ip in ips where !have.contains(where: { $0.network == ip.address }) {
            throw CNIError(.addressDrift, "address \(ip.address) is missing from \(a.ifname)",
                           details: "present: \(have.map(\.network.description).joined(separator: ", "))")
        }
        let routes = try step("list routes in CNI_NETNS") { try container.routes() }
        for r in prev.routes {
            let found = routes.contains { k in
                guard k.family == r.dst.address.family else { return false }
                let kdst = k.destination ?? (try! IPNetwork(address: r.dst.address.masked(to: 0), prefixLength: 0))
                return kdst.masked == r.dst.masked && (r.gw == nil || k.gateway == r.gw)
            }
            if !found {
                throw CNIError(.routeDrift, "route \(r.dst)\(r.gw.map { " via \($0)" } ?? "") is missing in CNI_NETNS")
            }
        }
        if config.isGateway {
            let onBridge = try step("list addresses of \(config.bridge)") { try host.addresses(link: config.bridge.rawValue) }
            for ip in ips {
                guard let gw = ip.gateway, let want = try? IPNetwork(address: gw, prefixLength: ip.address.prefixLength) else { continue }
                if !onBridge.contains(where: { $0.network == want }) {
                    throw CNIError(.addressDrift, "gateway address \(want) is missing from bridge \(config.bridge)")
                }
            }
        }
        try ipam.check(a, ips: ips)
    }

    // MARK: GC, STATUS

    /// Removes reservations, host veths and masquerade rules of attachments not in
    /// `cni.dev/valid-attachments`.
    public func gc() throws {
        let keep = Set(config.validAttachments)
        var firstError: Error?
        do { try ipam.gc(keep: keep) } catch { firstError = error }
        let host = try step("open rtnetlink") { try NetHandle() }
        let keepNames = Set(keep.map { Naming.hostVeth(network: config.name, $0).rawValue })
        let group = Naming.linkGroup(network: config.name)
        for l in try step("list links", { try host.links() }) where l.isVeth && l.group == group && !keepNames.contains(l.name) {
            do { try host.deleteLink(index: l.index) } catch where error.isNotFound {
            } catch { firstError = firstError ?? cniError(error, "delete stale veth \(l.name)") }
        }
        if NFTables.isAvailable {
            let prefix = Naming.masqueradePrefix(network: config.name)
            let keepOwners = Set(keep.map { Naming.masqueradeOwner(network: config.name, $0) })
            do {
                for o in try Masquerade.owners() where o.hasPrefix(prefix) && !keepOwners.contains(o) {
                    try Masquerade.remove(owner: o)
                }
            } catch { firstError = firstError ?? cniError(error, "remove stale masquerade rules") }
        }
        if let firstError { throw cniError(firstError, "GC") }
    }

    /// Whether ADD can succeed: the address pool has room, nftables is there when ipMasq asks for it.
    public func status() throws {
        if config.ipMasq && !NFTables.isAvailable {
            throw CNIError(.notAvailable, "ipMasq needs nftables, which is not installed", details: "install libnftables1")
        }
        try ipam.status()
    }
}
