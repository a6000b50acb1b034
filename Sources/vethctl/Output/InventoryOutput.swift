import VethKitJSON
import VethKit

/// What `netns list --all`, `peers --all` and `who` print: the machine's namespaces (from
/// ``NamespaceInventory``) and veth pairs (from ``MachinePeerMap``), each namespace labelled once
/// (``NamespaceLabel``). JSON keys are stable (docs/namespaces.md, "JSON"): a field with nothing
/// to say is `null` or `[]`, never missing. Text goes through ``Table`` or ``escaped(_:)``: names,
/// paths, commands and container names can hold control characters.
struct InventoryOutput {
    let namespaces: [DiscoveredNamespace]
    let map: MachinePeerMap
    private let byID: [NamespaceID: Int]
    private let labels: [NamespaceID: String]

    init(namespaces: [DiscoveredNamespace], map: MachinePeerMap) {
        self.namespaces = namespaces
        self.map = map
        var byID: [NamespaceID: Int] = [:]
        var labels: [NamespaceID: String] = [:]
        for (i, ns) in namespaces.enumerated() where byID[ns.id] == nil {
            byID[ns.id] = i
            labels[ns.id] = NamespaceLabel.label(ns, reading: map.readings[ns.id])
        }
        self.byID = byID
        self.labels = labels
    }

    func namespace(_ id: NamespaceID) -> DiscoveredNamespace? { byID[id].map { namespaces[$0] } }
    func label(_ id: NamespaceID) -> String { labels[id] ?? NamespaceLabel.label(unknown: id) }
    func topology(_ id: NamespaceID) -> String? { NamespaceLabel.topology(map.readings[id]) }

    /// The owner a pair's end shows: the namespace's first owner, else its topology.
    func owner(_ id: NamespaceID) -> JSON {
        if let o = namespace(id)?.owners.first { return Self.json(o) }
        if let t = topology(id), let ns = namespace(id) {
            var o = JSONObject()
            o.set("kind", "topology")
            o.set("topology", t)
            o.set("node", NamespaceLabel.node(of: ns, topology: t).map(JSON.string) ?? .null)
            return o.json
        }
        return .null
    }

    // MARK: JSON

    static func json(_ id: NamespaceID) -> JSON {
        .object(["device": JSON(id.device), "inode": JSON(id.inode)])
    }

    static func json(_ owner: NamespaceOwner) -> JSON {
        func s(_ v: String?) -> JSON { v.map(JSON.string) ?? .null }
        var o = JSONObject()
        switch owner {
        case .podman(let id, let name):
            o.set("kind", "podman"); o.set("containerID", id); o.set("name", s(name))
        case .docker(let id, let name):
            o.set("kind", "docker"); o.set("containerID", id); o.set("name", s(name))
        case .kubernetes(let uid, let namespace, let pod, let id):
            o.set("kind", "kubernetes"); o.set("podUID", s(uid)); o.set("namespace", s(namespace)); o.set("pod", s(pod))
            o.set("containerID", s(id))
        case .containerd(let namespace, let id):
            o.set("kind", "containerd"); o.set("namespace", s(namespace)); o.set("containerID", id)
        case .cni(let id, let network, let ifname):
            o.set("kind", "cni"); o.set("containerID", id); o.set("network", s(network)); o.set("ifname", s(ifname))
        case .systemdUnit(let unit):
            o.set("kind", "systemd"); o.set("unit", unit)
        case .process(let pid, let command):
            o.set("kind", "process"); o.set("pid", pid); o.set("comm", command)
        }
        return o.json
    }

    static func json(_ p: NamespaceProcess) -> JSON {
        var o = JSONObject()
        o.set("pid", p.pid)
        o.set("comm", p.command)
        o.set("uid", p.uid)
        switch p.hold {
        case .member: o.set("hold", "member"); o.set("tid", .null); o.set("fd", .null)
        case .thread(let tid): o.set("hold", "thread"); o.set("tid", tid); o.set("fd", .null)
        case .fileDescriptor(let fd): o.set("hold", "fd"); o.set("tid", .null); o.set("fd", fd)
        }
        return o.json
    }

