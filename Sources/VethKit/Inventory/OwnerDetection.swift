/// Who a process belongs to, from its cgroup path (/proc/PID/cgroup): the container runtimes and
/// systemd name their cgroups after what they run.
///
/// | runtime | cgroup path (systemd driver; cgroupfs driver) |
/// |---|---|
/// | podman | `…/libpod-<64hex>.scope[/container]`; `/libpod_parent/libpod-<64hex>` |
/// | docker | `…/docker-<64hex>.scope`; `/docker/<64hex>` |
/// | Kubernetes | `/kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope` (also `crio-`, `docker-`); `/kubepods/<qos>/pod<uid>/<id>` |
/// | containerd | `…/cri-containerd-<id>.scope`, `…/containerd-<id>.scope`, `…/nerdctl-<id>.scope`; `/<namespace>/<64hex>` |
/// | systemd | the deepest `*.service` or `*.scope` (not `init.scope`, `session-N.scope`, `user@UID.service`) |
///
/// ctr's default cgroupfs path `/<namespace>/<id>` with a name-like id is not recognised: it
/// cannot be told from any other two-level cgroup.
enum OwnerDetection {
    /// The owner a cgroup file (all its lines) names: the first container found on any line
    /// (the unified `0::` line first, then `name=systemd`, then the rest), else a systemd unit.
    static func owner(cgroupFile bytes: [UInt8]) -> NamespaceOwner? {
        var paths: [(rank: Int, path: Substring)] = []
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let lineBytes = bytes[start..<end]
            start = end + 1
            guard mayNameAnOwner(lineBytes) else { continue }   // most lines: no string made at all
            let line = Substring(String(decoding: lineBytes, as: UTF8.self))
            // hierarchy-ID:controller-list:cgroup-path (the path may contain ':')
            guard let c1 = line.firstIndex(of: ":") else { continue }
            let rest = line[line.index(after: c1)...]
            guard let c2 = rest.firstIndex(of: ":") else { continue }
            let controllers = rest[..<c2]
            let path = rest[rest.index(after: c2)...]
            let rank = line[..<c1] == "0" && controllers.isEmpty ? 0 : controllers == "name=systemd" ? 1 : 2
            paths.append((rank, path))
        }
        guard !paths.isEmpty else { return nil }
        let ordered = paths.enumerated().sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }.map(\.element.path)
        for p in ordered { if let o = container(cgroupPath: p) { return o } }
        for p in ordered { if let u = systemdUnit(cgroupPath: p) { return .systemdUnit(u) } }
        return nil
    }

    /// Every owner's cgroup path has a unit suffix (`.scope`, `.service`: a '.') or a run of
    /// 12+ hex digits (an id); most processes' paths (`/`, `/user.slice/…` aside) have neither,
    /// and such lines are dismissed by this one pass over their bytes before any string is made.
    static func mayNameAnOwner(_ bytes: ArraySlice<UInt8>) -> Bool {
        var run = 0
        for b in bytes {
            if b == 0x2E { return true }
            if (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) {
                run += 1
                if run >= 12 { return true }
            } else {
                run = 0
            }
        }
        return false
    }

    /// The container a cgroup path names, or nil.
    static func container<S: StringProtocol>(cgroupPath: S) -> NamespaceOwner? {
        let parts = cgroupPath.split(separator: "/" as Character).map { String($0) }
        guard !parts.isEmpty else { return nil }
        if parts.contains(where: { $0.hasPrefix("kubepods") }) {
            var podUID: String?
            for p in parts {
                var s = Substring(p)
                if s.hasSuffix(".slice") { s = s.dropLast(6) }
                // cgroupfs: `pod<uid>`; systemd: `kubepods-<qos>-pod<uid with _ for ->`
                let candidate: Substring = s.hasPrefix("pod") ? s : s.hasPrefix("kubepods-") ? (s.split(separator: "-" as Character).last ?? "") : ""
                guard candidate.hasPrefix("pod") else { continue }
                let uid = candidate.dropFirst(3)
                if uid.utf8.count >= 8, uid.allSatisfy({ $0.isHexDigit || $0 == "_" || $0 == "-" }) {
                    podUID = uid.replacingUnderscores()
                }
            }
            var id: String?
            if let last = parts.last, podUID == nil || !last.hasPrefix("kubepods") {
                id = containerID(scope: last, prefixes: ["cri-containerd-", "crio-", "docker-", "cri-o-"]) ?? (isHex(last, minimum: 12) ? last : nil)
            }
            guard podUID != nil || id != nil else { return nil }
            return .kubernetes(podUID: podUID, namespace: nil, pod: nil, containerID: id)
        }
        for (i, p) in parts.enumerated() {
            if p.hasPrefix("libpod-conmon-") { return nil }   // conmon's own cgroup, not the container
            if let id = containerID(scope: p, prefixes: ["libpod-"]) { return .podman(containerID: id, name: nil) }
            if let id = containerID(scope: p, prefixes: ["docker-"]) { return .docker(containerID: id, name: nil) }
            if p == "docker", i + 1 < parts.count, isHex(parts[i + 1], minimum: 64) { return .docker(containerID: parts[i + 1], name: nil) }
            if let id = containerID(scope: p, prefixes: ["cri-containerd-", "containerd-", "nerdctl-"]) {
                return .containerd(namespace: nil, containerID: id)
            }
        }
        if parts.count == 2, !parts[0].contains("."), !parts[0].hasPrefix("libpod"), isHex(parts[1], minimum: 64) {
            return .containerd(namespace: parts[0], containerID: parts[1])
        }
        return nil
    }

    /// The deepest systemd unit in a cgroup path that says more than "a login session".
    static func systemdUnit<S: StringProtocol>(cgroupPath: S) -> String? {
        for p in cgroupPath.split(separator: "/" as Character).reversed() {
            guard p.hasSuffix(".service") || p.hasSuffix(".scope") else { continue }
            if p == "init.scope" || (p.hasPrefix("session-") && p.hasSuffix(".scope")) || p.hasPrefix("user@") { return nil }
            return String(p)
        }
        return nil
    }

    /// `<prefix><hex id>[.scope]` → the id (at least 12 hex digits; podman's and docker's are 64).
    static func containerID(scope part: String, prefixes: [String]) -> String? {
        for prefix in prefixes where part.hasPrefix(prefix) {
            var id = Substring(part.dropFirst(prefix.count))
            if id.hasSuffix(".scope") { id = id.dropLast(6) }
            if isHex(id, minimum: 12) { return String(id) }
        }
        return nil
    }

    static func isHex<S: StringProtocol>(_ s: S, minimum: Int) -> Bool {
        s.utf8.count >= minimum && s.utf8.count <= 128 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

extension Substring {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? "-" : $0 })
    }
}
