/// Puts together each namespace's owners, most specific first: containers (from the cgroups of
/// its sampled member processes; podman's name from conmon), then CNI attachments (result cache
/// and vethkit-cni records, matched by recorded identity, by CNI_NETNS path, or by container
/// id), then systemd units, else its first process. The caller's namespace is the host's: none.
enum Owners {
    static func assign(_ found: inout [DiscoveredNamespace], options: NamespaceInventory.Options) {
        let proc = options.procRoot
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
                if case .podman(let id, nil) = owner, let name = ProcessDetails.podmanName(procRoot: proc, pid: p.pid, containerID: id) {
                    o = .podman(containerID: id, name: name)
                }
                if case .systemdUnit = o {
                    if !units[i].contains(o) { units[i].append(o) }
                } else if !containers[i].contains(o) {
                    containers[i].append(o)
                    if let id = o.containerID { byContainerID[id] = i }
                }
            }
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
            if a.podName != nil || a.podNamespace != nil {
                if let k = containers[i].firstIndex(where: { if case .kubernetes = $0 { return true }; return false }),
                   case .kubernetes(let uid, let podNS, let pod, let cid) = containers[i][k] {
                    containers[i][k] = .kubernetes(podUID: uid ?? a.podUID, namespace: podNS ?? a.podNamespace, pod: pod ?? a.podName,
                                                   containerID: cid ?? a.containerID)
                } else {
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