    /// A namespace as `netns list --all --json` prints it.
    func json(_ ns: DiscoveredNamespace) -> JSON {
        var o = JSONObject()
        o.set("id", Self.json(ns.id))
        o.set("label", label(ns.id))
        o.set("here", ns.isCallers)
        o.set("names", .array(ns.names.map { .string($0.rawValue) }))
        o.set("mounts", .array(ns.mounts.map { m in
            .object(["path": .string(m.path), "mountNamespace": JSON(m.mountNamespace), "viaPID": JSON(m.viaPID),
                     "inCallersMountNamespace": .bool(m.isInCallersMountNamespace)])
        }))
        o.set("processes", .array(ns.processes.map(Self.json)))
        o.set("members", ns.memberCount)
        o.set("holders", ns.holderCount)
        o.set("owners", .array(ns.owners.map(Self.json)))
        o.set("topology", topology(ns.id).map(JSON.string) ?? .null)
        o.set("orphan", NamespaceLabel.isOrphan(ns) && topology(ns.id) == nil)
        o.set("links", map.readings[ns.id].map { JSON($0.linkCount) } ?? .null)
        o.set("error", map.failures[ns.id].map(JSON.string) ?? .null)
        return o.json
    }

    /// One end of a pair: its namespace (label and id), interface, state and owner.
    func json(_ e: MachineVethEnd) -> JSON {
        var o = JSONObject()
        o.set("netns", label(e.namespace))
        o.set("id", Self.json(e.namespace))
        o.set("ifname", e.name)
        o.set("ifindex", e.index)
        o.set("up", e.isUp)
        o.set("owner", owner(e.namespace))
        return o.json
    }

    /// A pair as `peers --all --json` prints it: `peer` is null when its namespace could not be
    /// read (then `peerIfindex` is the kernel's IFLA_LINK).
    func json(_ p: MachineVethPair) -> JSON {
        var o = JSONObject()
        o.set("end", json(p.end))
        o.set("peer", p.peer.map(json) ?? .null)
        o.set("peerIfindex", p.peer.map { JSON($0.index) } ?? p.peerIndex.map { JSON($0) } ?? .null)
        return o.json
    }

    /// `failures` as JSON: [{id, label, error}].
    var failuresJSON: JSON {
        .array(map.failures.sorted { $0.key < $1.key }.map { id, why in
            .object(["id": Self.json(id), "label": .string(label(id)), "error": .string(why)])
        })
    }

    // MARK: text

    /// How many processes a row of `netns list --all` shows (JSON has every one sampled).
    static let processesShown = 2

    /// `netns list --all`: one row per namespace.
    var namespaceTable: String {
        var t = Table("NETNS", "LABEL", "IN", "HOLD", "PROCESSES", "MOUNTS", "OWNER", "LINKS")
        for ns in namespaces {
            let shown = ns.processes.prefix(Self.processesShown).map { "\($0.pid) \($0.command)" + ($0.hold == .member ? "" : " (\(Self.holdText($0.hold)))") }
            let more = ns.memberCount + ns.holderCount > shown.count ? ", …" : ""
            t.add([ns.id.description, label(ns.id), String(ns.memberCount), String(ns.holderCount),
                   shown.isEmpty ? "-" : shown.joined(separator: ", ") + more,
                   ns.mounts.isEmpty ? "-" : ns.mounts.map(Self.mountText).joined(separator: ","),
                   ns.owners.isEmpty ? (topology(ns.id).map { "topology \($0)" } ?? "-") : ns.owners.map(NamespaceLabel.label).joined(separator: ", "),
                   map.readings[ns.id].map { String($0.linkCount) } ?? "?"])
        }
        return t.text
    }

    /// `peers --all`: one row per pair.
    var pairTable: String {
        var t = Table("NETNS", "NAME", "INDEX", "", "PEER NETNS", "PEER NAME", "PEER INDEX")
        for p in map.pairs {
            t.add([label(p.end.namespace), p.end.name, String(p.end.index), "<->",
                   p.peer.map { label($0.namespace) } ?? "?", p.peer?.name ?? "(unreadable namespace)",
                   p.peer.map { String($0.index) } ?? p.peerIndex.map(String.init) ?? "?"])
        }
        return t.text
    }

