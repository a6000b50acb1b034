import VethKit

/// The difference between a file and the kernel: what `up` would do, in the order it does it.
public struct Plan: Sendable, Equatable {
    /// A change to one link's settings.
    public struct LinkEdit: Sendable, Equatable {
        public var mtu: Int?
        public var mac: MACAddress?
        /// `.some(nil)`: release from its bridge; `.some(name)`: enslave.
        public var master: String??
        public var up: Bool?
        public init(mtu: Int? = nil, mac: MACAddress? = nil, master: String?? = nil, up: Bool? = nil) {
            self.mtu = mtu
            self.mac = mac
            self.master = master
            self.up = up
        }
        public var isEmpty: Bool { mtu == nil && mac == nil && master == nil && up == nil }
    }

    public enum Step: Sendable, Equatable {
        case deleteNamespace(node: String, namespace: String)
        case deleteLink(node: String, name: String)
        case deleteRoute(node: String, route: LiveState.RouteEntry)
        case deleteAddress(node: String, interface: String, address: IPNetwork)
        case deleteMasquerade(node: String, source: IPNetwork)
        case createNamespace(node: String, namespace: String)
        case setSysctl(node: String, key: String, value: String, old: String?)
        /// A host sysctl `up` changed that the file no longer sets: back to the value it had before.
        case restoreSysctl(node: String, key: String, value: String, current: String?)
        case createBridge(node: String, bridge: Topology.Bridge)
        /// Index into ``Topology/links``.
        case createVeth(link: Int)
        /// A VLAN, MACVLAN, IPVLAN, VXLAN or dummy; `replacing`: the options of the link of that
        /// name it replaces (deleted first), which the kernel cannot change in place.
        case createKindLink(node: String, link: Topology.KindLink, replacing: String?)
        /// Options of a kind link the kernel changes in place: `change` holds what differs
        /// (``Topology/KindLink/Options/inPlaceChange(from:)``), `old` the live options.
        case changeKindLink(node: String, name: String, change: Topology.KindLink.Options, old: Topology.KindLink.Options)
        case setLink(node: String, name: String, edit: LinkEdit, old: LinkEdit)
        case addAddress(node: String, interface: String, address: IPNetwork)
        case addRoute(node: String, route: Topology.Route)
        case addMasquerade(node: String, source: IPNetwork)
        /// A veth end's egress impairment (VethKit's root qdisc, replaced in one request: the link
        /// does not flap); `old` what held the root before (nil: the kernel's default).
        case impair(node: String, interface: String, impairment: LinkImpairment, old: LiveState.Egress?)
        /// VethKit's root qdisc removed: the file no longer impairs that end (or a cut, restored).
        case clearImpairment(node: String, interface: String, old: LiveState.Egress)

        /// `+`, `~` or `-`.
        public var symbol: Character {
            switch self {
            case .deleteNamespace, .deleteLink, .deleteRoute, .deleteAddress, .deleteMasquerade: "-"
            case .setSysctl(_, _, _, let old): old == nil ? "+" : "~"
            case .setLink, .restoreSysctl, .changeKindLink: "~"
            case .createKindLink(_, _, let replacing): replacing == nil ? "+" : "~"
            case .impair(_, _, _, let old): old == nil ? "+" : "~"
            case .clearImpairment: "-"
            default: "+"
            }
        }

        /// The node the step works in.
        public var node: String {
            switch self {
            case .deleteNamespace(let n, _), .deleteLink(let n, _), .deleteRoute(let n, _), .deleteAddress(let n, _, _),
                 .deleteMasquerade(let n, _), .createNamespace(let n, _), .setSysctl(let n, _, _, _), .restoreSysctl(let n, _, _, _), .createBridge(let n, _),
                 .setLink(let n, _, _, _), .addAddress(let n, _, _), .addRoute(let n, _), .addMasquerade(let n, _),
                 .createKindLink(let n, _, _), .changeKindLink(let n, _, _, _),
                 .impair(let n, _, _, _), .clearImpairment(let n, _, _):
                return n
            case .createVeth: return ""
            }
        }
    }

    public var topology: Topology
    public var steps: [Step]
    /// Objects in the way that are not this topology's — a namespace or file, a host link, an
    /// address or a route the file wants that carries no mark of ours — shown as `!` lines:
    /// `up` refuses to start while there are any.
    public var conflicts: [String]

