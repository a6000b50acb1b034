import VethKit
import VethKitTopology

/// The name a person gives a network namespace, from what discovery found (docs/namespaces.md,
/// "Labels"): the first rule that applies wins.
///
/// 1. the machine's initial namespace (kernel threads are in it: kthreadd, PID 2): `host`; the
///    caller's own namespace otherwise: `here`;
/// 2. a VethKit topology node (its `lo` alias is `vethkit:<topology>`): its name when it has one in
///    /run/netns, else `topo:<topology>/<node>` (the node from a mount `<topology>-<node>`);
/// 3. a user's name under /run/netns (not a runtime's `cni-<uuid>` / `netns-<uuid>`): that name;
/// 4. nothing in it and nothing holding it open, only bind mounts: `orphan` when the mounts are a
///    runtime's (a runtime's name or path, or a container owner), else `mount <path>` (a user's
///    bind mount outside /run/netns is the user's, never an orphan);
/// 5. a container: `podman:8f2c4a1b9e07… (web)`, `docker:…`, `k8s:default/nginx-7d9f…`,
///    `containerd:default/…`, `cni:… (network)`;
/// 6. a systemd unit: `systemd:nginx.service`;
/// 7. a process: `pid 4242 (sleep)`;
/// 8. otherwise its identity, `net:[4026532481]`.
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
        if ns.memberCount == 0 && ns.holderCount == 0 {
            if isOrphan(ns) { return "orphan" }
            if let m = ns.mounts.first { return "mount \(m.path)" }
        }
        if let owner = ns.owners.first(where: { $0.isContainer }) { return label(owner) }
        if let owner = ns.owners.first(where: { if case .systemdUnit = $0 { return true }; return false }) { return label(owner) }
        if let owner = ns.owners.first { return label(owner) }
        if let p = ns.processes.first { return "pid \(p.pid) (\(p.command))" }
        return ns.id.description
    }

    /// The initial namespace: kthreadd (PID 2, the parent of every kernel thread) is in it.
    static func isInitial(_ ns: DiscoveredNamespace) -> Bool {
        ns.processes.contains { $0.pid == 2 && $0.command == "kthreadd" && $0.hold == .member }
    }

    /// The label of a namespace discovery did not report (gone, or never found): its identity.
    static func label(unknown id: NamespaceID) -> String { id.description }

    /// Nothing is in it or holds it open, it has no user's name, it is no topology node, and what
    /// keeps it is a container runtime's: a runtime's name (`cni-<uuid>`, `netns-<uuid>`), a
    /// runtime's mount path (/run/docker/netns, /run/user/UID/netns), or a container owner
    /// (CNI state naming it). The rule docs/orphans.md builds on; `orphans` checks more (the
    /// container being gone) before removing anything.
    static func isOrphan(_ ns: DiscoveredNamespace) -> Bool {
        guard ns.memberCount == 0, ns.holderCount == 0, !ns.isCallers, !ns.mounts.isEmpty || !ns.names.isEmpty else { return false }
        if ns.names.contains(where: { !isRuntimeName($0.rawValue) }) { return false }
        if !ns.names.isEmpty { return true }
        if ns.owners.contains(where: { $0.isContainer }) { return true }
        return ns.mounts.allSatisfy { isRuntimeMountPath($0.path) }
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

    /// The names container runtimes give the namespaces they mount under /run/netns: containerd's
    /// CRI `cni-<uuid>`, podman's `netns-<uuid>` (lowercase hex, 8-4-4-4-12).
    static func isRuntimeName(_ name: String) -> Bool {
        for prefix in ["cni-", "netns-"] where name.hasPrefix(prefix) {
            return isUUID(name.utf8.dropFirst(prefix.utf8.count))
        }
        return false
    }

    /// Where runtimes bind-mount namespaces outside /run/netns: Docker's /run/docker/netns/ID and
    /// rootless podman's /run/user/UID/netns/NAME; and a runtime's name under /run/netns.
    static func isRuntimeMountPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0].isEmpty else { return false }
        let p = parts[1] == "var" ? Array(parts.dropFirst(2)) : Array(parts.dropFirst(1))   // /var/run = /run
        if p.count == 4, p[0] == "run", p[1] == "docker", p[2] == "netns", !p[3].isEmpty { return true }
        if p.count == 5, p[0] == "run", p[1] == "user", UInt32(p[2]) != nil, p[3] == "netns", !p[4].isEmpty { return true }
        if p.count == 3, p[0] == "run", p[1] == "netns" { return isRuntimeName(p[2]) }
        return false
    }

    static func isUUID(_ bytes: some Sequence<UInt8>) -> Bool {
        let b = Array(bytes)
        guard b.count == 36 else { return false }
        for (i, c) in b.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != UInt8(ascii: "-") { return false }
            } else if !((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)) {
                return false
            }
        }
        return true
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
