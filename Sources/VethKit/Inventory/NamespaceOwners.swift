/// Puts together each namespace's owners, most specific first: containers (from the cgroups of
/// its sampled member processes; podman's name, or podman itself when it runs without cgroups,
/// from the conmon that is the first member's parent; docker's from its config.v2.json), then CNI attachments (result cache
/// and vethkit-cni records, matched by recorded identity, by CNI_NETNS path, or by container
/// id), then systemd units, else its first process. The caller's namespace is the host's: none.
enum Owners {
    static func assign(_ found: inout [DiscoveredNamespace], options: NamespaceInventory.Options, parents: [Int32: Int32]) {
        let proc = options.procRoot
        // conmon of the parent, read once per parent (500 `unshare -n` children of one shell: one read)
        var parentCmdlines: [Int32: (containerID: String, name: String?, podman: Bool)?] = [:]
        func conmonParent(_ pid: Int32) -> (containerID: String, name: String?, podman: Bool)? {
            guard let ppid = parents[pid], ppid > 0 else { return nil }
            if let c = parentCmdlines[ppid] { return c }
            let c = ProcFiles.read("\(proc)/\(ppid)/cmdline", limit: 1 << 16, shortReadIsEnd: true).flatMap { ProcessDetails.conmon(cmdline: $0) }
            parentCmdlines[ppid] = c
            return c
        }
        // docker's name from its config file, read once per container
        var dockerNames: [String: String?] = [:]
        func dockerName(_ id: String) -> String? {
            guard let root = options.dockerDataDirectory else { return nil }
            if let n = dockerNames[id] { return n }
            let n = DockerNames.name(containerID: id, dataDirectory: root)
            dockerNames[id] = n
            return n
        }
        var containers: [[NamespaceOwner]] = Array(repeating: [], count: found.count)
        var units: [[NamespaceOwner]] = Array(repeating: [], count: found.count)
        var cni: [[NamespaceOwner]] = Array(repeating: [], count: found.count)
        var byContainerID: [String: Int] = [:]
        var byPath: [String: Int] = [:]
        var byID: [NamespaceID: Int] = [:]
        for (i, ns) in found.enumerated() where !ns.isCallers {
            byID[ns.id] = i
            for m in ns.mounts where m.isInCallersMountNamespace { byPath[m.path] = i }
            for p in ns.processes {
                if case .fileDescriptor = p.hold { continue }
                guard let cg = ProcessDetails.cgroup(procRoot: proc, pid: p.pid),
                      let owner = OwnerDetection.owner(cgroupFile: cg) else { continue }
                var o = owner
                if case .podman(let id, nil) = owner, let c = conmonParent(p.pid), c.containerID == id, let name = c.name {
                    o = .podman(containerID: id, name: name)
                }
                if case .docker(let id, nil) = owner, let name = dockerName(id) { o = .docker(containerID: id, name: name) }
                if case .systemdUnit = o {
                    if !units[i].contains(o) { units[i].append(o) }
                } else if !containers[i].contains(o) {
                    containers[i].append(o)
                    if let id = o.containerID { byContainerID[id] = i }
                }
            }
        }

        // podman without cgroups (`cgroups = "disabled"`, some rootless setups): the container's
        // first process is conmon's child, and conmon's command line names the container.
        for (i, ns) in found.enumerated() where !ns.isCallers && containers[i].isEmpty {
            guard let p = ns.processes.first(where: { if case .fileDescriptor = $0.hold { return false }; return true }),
                  let c = conmonParent(p.pid), c.podman else { continue }
            let o = NamespaceOwner.podman(containerID: c.containerID, name: c.name)
            containers[i].append(o)
            byContainerID[c.containerID] = i
        }

        var attachments: [CNIState.Attachment] = CNIState.vethkitRecords(options.cniNetworksDirectories)
        if let dir = options.cniResultsDirectory { attachments += CNIState.resultCache(dir) }
        for a in attachments {
            var target: Int?
            if let id = a.namespace { target = byID[id] }
            if target == nil, a.namespace == nil, let p = a.netnsPath {
                target = byPath[p] ?? (p.hasPrefix("/var/run/") ? byPath[String(p.dropFirst(4))] : nil)
            }
            if target == nil, a.namespace == nil { target = byContainerID[a.containerID] }
            guard let i = target else { continue }
            let o = NamespaceOwner.cni(containerID: a.containerID, network: a.network, ifname: a.ifname)
            if !cni[i].contains(o) { cni[i].append(o) }
            // A pod only with K8S_POD_NAMESPACE (kubelet's runtimes always pass it): podman passes
            // K8S_POD_NAME=<container name> alone, and a podman container is no pod.
            if a.podNamespace != nil {
                if let k = containers[i].firstIndex(where: { if case .kubernetes = $0 { return true }; return false }),
                   case .kubernetes(let uid, let podNS, let pod, let cid) = containers[i][k] {
                    containers[i][k] = .kubernetes(podUID: uid ?? a.podUID, namespace: podNS ?? a.podNamespace, pod: pod ?? a.podName,
                                                   containerID: cid ?? a.containerID)
                } else if let k = containers[i].firstIndex(where: { if case .podman = $0 { return true }; return false }) {
                    // a podman that passes K8S_POD_NAMESPACE too (some versions do; both are the
                    // container's name): with podman known, they name the container, not a pod.
                    if case .podman(let id, nil) = containers[i][k], let name = a.podName { containers[i][k] = .podman(containerID: id, name: name) }
                } else if !containers[i].contains(where: { if case .docker = $0 { return true }; return false }) {
                    containers[i].insert(.kubernetes(podUID: a.podUID, namespace: a.podNamespace, pod: a.podName, containerID: a.containerID), at: 0)
                }
            }
        }

        for i in found.indices where !found[i].isCallers {
            var owners = containers[i] + cni[i] + units[i]
            if owners.isEmpty, let p = found[i].processes.first { owners = [.process(pid: p.pid, command: p.command)] }
            found[i].owners = owners
        }
    }
}

extension NamespaceOwner {
    /// The container id of a container owner (podman, docker, containerd, a pod's sandbox).
    var containerID: String? {
        switch self {
        case .podman(let id, _), .docker(let id, _), .containerd(_, let id): return id
        case .kubernetes(_, _, _, let id): return id
        case .cni(let id, _, _): return id
        case .systemdUnit, .process: return nil
        }
    }
}
