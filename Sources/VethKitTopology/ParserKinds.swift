import VethKit

extension TopologyParser {
    /// The node keys of the kind links, with the kind each declares.
    static let kindSections: [String: DeclaredInterface.Kind] = [
        "vlans": .vlan, "macvlans": .macvlan, "ipvlans": .ipvlan, "vxlans": .vxlan, "dummies": .dummy,
    ]

    /// The keys of one kind link's mapping.
    static func kindKeys(_ kind: DeclaredInterface.Kind) -> Set<String> {
        let common: Set<String> = ["addresses", "mac", "mtu"]
        switch kind {
        case .vlan: return common.union(["link", "id", "protocol"])
        case .macvlan, .ipvlan: return common.union(["link", "mode"])
        case .vxlan: return common.union(["id", "remote", "group", "local", "dstport", "dev", "learning"])
        default: return common
        }
    }

    /// One of `vlans`, `macvlans`, `ipvlans`, `vxlans`, `dummies`: a mapping of interface name to
    /// its options. Parents are checked once every interface of the node is known (``checkParents()``).
    mutating func parseKindLinks(_ v: YAMLNode, section: String, into node: inout Topology.Node) {
        guard let kind = Self.kindSections[section] else { return }
        let nodeName = node.name
        guard let entries = mapping(v, "\(section) of \"\(nodeName)\"", allowed: nil) else { return }
        for (name, keyNode, body) in entries {
            guard interfaceName(keyNode, "\(kind.rawValue) name") != nil else { continue }
            // The kernel takes any byte but NUL, '/', ':' and whitespace; a control character in a
            // name would only end up in someone's terminal.
            if name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
                error(keyNode, "invalid interface name \"\(name)\": contains a control character"); continue
            }
            declareIface(node: nodeName, name: name, at: keyNode)
            guard let fields = mapping(body, "\(kind.rawValue) \"\(name)\"", allowed: Self.kindKeys(kind)) else { continue }
            if let k = parseKindLink(kind, name: name, node: nodeName, fields, at: keyNode) {
                node.kindLinks.append(k)
                kindLinkNodes[nodeName, default: [:]][name] = (k.parent, keyNode)
            }
        }
    }

    /// The options of one kind link; nil (with errors) when any is wrong or missing.
    mutating func parseKindLink(_ kind: DeclaredInterface.Kind, name: String, node: String,
                                _ fields: [(key: String, keyNode: YAMLNode, value: YAMLNode)], at keyNode: YAMLNode) -> Topology.KindLink? {
        var bad = false
        var parent: String?, id: Int?, proto = Topology.VLANProtocol.dot1Q
        var macvlanMode = Topology.MACVLANMode.bridge, ipvlanMode = Topology.IPVLANMode.l2
        var vx = Topology.VXLANOptions(id: 0)
        var addrList: [(IPNetwork, YAMLNode)] = []
        var macAddress: MACAddress?, mtu: Int?
        var remoteNode: YAMLNode?
        func word<E: RawRepresentable & CaseIterable>(_ v: YAMLNode, _ what: String, _: E.Type, _ p: inout TopologyParser) -> E? where E.RawValue == String {
            guard let s = p.string(v, what) else { return nil }
            if let e = E(rawValue: s) { return e }
            p.error(v, "\(what) \"\(s)\" is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        for (k, _, v) in fields {
            switch k {
            case "link", "dev":
                parent = interfaceName(v, k)
                if parent == nil { bad = true } else if parent == name { error(v, "\(kind.rawValue) \"\(name)\" cannot sit on itself"); bad = true }
            case "id":
                id = int(v, kind == .vlan ? "vlan id" : "vxlan id", kind == .vlan ? 1...4094 : 0...16_777_215)
                if id == nil { bad = true }
            case "protocol":
                if let p = word(v, "vlan protocol", Topology.VLANProtocol.self, &self) { proto = p } else { bad = true }
            case "mode":
                if kind == .macvlan {
                    if let m = word(v, "macvlan mode", Topology.MACVLANMode.self, &self) { macvlanMode = m } else { bad = true }
                } else {
                    if let m = word(v, "ipvlan mode", Topology.IPVLANMode.self, &self) { ipvlanMode = m } else { bad = true }
                }
            case "remote", "group", "local":
                guard let s = string(v, k) else { bad = true; break }
                guard let a = IPAddress(s) else { error(v, "invalid IP address \"\(s)\": not an IPv4 or IPv6 address"); bad = true; break }
                switch k {
                case "remote":
                    vx.remote = a
                    remoteNode = v
                    if isMulticast(a) { error(v, "vxlan remote \(a) is a multicast address: use group"); bad = true }
                case "group":
                    vx.group = a
                    remoteNode = remoteNode ?? v
                    if !isMulticast(a) { error(v, "vxlan group \(a) is not a multicast address: use remote"); bad = true }
                default: vx.local = a
                }
            case "dstport":
                vx.port = int(v, "dstport", 1...65535)
                if vx.port == nil { bad = true }
            case "learning":
                guard let s = string(v, "learning") else { bad = true; break }
                switch s {
                case "true", "yes", "on": vx.learning = true
                case "false", "no", "off": vx.learning = false
                default: error(v, "learning must be true or false"); bad = true
                }
            case "addresses": addrList = cidrs(v, "addresses")
            case "mac": macAddress = mac(v); if macAddress == nil { bad = true }
            case "mtu": mtu = int(v, "mtu", 68...65535); if mtu == nil { bad = true }
            default: break
            }
        }
        let has = Set(fields.map(\.key))
        func require(_ key: String) { if !has.contains(key) { error(keyNode, "\(kind.rawValue) \"\(name)\": missing key \"\(key)\""); bad = true } }
        switch kind {
        case .vlan: require("link"); require("id")
        case .macvlan, .ipvlan: require("link")
        case .vxlan:
            require("id")
            if vx.remote != nil && vx.group != nil, let remoteNode { error(remoteNode, "vxlan \"\(name)\": remote and group exclude each other"); bad = true }
            if let l = vx.local, let r = vx.remote ?? vx.group, l.isIPv4 != r.isIPv4 {
                error(keyNode, "vxlan \"\(name)\": local \(l) and \(vx.remote != nil ? "remote" : "group") \(r) are of different address families"); bad = true
            }
            if vx.group != nil && parent == nil { error(keyNode, "vxlan \"\(name)\": a multicast group needs dev"); bad = true }
        default: break
        }
        declareAddresses(node: node, iface: name, addrList)
        guard !bad else { return nil }
        let options: Topology.KindLink.Options
        switch kind {
        case .vlan: options = .vlan(id: id ?? 0, protocol: proto)
        case .macvlan: options = .macvlan(mode: macvlanMode)
        case .ipvlan: options = .ipvlan(mode: ipvlanMode)
        case .vxlan: vx.id = id ?? 0; options = .vxlan(vx)
        default: options = .dummy
        }
        return Topology.KindLink(name: name, options: options, parent: parent, addresses: addrList.map(\.0), mac: macAddress, mtu: mtu)
    }

    func isMulticast(_ a: IPAddress) -> Bool {
        switch a {
        case .v4(let v): v >> 28 == 0xe
        case .v6(let hi, _): hi >> 56 == 0xff
        }
    }

    /// Every kind link's parent is an interface of its own node, and no chain of parents is a cycle.
    mutating func checkParents() {
        for (node, links) in kindLinkNodes.sorted(by: { $0.key < $1.key }) {
            for (name, entry) in links.sorted(by: { $0.value.at.line < $1.value.at.line || ($0.value.at.line == $1.value.at.line && $0.value.at.column < $1.value.at.column) }) {
                guard let parent = entry.parent else { continue }
                guard ifaces[node]?[parent] != nil else {
                    error(entry.at, "link \"\(parent)\" (the parent of \"\(name)\") is not declared in node \"\(node)\""); continue
                }
                // Follow the chain of kind links above `name`; a cycle comes back to it (a cycle
                // that does not pass through `name` is reported at its own members).
                var seen: Set<String> = [name]
                var cur = parent
                while let next = links[cur], seen.insert(cur).inserted, let np = next.parent {
                    if np == name {
                        error(entry.at, "the parents of \(seen.sorted().joined(separator: ", ")) form a cycle")
                        break
                    }
                    cur = np
                }
            }
        }
    }
}
