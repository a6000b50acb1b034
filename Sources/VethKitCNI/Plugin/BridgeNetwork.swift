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
    func openNetns(_ path: String) throws -> NetworkNamespace { try openContainerNamespace(path) }

    // MARK: ADD

    public func add() throws -> CNIResult {
        let netnsPath = environment.netns!
        let netns = try openNetns(netnsPath)
        let host = try step("open rtnetlink") { try NetHandle() }
        let a = attachment
        // Addresses first: a refused ADD (bad IPAM, exhausted pool) leaves nothing behind, not even a bridge.
        let ipamResult = try ipam.add(a, netns: try NetnsRecord(attachment: a, path: netnsPath, namespace: netns))
        var masqueraded = false
        var vethCreated = false
        do {
            let bridge = try ensureBridge(host)
            let hostName = hostVethName
            let hostMAC = MACAddress.random(), containerMAC = MACAddress.random()
            let ifname = try InterfaceName(a.ifname)
            let spec = LinkSpec(
                LinkAttributes(name: hostName, mtu: mtu, address: hostMAC, group: Naming.linkGroup(network: config.name),
                               master: .index(bridge.index), up: true),
                // The peer cannot be brought up in the same request (veth_open: no peer yet, ENOTCONN).
                kind: Veth(peer: LinkAttributes(name: ifname, namespace: netns, mtu: mtu, address: containerMAC)))
            do {
                try host.addLink(spec)
            } catch where error.isExists {
                // A host end of this very attachment left by an interrupted ADD (a veth of this
                // network's group with this attachment's name): replace it. Anything else: refuse.
                guard let stale = (try? host.linkIfPresent(named: hostName)) ?? nil else {
                    throw CNIError(.kernelRefused, "interface \(a.ifname) already exists in CNI_NETNS \(netnsPath.cniEscaped)")
                }
                guard stale.isVeth, stale.group == Naming.linkGroup(network: config.name) else {
                    throw CNIError(.kernelRefused, "host interface name \(hostName) is taken by a device that is not ours")
                }
                try step("delete stale \(hostName)") { try host.deleteLink(.index(stale.index)) }
                try step("create veth \(hostName) / \(a.ifname)") { try host.addLink(spec) }
            } catch {
                throw cniError(error, "create veth \(hostName) / \(a.ifname)")
            }
            vethCreated = true
            if config.hairpinMode {
                let idx = try step("find \(hostName)") { try host.link(named: hostName).index }
                try step("set hairpin mode on \(hostName)") { try host.setBridgePort(index: idx, BridgePortChange(hairpin: true)) }
            }
            let container = try step("open rtnetlink in CNI_NETNS") { try NetHandle(namespace: netns) }
            let cl = try step("find \(a.ifname) in CNI_NETNS") { try container.link(named: ifname) }
            // The container side in one batch (one sendmsg): up, addresses, then routes (their
            // gateways need the addresses).
            var batch = NetworkBatch()
            var steps: [String] = []
            batch.setLink(.index(cl.index), LinkChange(up: true))
            steps.append("set \(a.ifname) up")
            for ip in ipamResult.ips {
                batch.addAddress(ip.address, to: .index(cl.index), noDAD: !ip.address.isIPv4 && !config.enableDAD)
                steps.append("add address \(ip.address) to \(a.ifname)")
            }
            var routes = ipamResult.routes
            for r in ipamResult.routes {
                let gw = r.gw ?? ipamResult.ips.first { $0.address.isIPv4 == r.dst.isIPv4 && $0.gateway != nil }?.gateway
                batch.addRoute(Route(destination: r.dst, gateway: gw, device: .index(cl.index)))
                steps.append("add route \(r.dst) in CNI_NETNS")
            }
            if config.isDefaultGateway {
                for ip in ipamResult.ips {
                    guard let gw = ip.gateway, !routes.contains(where: { $0.dst.prefixLength == 0 && $0.dst.isIPv4 == gw.isIPv4 }) else { continue }
                    let route = Route.defaultRoute(via: gw, device: .index(cl.index))
                    batch.addRoute(route)
                    steps.append("add default route via \(gw) in CNI_NETNS")
                    routes.append(CNIResult.Route(dst: route.destination, gw: gw))
                }
            }
            let results = try step("configure \(a.ifname) in CNI_NETNS") { try container.perform(batch) }
            for (k, r) in results.enumerated() {
                if case .failure(let e) = r { throw cniError(e, steps[k]) }
            }
            // IPv6: even `nodad` addresses stay tentative until the kernel's addrconf work (which
            // takes the RTNL lock) has run; on a busy host that can take seconds. Say "done" only
            // when they are usable, as the reference plugin does (link-local addresses excepted).
            let v6 = ipamResult.ips.map(\.address).filter { !$0.isIPv4 }
            if !v6.isEmpty { waitUntilUsable(container, link: .index(cl.index), v6) }
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
                try waitUntilRunning(host, [config.bridge, hostName], timeout: 3)
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
            if vethCreated { try? host.deleteLink(.name(hostVethName)) }
            try? ipam.del(a)
            throw cniError(error, "ADD")
        }
    }

    /// The bridge, created (up, with a fixed random MAC so it does not follow its ports) when missing.
    func ensureBridge(_ host: NetHandle) throws -> Link {
        let name = config.bridge.rawValue
        var link = try step("look up bridge \(name)") { try host.linkIfPresent(named: config.bridge) }
        if link == nil {
            do {
                try host.addLink(LinkSpec(LinkAttributes(name: config.bridge, mtu: mtu, address: .random(), up: true), kind: Bridge()))
            } catch where error.isExists {
                // Created concurrently by another ADD.
            } catch {
                throw cniError(error, "create bridge \(name)")
            }
            link = try step("look up bridge \(name)") { try host.link(named: config.bridge) }
        }
        guard let br = link else { throw CNIError(.ioFailure, "bridge \(name) vanished") }
        guard br.kind == "bridge" else {
            throw CNIError(.invalidNetworkConfig, "\(name) already exists and is not a bridge", details: "kind: \(br.kind ?? "none")")
        }
        var change = LinkChange()
        if !br.isUp { change.up = true }
        if config.promiscMode && !br.flags.contains(.promiscuous) { change.promiscuous = true }
        if !change.isEmpty {
            try step("set bridge \(name) up") { try host.setLink(.index(br.index), change) }
        }
        return br
    }

    func addGatewayAddresses(_ host: NetHandle, bridge: Link, ips: [CNIResult.IPConfig]) throws {
        var v4 = false, v6 = false
        for ip in ips {
            guard let gw = ip.gateway else { continue }
            let net = try IPNetwork(address: gw, prefixLength: ip.address.prefixLength)
            do {
                try host.addAddress(net, to: .index(bridge.index), noDAD: true)
            } catch where error.isExists {
            } catch {
                throw cniError(error, "add gateway address \(net) to bridge \(bridge.name)")
            }
            if gw.isIPv4 { v4 = true } else { v6 = true }
        }
        let gateways6 = ips.compactMap { ip in ip.gateway.flatMap { $0.isIPv4 ? nil : try? IPNetwork(address: $0, prefixLength: ip.address.prefixLength) } }
        if !gateways6.isEmpty { waitUntilUsable(host, link: .index(bridge.index), gateways6) }
        if v4 { try enableSysctl("net/ipv4/ip_forward") }
        if v6 { try enableSysctl("net/ipv6/conf/all/forwarding") }
    }

    /// Polls until the links are running (IFF_RUNNING: the kernel's link watcher has seen the
    /// carrier, so the bridge port forwards). A new veth's host end usually is within a fraction
    /// of a millisecond (the link watcher handles a veth at once), so the first pauses are short
    /// (0.1, 0.2, 0.5, 1, 2, 5 ms, then 10 ms): one fixed 10 ms step cost every ADD that looked a
    /// moment too early 10 ms. A bridge created moments ago can take up to a second.
    func waitUntilRunning(_ h: NetHandle, _ names: [InterfaceName], timeout: Double) throws {
        let deadline = monotonicSeconds() + timeout
        var pending = names
        let pauses: [UInt32] = [100, 200, 500, 1000, 2000, 5000]
        var k = 0
        while true {
            pending = try pending.filter { n in !(try h.linkIfPresent(named: n)?.flags.contains(.running) ?? false) }
            if pending.isEmpty || monotonicSeconds() > deadline { return }
            usleep(k < pauses.count ? pauses[k] : 10_000)
            k += 1
        }
    }

    /// Polls (1 ms, then 10 ms steps, up to 10 s) until none of `addresses` on the link is tentative.
    /// On time-out ADD still succeeds: the addresses are in place and become usable by themselves.
    func waitUntilUsable(_ h: NetHandle, link: LinkReference, _ addresses: [IPNetwork]) {
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
}