    public var isEmpty: Bool { steps.isEmpty }

    /// Counts of `+`, `~`, `-` steps.
    public var counts: (create: Int, change: Int, remove: Int) {
        var c = (0, 0, 0)
        for s in steps {
            switch s.symbol {
            case "+": c.0 += 1
            case "~": c.1 += 1
            default: c.2 += 1
            }
        }
        return c
    }

    /// One line per step: `+ veth t1/veth2 <-> host/veth1`.
    public func describe(_ step: Step) -> String {
        switch step {
        case .deleteNamespace(let node, let ns): return "- namespace \(ns) (node \(node) is no longer declared)"
        case .deleteLink(let node, let name): return "- link \(node)/\(name)"
        case .deleteRoute(let node, let r): return "- route \(node): \(r)"
        case .deleteAddress(let node, let i, let a): return "- address \(a) on \(node)/\(i)"
        case .deleteMasquerade(let node, let s): return "- masquerade \(s) in \(node)"
        case .createNamespace(let node, let ns): return "+ namespace \(ns) (node \(node))"
        case .setSysctl(let node, let k, let v, let old):
            return old == nil ? "+ sysctl \(node): \(k) = \(v)" : "~ sysctl \(node): \(k) \(old!) -> \(v)"
        case .restoreSysctl(let node, let k, let v, let cur): return "~ sysctl \(node): \(k) \(cur ?? "?") -> \(v) (restored: no longer in the file)"
        case .createBridge(let node, let b): return "+ bridge \(node)/\(b.name)"
        case .createVeth(let i):
            let l = topology.links[i]
            var s = "+ veth \(l.a.node)/\(l.a.name) <-> \(l.b.node)/\(l.b.name)"
            if let mtu = l.mtu { s += " mtu \(mtu)" }
            return s
        case .createKindLink(let node, let k, let replacing):
            if let replacing { return "~ \(k.kindName) \(node)/\(k.name): \(replacing) -> \(k.planText) (replaced)" }
            return "+ \(k.kindName) \(node)/\(k.name)" + (k.planText.isEmpty ? "" : " (\(k.planText))")
        case .changeKindLink(let node, let name, let change, let old):
            return "~ \(change.kindName) \(node)/\(name): \(old.changeText(to: change))"
        case .setLink(let node, let name, let e, let old):
            var parts: [String] = []
            if let m = e.mtu { parts.append("mtu \(old.mtu.map(String.init) ?? "?") -> \(m)") }
            if let m = e.mac { parts.append("mac \(old.mac?.description ?? "?") -> \(m)") }
            if let m = e.master { parts.append("master \((old.master ?? nil) ?? "none") -> \(m ?? "none")") }
            if let u = e.up { parts.append(u ? "up" : "down") }
            return "~ link \(node)/\(name): " + parts.joined(separator: ", ")
        case .addAddress(let node, let i, let a): return "+ address \(a) on \(node)/\(i)"
        case .addRoute(let node, let r): return "+ route \(node): \(r)"
        case .addMasquerade(let node, let s): return "+ masquerade \(s) in \(node)"
        case .impair(let node, let i, let imp, let old):
            return "\(step.symbol) impair \(node)/\(i) \(imp)" + (old.map { " (was \($0))" } ?? "")
        case .clearImpairment(let node, let i, let old):
            return "- impair \(node)/\(i) (was \(old))"
        }
    }

    /// The whole plan as text, one line per step, then conflicts; "no changes" when empty.
    public var text: String {
        var lines = steps.map(describe)
        lines += conflicts.map { "! \($0)" }
        if lines.isEmpty { return "\(topology.name): no changes" }
        let c = counts
        lines.append("\(topology.name): \(c.create) to create, \(c.change) to change, \(c.remove) to remove")
        return lines.joined(separator: "\n")
    }
}