    /// The lines standard error gets for namespaces that could not be read.
    var failureLines: [String] {
        map.failures.sorted { $0.key < $1.key }.map { id, why in "could not read \(label(id)) \(id): \(why)" }
    }

    /// `who`: the far end of a veth and everything known about its namespace, one `key value` line each.
    func whoText(end: MachineVethEnd, peer: MachineVethEnd?, peerIndex: Int32?) -> String {
        var lines: [(String, String)] = [("end", endText(end))]
        guard let peer else {
            let why = map.failures.isEmpty ? "" : " (\(map.failures.count) namespace\(map.failures.count == 1 ? "" : "s") could not be read: \(failureLines.joined(separator: "; ")))"
            lines.append(("peer", "ifindex \(peerIndex.map(String.init) ?? "?") in a namespace vethctl could not reach\(why)"))
            return Self.keyValueText(lines)
        }
        lines.append(("peer", endText(peer)))
        lines.append(("netns", "\(peer.namespace) (device \(peer.namespace.device), inode \(peer.namespace.inode))"))
        if let ns = namespace(peer.namespace) {
            lines.append(("names", ns.names.isEmpty ? "-" : ns.names.map(\.rawValue).joined(separator: ", ")))
            for m in ns.mounts { lines.append(("mount", "\(m.path) (mnt:[\(m.mountNamespace)], via pid \(m.viaPID))")) }
            for p in ns.processes { lines.append(("process", "\(p.pid) \(p.command) (uid \(p.uid), \(Self.holdText(p.hold)))")) }
            lines.append(("processes", "\(ns.memberCount) in it, \(ns.holderCount) holding it open"))
            for o in ns.owners { lines.append(("owner", Self.ownerText(o))) }
            if ns.owners.isEmpty { lines.append(("owner", "-")) }
        }
        if let t = topology(peer.namespace) { lines.append(("topology", t)) }
        if let why = map.failures[peer.namespace] { lines.append(("error", why)) }
        return Self.keyValueText(lines)
    }

    func endText(_ e: MachineVethEnd) -> String {
        "\(e.name) (ifindex \(e.index), \(e.isUp ? "up" : "down")) in \(label(e.namespace))"
    }

    static func keyValueText(_ lines: [(String, String)]) -> String {
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { k, v in k + String(repeating: " ", count: width - k.count + 2) + v.terminalEscaped() }.joined(separator: "\n") + "\n"
    }

    static func holdText(_ h: NamespaceProcess.Hold) -> String {
        switch h {
        case .member: return "member"
        case .thread(let tid): return "thread \(tid)"
        case .fileDescriptor(let fd): return "fd \(fd)"
        }
    }

    static func mountText(_ m: NamespaceMount) -> String {
        m.isInCallersMountNamespace ? m.path : "\(m.path)@mnt:[\(m.mountNamespace)]"
    }

    /// An owner in full (`who`): every id whole.
    static func ownerText(_ o: NamespaceOwner) -> String {
        func named(_ n: String?) -> String { n.map { ", name \($0)" } ?? "" }
        switch o {
        case .podman(let id, let name): return "podman container \(id)\(named(name))"
        case .docker(let id, let name): return "docker container \(id)\(named(name))"
        case .kubernetes(let uid, let namespace, let pod, let id):
            var parts = ["kubernetes pod " + (pod.map { (namespace.map { $0 + "/" } ?? "") + $0 } ?? "?")]
            if let uid { parts.append("uid \(uid)") }
            if let id { parts.append("sandbox \(id)") }
            return parts.joined(separator: ", ")
        case .containerd(let namespace, let id): return "containerd container \(id)" + (namespace.map { ", namespace \($0)" } ?? "")
        case .cni(let id, let network, let ifname):
            return "cni attachment of container \(id)" + (network.map { ", network \($0)" } ?? "") + (ifname.map { ", ifname \($0)" } ?? "")
        case .systemdUnit(let unit): return "systemd unit \(unit)"
        case .process(let pid, let command): return "process \(pid) (\(command))"
        }
    }
}
