import VethKit

/// `"type": "loopback"`: containernetworking-plugins' `loopback` plugin, in process. containerd's
/// CRI runs a loopback network for every pod beside the pod's own (in parallel with it); a copy or
/// link of vethkit-cni installed as `loopback` in the runtime's plugin directory serves it.
///
/// Like the reference plugin: ADD brings CNI_NETNS's `lo` up and returns it with its addresses
/// (127.0.0.1/8, ::1/128); DEL brings it down and succeeds when there is nothing to do (no
/// CNI_NETNS, the namespace gone); CHECK fails unless `lo` is up. CNI_IFNAME is not used (the
/// reference ignores it too). Unlike it, `lo` of the plugin's own namespace is never touched:
/// ADD and CHECK refuse it (code 4), DEL leaves it alone and says so on stderr.
enum Loopback {
    /// The configuration's `type` served here.
    static let pluginType = "loopback"

    /// Runs `command`; returns the result for ADD, nil otherwise, and notes for stderr.
    static func run(_ env: CNIEnvironment, cniVersion: String) throws -> (result: CNIResult?, notes: [String]) {
        switch env.command {
        case .add:
            let path = env.netns!
            let ns = try openContainerNamespace(path)
            let handle = try step("open rtnetlink in CNI_NETNS") { try NetHandle(namespace: ns) }
            let lo = try loopbackLink(handle)
            if !lo.isUp {
                try step("set lo up") { try handle.setLink(.index(lo.index), LinkChange(up: true)) }
            }
            let addresses = try step("list the addresses of lo") { try handle.addresses(link: .index(lo.index)) }
            var result = CNIResult()
            result.interfaces = [.init(name: lo.name, mac: "00:00:00:00:00:00", sandbox: path)]
            // IPv4 first, as the reference lists them (one per family when IPv6 is on).
            let ordered = addresses.filter { $0.network.isIPv4 } + addresses.filter { !$0.network.isIPv4 }
            result.ips = ordered.map { .init(address: $0.network, interface: 0) }
            return (result, [])
        case .check:
            let ns = try openContainerNamespace(env.netns!)
            let handle = try step("open rtnetlink in CNI_NETNS") { try NetHandle(namespace: ns) }
            guard try loopbackLink(handle).isUp else {
                throw CNIError(.interfaceDrift, "lo is down in CNI_NETNS \(env.netns!.cniEscaped)")
            }
            return (nil, [])
        case .del:
            // Nothing to bring down without a namespace: the runtime removed it, or never made one.
            guard let path = env.netns, let ns = try? NetworkNamespace.open(path: path), ns.isNetworkNamespace else {
                return (nil, [])
            }
            if (try? ns.isSame(as: NetworkNamespace.current())) != false {
                return (nil, ["CNI_NETNS \(path.cniEscaped) is the plugin's own network namespace: its lo is left as it is"])
            }
            let handle = try step("open rtnetlink in CNI_NETNS") { try NetHandle(namespace: ns) }
            guard let lo = try? loopbackLink(handle), lo.isUp else { return (nil, []) }
            try step("set lo down") { try handle.setLink(.index(lo.index), LinkChange(up: false)) }
            return (nil, [])
        case .status, .gc, .version:
            // Nothing is reserved or kept: always available, nothing to collect.
            return (nil, [])
        }
    }

    /// The namespace's loopback device (`lo`).
    static func loopbackLink(_ handle: NetHandle) throws -> Link {
        do { return try handle.link(named: InterfaceName("lo")) } catch {
            throw cniError(error, "find lo in CNI_NETNS")
        }
    }
}