/// Compares a topology with the live state. Pure: no kernel access.
public enum Planner {
    public static func plan(_ topo: Topology, live: LiveState) -> Plan {
        var removals: [Plan.Step] = []
        var namespaces: [Plan.Step] = []
        var sysctls: [Plan.Step] = []
        var bridges: [Plan.Step] = []
        var veths: [Plan.Step] = []
        var kinds: [Plan.Step] = []
        var edits: [Plan.Step] = []
        var addresses: [Plan.Step] = []
        var routes: [Plan.Step] = []
        var masq: [Plan.Step] = []
        var impairs: [Plan.Step] = []
        var conflicts: [String] = []

        let declaredNodes = Set(topo.nodes.map(\.name))
        let ifacesOf = topo.interfacesByNode()
        // Live interfaces by (node, name): NodeState.interface(_:) is a linear search.
        var liveIfaces: [String: [String: LiveState.Interface]] = [:]
        for (n, st) in live.nodes where st.exists {
            liveIfaces[n] = Dictionary(st.interfaces.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        }
        func liveIface(_ node: String, _ name: String) -> LiveState.Interface? { liveIfaces[node]?[name] }
        // (node, name) of interfaces that will not exist (deleted or recreated) after removals.
        var gone = Set<String>()
        func key(_ n: String, _ i: String) -> String { n + "\u{0}" + i }
        // (node, name) of interfaces that the plan creates.
        var fresh = Set<String>()

        // Stray namespaces.
        for (name, state) in live.nodes.sorted(by: { $0.key < $1.key }) where !declaredNodes.contains(name) && name != Topology.hostNode {
            if state.exists && state.owned, let ns = state.namespace {
                removals.append(.deleteNamespace(node: name, namespace: ns))
            }
        }

        func liveNode(_ n: String) -> LiveState.NodeState? {
            guard let s = live.nodes[n], s.exists else { return nil }
            return s
        }
        let ours = topo.alias

        // Namespaces.
        for n in topo.nodes where !n.isHost {
            let ns = topo.namespaceName(of: n.name)!
            if let s = liveNode(n.name) {
                if !s.owned { conflicts.append("namespace \(ns) exists and is not vethkit's (no \(ours) mark on its lo)") }
            } else {
                namespaces.append(.createNamespace(node: n.name, namespace: ns))
            }
        }
        // Sysctls.
        for n in topo.nodes {
            let s = liveNode(n.name)
            for sc in n.sysctls {
                let old = s?.sysctls[sc.key]
                if old != sc.value { sysctls.append(.setSysctl(node: n.name, key: sc.key, value: sc.value, old: s == nil ? nil : (old ?? "?"))) }
            }
        }
        // Host sysctls changed by an earlier up and no longer in the file: restored.
        let hostDeclaredKeys = Set(topo.node(Topology.hostNode)?.sysctls.map(\.key) ?? [])
        for (k, v) in live.recordedSysctls.sorted(by: { $0.key < $1.key }) where !hostDeclaredKeys.contains(k) {
            sysctls.append(.restoreSysctl(node: Topology.hostNode, key: k, value: v, current: live.nodes[Topology.hostNode]?.sysctls[k]))
        }

        /// True when a host interface of that name is someone else's: it carries neither our alias
        /// nor a peer in one of our namespaces (a group alone is no mark).
        func foreign(_ node: String, _ i: LiveState.Interface) -> Bool {
            node == Topology.hostNode && !(Ownership.owns(alias: i.alias, topology: topo.name) || i.markedByPeer)
        }
        /// (node, name) of the user's interfaces the file wants: never touched, never configured.
        var conflicted = Set<String>()

        // Veth links: which are already right?
        var goodLinks = Set<Int>()
        for (idx, l) in topo.links.enumerated() {
            guard let la = liveIface(l.a.node, l.a.name), let lb = liveIface(l.b.node, l.b.name) else { continue }
            if la.kind == "veth", lb.kind == "veth",
               la.peer == LiveState.PeerRef(node: l.b.node, name: l.b.name),
               lb.peer == LiveState.PeerRef(node: l.a.node, name: l.a.name),
               !foreign(l.a.node, la), !foreign(l.b.node, lb) {
                goodLinks.insert(idx)
            }
        }
        // Declared interface names per node, with what they should be.
        var declared: [String: [String: DeclaredInterface]] = [:]
        for n in topo.nodes {
            for i in ifacesOf[n.name] ?? [] { declared[n.name, default: [:]][i.name] = i }
        }

        // Removals of interfaces: undeclared ones (ours), wrong kind, veths not part of a good link.
        for nodeName in ([Topology.hostNode] + topo.nodes.map(\.name).filter { $0 != Topology.hostNode }) {
            guard let s = liveNode(nodeName), nodeName == Topology.hostNode || s.owned else { continue }
            for i in s.interfaces {
                if gone.contains(key(nodeName, i.name)) { continue }
                let d = declared[nodeName]?[i.name]
                var remove = false
                if let d {
                    if foreign(nodeName, i) {
                        // Never adopted, whatever its kind: a user's link of a name the file wants.
                        conflicts.append("host link \(i.name) exists and is not vethkit's (alias \(i.alias.map { "\"\($0)\"" } ?? "unset"), not \"\(ours)\")")
                        gone.insert(key(nodeName, i.name))
                        conflicted.insert(key(nodeName, i.name))
                        continue
                    }
                    switch d.kind {
                    case .bridge: remove = i.kind != "bridge"
                    case .veth: remove = !goodLinks.contains(d.link!)
                    // Decided below, parents first: a link goes with the link it sits on.
                    case .vlan, .macvlan, .ipvlan, .vxlan, .dummy: continue
                    }
                } else {
                    remove = !foreign(nodeName, i)
                }
                guard remove else { continue }
                removals.append(.deleteLink(node: nodeName, name: i.name))
                gone.insert(key(nodeName, i.name))
                // A veth takes its peer with it.
                if i.kind == "veth", let p = i.peer, let pn = p.node, let pname = p.name { gone.insert(key(pn, pname)) }
            }
        }

