import VethKit
import VethKitTopology

/// The name a person gives a network namespace, from what discovery found (docs/namespaces.md,
/// "Labels"): the first rule that applies wins.
///
/// 1. the machine's initial namespace (kernel threads are in it: kthreadd, PID 2): `host`; the
///    caller's own namespace otherwise: `here`;
/// 2. a VethKit topology node (its `lo` alias is `vethkit:<topology>`): its name when it has one in
///    /run/netns, else `topo:<topology>/<node>` (the node from a mount `<topology>-<node>`);
/// 3. a user's name under /run/netns (not a runtime's `cni-…` / `netns-…`): that name;
/// 4. nothing in it or holding it open, and every mount a runtime's (``isOrphan(_:)``): `orphan`;
/// 5. a container: `podman:8f2c4a1b9e07… (web)`, `docker:…`, `k8s:default/nginx-7d9f…`,
///    `containerd:default/…`, `cni:… (network)`;
/// 6. a systemd unit: `systemd:nginx.service`;
/// 7. a process: `pid 4242 (sleep)`;
/// 8. held only by a mount of a user's (outside /run/netns): `mount <path>`, never `orphan`;
/// 9. otherwise its runtime name, or its identity `net:[4026532481]`.
///
/// Labels never add what discovery did not find: a user's namespace named like a runtime's but
/// with a live process is labelled by its process, a link named like a container veth says
/// nothing about its namespace. Labels are raw text (they may hold a container's or a process's
/// control characters): printers escape them.
enum NamespaceLabel {
    /// Container and pod ids are shortened to this many characters (and `…`), as `docker ps` does.
    static let shortIDLength = 12

    static func label(_ ns: DiscoveredNamespace, reading: NamespaceReading?) -> String {
        if isInitial(ns) { return "host" }
        if ns.isCallers { return "here" }
        let userNames = ns.names.map(\.rawValue).filter { !isRuntimeName($0) }
        if let topology = topology(reading) {
            if let name = userNames.first ?? ns.names.first?.rawValue { return name }
            if let node = node(of: ns, topology: topology) { return "topo:\(topology)/\(node)" }
            return "topo:\(topology)"
        }
        if let name = userNames.first { return name }
        let idle = ns.memberCount == 0 && ns.holderCount == 0
        if idle && isOrphan(ns) { return "orphan" }
        if let owner = ns.owners.first(where: { $0.isContainer }) { return label(owner) }
        if let owner = ns.owners.first(where: { if case .systemdUnit = $0 { return true }; return false }) { return label(owner) }
        if let owner = ns.owners.first { return label(owner) }
        if let p = ns.processes.first { return "pid \(p.pid) (\(p.command))" }
        if idle, let m = ns.mounts.first { return "mount \(m.path)" }
        return ns.names.first?.rawValue ?? ns.id.description
    }

    /// The initial namespace: kthreadd (PID 2, the parent of every kernel thread) is in it.
    static func isInitial(_ ns: DiscoveredNamespace) -> Bool {
        ns.processes.contains { $0.pid == 2 && $0.command == "kthreadd" && $0.hold == .member }
    }

    /// The label of a namespace discovery did not report (gone, or never found): its identity.
    static func label(unknown id: NamespaceID) -> String { id.description }

    /// What looks orphaned, by docs/orphans.md's rules 1–4 and 6 (what discovery alone tells):
    /// not the caller's, no process in it or holding it, at least one mount, every mount and every
    /// name at a runtime's place (``RuntimeNamespacePaths``), owners at most CNI records. `orphans`
    /// checks the rest (no runtime process names it, its age) before it lists or removes anything.
    static func isOrphan(_ ns: DiscoveredNamespace) -> Bool {
        guard !ns.isCallers, ns.memberCount == 0, ns.holderCount == 0, !ns.mounts.isEmpty else { return false }
        guard ns.names.allSatisfy({ isRuntimeName($0.rawValue) }), ns.mounts.allSatisfy({ isRuntimeMountPath($0.path) }) else { return false }
        return ns.owners.allSatisfy { if case .cni = $0 { return true }; return false }
    }

    /// `vethkit:<topology>` on the namespace's `lo`: the topology it is a node of.
    static func topology(_ reading: NamespaceReading?) -> String? {
        Ownership.topology(fromAlias: reading?.loopbackAlias).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The node of a topology namespace known only by a mount `/…/<topology>-<node>`.
    static func node(of ns: DiscoveredNamespace, topology: String) -> String? {
        let prefix = topology + "-"
        for path in ns.names.map(\.rawValue) + ns.mounts.map({ String($0.path.split(separator: "/").last ?? "") }) {
            if path.hasPrefix(prefix), path.utf8.count > prefix.utf8.count { return String(path.dropFirst(prefix.count)) }
        }
        return nil
    }

    static func label(_ owner: NamespaceOwner) -> String {
        switch owner {
        case .podman(let id, let name): return "podman:" + short(id) + (name.map { " (\($0))" } ?? "")
        case .docker(let id, let name): return "docker:" + short(id) + (name.map { " (\($0))" } ?? "")
        case .kubernetes(let uid, let namespace, let pod, let id):
            if let pod { return "k8s:" + (namespace.map { $0 + "/" } ?? "") + pod }
            return "k8s:" + short(uid ?? id ?? "?")
        case .containerd(let namespace, let id): return "containerd:" + (namespace.map { $0 + "/" } ?? "") + short(id)
        case .cni(let id, let network, _): return "cni:" + short(id) + (network.map { " (\($0))" } ?? "")
        case .systemdUnit(let unit): return "systemd:" + unit
        case .process(let pid, let command): return "pid \(pid) (\(command))"
        }
    }

    /// The first ``shortIDLength`` characters and `…` when longer.
    static func short(_ id: String) -> String {
        id.count > shortIDLength ? String(id.prefix(shortIDLength)) + "…" : id
    }

    /// A name under /run/netns that a runtime makes (containerd's `cni-…`, podman's `netns-…`).
    static func isRuntimeName(_ name: String) -> Bool {
        isRuntimeMountPath(NetworkNamespace.runDirectory + "/" + name)
    }

    /// A runtime's mount place (docs/orphans.md, "Runtime places").
    static func isRuntimeMountPath(_ path: String) -> Bool {
        if case .runtime = RuntimeNamespacePaths.classify(path) { return true }
        return false
    }
}

extension NamespaceOwner {
    /// A container or pod (not a unit or a plain process).
    var isContainer: Bool {
        switch self {
        case .podman, .docker, .kubernetes, .containerd, .cni: return true
        case .systemdUnit, .process: return false
        }
    }
}