        // Kind links, parents first: right when kind, options and parent match and the parent
        // stays; otherwise (re)created. One whose parent goes is taken by the kernel with it.
        for n in topo.nodes where !n.kindLinks.isEmpty {
            for k in n.kindLinksInCreationOrder {
                let kk = key(n.name, k.name)
                if conflicted.contains(kk) { continue }
                let parentGone = k.parent.map { gone.contains(key(n.name, $0)) } ?? false
                guard let li = liveIface(n.name, k.name), !gone.contains(kk) else {
                    kinds.append(.createKindLink(node: n.name, link: k, replacing: nil))
                    gone.insert(kk)
                    fresh.insert(kk)
                    continue
                }
                if !parentGone, li.kind == k.kindName, k.options.isSatisfied(by: li.kindOptions), li.parent == k.parent { continue }
                if !parentGone, li.kind == k.kindName, li.parent == k.parent, let old = li.kindOptions, let change = k.options.inPlaceChange(from: old) {
                    kinds.append(.changeKindLink(node: n.name, name: k.name, change: change, old: old))
                    continue
                }
                let old = Topology.KindLink(name: k.name, options: li.kindOptions ?? .dummy, parent: li.parent).planText
                kinds.append(.createKindLink(node: n.name, link: k,
                                             replacing: li.kind == k.kindName ? (parentGone ? "parent \(k.parent!) replaced" : old) : "a \(li.kind ?? "device")"))
                gone.insert(kk)
                fresh.insert(kk)
            }
        }

        // Bridges.
        for n in topo.nodes {
            for b in n.bridges {
                let li = liveIface(n.name, b.name)
                if conflicted.contains(key(n.name, b.name)) { continue }
                if li == nil || gone.contains(key(n.name, b.name)) {
                    bridges.append(.createBridge(node: n.name, bridge: b))
                    fresh.insert(key(n.name, b.name))
                }
            }
        }
        // Veths.
        for (idx, l) in topo.links.enumerated() where !goodLinks.contains(idx) {
            veths.append(.createVeth(link: idx))
            for e in l.endpoints { fresh.insert(key(e.node, e.name)) }
        }

        // Settings, addresses of interfaces that stay.
        for n in topo.nodes {
            guard let s = liveNode(n.name) else {
                for i in ifacesOf[n.name] ?? [] {
                    for a in i.addresses { addresses.append(.addAddress(node: n.name, interface: i.name, address: a)) }
                    if let imp = i.impair { impairs.append(.impair(node: n.name, interface: i.name, impairment: imp, old: nil)) }
                }
                continue
            }
            for d in ifacesOf[n.name] ?? [] {
                if conflicted.contains(key(n.name, d.name)) { continue }
                if fresh.contains(key(n.name, d.name)) {
                    for a in d.addresses { addresses.append(.addAddress(node: n.name, interface: d.name, address: a)) }
                    if let imp = d.impair { impairs.append(.impair(node: n.name, interface: d.name, impairment: imp, old: nil)) }
                    continue
                }
                guard let li = liveIface(n.name, d.name), !gone.contains(key(n.name, d.name)) else { continue }
                if d.kind == .veth {
                    switch TopologyImpairments.step(node: n.name, interface: d.name, wanted: d.impair, live: li.egress) {
                    case .step(let st)?: impairs.append(st)
                    case .conflict(let c)?: conflicts.append(c)
                    case nil: break
                    }
                }
                var e = Plan.LinkEdit()
                var old = Plan.LinkEdit()
                if let m = d.mtu, li.mtu != m { e.mtu = m; old.mtu = li.mtu }
                if let m = d.mac, li.mac != m { e.mac = m; old.mac = li.mac }
                if d.master != li.master { e.master = .some(d.master); old.master = .some(li.master) }
                if !li.up { e.up = true }
                if !e.isEmpty { edits.append(.setLink(node: n.name, name: d.name, edit: e, old: old)) }
                // Only addresses vethkit added are removed; one the user added that the file wants is a conflict.
                for a in li.addresses where !d.addresses.contains(a) && !li.foreignAddresses.contains(a) {
                    removals.append(.deleteAddress(node: n.name, interface: d.name, address: a))
                }
                for a in d.addresses where li.foreignAddresses.contains(a) {
                    conflicts.append("address \(a) on \(n.name)/\(d.name) exists and was not added by vethkit")
                }
                for a in d.addresses where !li.addresses.contains(a) {
                    addresses.append(.addAddress(node: n.name, interface: d.name, address: a))
                }
            }
        }

        // Routes.
        for n in topo.nodes {
            let all = liveNode(n.name)?.routes ?? []
            // Only vethkit's routes (protocol 0x56) are matched, replaced or removed.
            var liveRoutes = all.filter { $0.proto == Ownership.routeProtocol }
            let users = all.filter { $0.proto != Ownership.routeProtocol }
            // Routes through interfaces that go away go with them.
            liveRoutes.removeAll { r in r.dev.map { gone.contains(key(n.name, $0)) } ?? false }
            var matched = Set<Int>()
            for r in n.routes {
                if let i = liveRoutes.indices.first(where: { !matched.contains($0) && r.matches(liveRoutes[$0]) }) {
                    matched.insert(i)
                } else if let u = users.first(where: { r.collides(with: $0) }) {
                    conflicts.append("route \(n.name): \(u) exists and was not added by vethkit (protocol \(u.proto)); the file wants \(r)")
                } else {
                    routes.append(.addRoute(node: n.name, route: r))
                }
            }
            for (i, r) in liveRoutes.enumerated() where !matched.contains(i) {
                removals.append(.deleteRoute(node: n.name, route: r))
            }
        }

        // Masquerade.
        for n in topo.nodes {
            let liveM = liveNode(n.name)?.masquerade ?? []
            for m in n.masquerade where !liveM.contains(m) { masq.append(.addMasquerade(node: n.name, source: m)) }
            for m in liveM where !n.masquerade.contains(m) { removals.append(.deleteMasquerade(node: n.name, source: m)) }
        }
        for (name, s) in live.nodes where !declaredNodes.contains(name) && name == Topology.hostNode {
            for m in s.masquerade { removals.append(.deleteMasquerade(node: name, source: m)) }
            for r in s.routes where r.proto == Ownership.routeProtocol { removals.append(.deleteRoute(node: name, route: r)) }
            for i in s.interfaces where Ownership.owns(alias: i.alias, topology: topo.name) || i.markedByPeer { removals.append(.deleteLink(node: name, name: i.name)) }
        }

        if let c = TopologyImpairments.missingKindConflict(impairs, missing: live.missingQdiscs) { conflicts.append(c) }
        let steps = removals + namespaces + sysctls + bridges + veths + kinds + edits + addresses + routes + impairs + masq
        return Plan(topology: topo, steps: steps, conflicts: conflicts)
    }
}
