import Glibc

extension NamespaceInventory {
    /// Every network namespace on the machine, each once (by nsfs device and inode): the
    /// caller's first, then by id. Found from processes and their threads (/proc/PID/ns/net,
    /// /proc/PID/task/TID/ns/net), open descriptors (/proc/PID/fd → `net:[N]`), nsfs bind mounts
    /// in every mount namespace (/proc/PID/mountinfo, read once per mount namespace; the names
    /// under the run directories are the caller's mounts there), with owners from the cgroups of
    /// a few member processes and from CNI state (``Options``).
    ///
    /// Identification is by readlink and mountinfo only: nothing is opened, no thread moves.
    /// A process that exits mid-scan, or whose /proc entries another user keeps from us, is
    /// skipped. Throws only when `procRoot` cannot be listed or the nsfs device is unknown.
    public static func discover(options: Options = .init()) throws -> [DiscoveredNamespace] {
        let proc = options.procRoot
        guard let device = options.nsfsDevice ?? ProcFiles.device("\(proc)/self/ns/net") else {
            throw SystemCallError("stat \(proc)/self/ns/net")
        }
        let callerNet = ProcFiles.linkedNamespace("\(proc)/thread-self/ns/net", type: "net")
            ?? ProcFiles.linkedNamespace("\(proc)/self/ns/net", type: "net")
        let callerMnt = ProcFiles.linkedNamespace("\(proc)/thread-self/ns/mnt", type: "mnt")
            ?? ProcFiles.linkedNamespace("\(proc)/self/ns/mnt", type: "mnt")
        guard let scan = ProcScan.scan(procRoot: proc, fileDescriptors: options.scanFileDescriptors, nsfsDevice: device) else {
            throw SystemCallError("opendir \(proc)")
        }

        // Mounts: the caller's mount namespace, then one process's view of each other one.
        var mounts: [NamespaceID: [NamespaceMount]] = [:]
        var names: [NamespaceID: [NamespaceName]] = [:]
        var namePaths: [NamespaceID: [String]] = [:]
        let directories = NamedNamespaces.distinctDirectories(options.runDirectories)
        var readCallers = false
        if let (_, entries) = MountInfoScan.read(["\(proc)/thread-self/mountinfo", "\(proc)/self/mountinfo"]) {
            readCallers = true
            let me = getpid()
            for e in entries {
                let id = NamespaceID(device: e.device, inode: e.inode)
                mounts[id, default: []].append(NamespaceMount(path: e.path, mountNamespace: callerMnt ?? 0, viaPID: me,
                                                              isInCallersMountNamespace: true))
                if let n = NamedNamespaces.name(ofMountPoint: e.path, directories: directories) {
                    names[id, default: []].append(n)
                    namePaths[id, default: []].append(e.path)
                }
            }
        }
        for (mnt, pids) in scan.mountNamespaces.sorted(by: { $0.key < $1.key }) {
            if readCallers, mnt == callerMnt { continue }
            let tries = Array(pids.prefix(4))
            guard let (i, entries) = MountInfoScan.read(tries.map { "\(proc)/\($0)/mountinfo" }) else { continue }
            for e in entries {
                let id = NamespaceID(device: e.device, inode: e.inode)
                mounts[id, default: []].append(NamespaceMount(path: e.path, mountNamespace: mnt, viaPID: tries[i],
                                                              isInCallersMountNamespace: false))
            }
        }

        var ids = Set(mounts.keys)
        for ino in scan.namespaces { ids.insert(NamespaceID(device: device, inode: ino)) }
        let caller = callerNet.map { NamespaceID(device: device, inode: $0) }
        if let caller { ids.insert(caller) }

        var found: [DiscoveredNamespace] = []
        var parents: [Int32: Int32] = [:]   // sampled pid → parent pid (from the same status read)
        found.reserveCapacity(ids.count)
        for id in ids {
            var ns = DiscoveredNamespace(id: id, isCallers: id == caller)
            if id.device == device { scan.fill(&ns, procRoot: proc, sample: options.processSample, parents: &parents) }
            ns.names = Array(Set(names[id] ?? [])).sorted()
            ns.mounts = (mounts[id] ?? []).sorted { ($0.path, $0.mountNamespace, $0.viaPID) < ($1.path, $1.mountNamespace, $1.viaPID) }
            ns.openPaths = openPaths(ns, namePaths: namePaths[id] ?? [], procRoot: proc)
            found.append(ns)
        }
        found.sort { a, b in a.isCallers != b.isCallers ? a.isCallers : a.id < b.id }
        Owners.assign(&found, options: options, parents: parents)
        return found
    }

    /// Paths that open a namespace, best first: its names, its mounts in the caller's mount
    /// namespace, its mounts elsewhere through /proc/PID/root, its sampled members' ns/net, their
    /// threads' ns/net, holders' descriptors.
    static func openPaths(_ ns: DiscoveredNamespace, namePaths: [String], procRoot: String) -> [String] {
        var out = namePaths.sorted()
        for m in ns.mounts where m.isInCallersMountNamespace && !out.contains(m.path) { out.append(m.path) }
        for m in ns.mounts where !m.isInCallersMountNamespace { out.append("\(procRoot)/\(m.viaPID)/root\(m.path)") }
        for p in ns.processes { if case .member = p.hold { out.append("\(procRoot)/\(p.pid)/ns/net") } }
        for p in ns.processes { if case .thread(let tid) = p.hold { out.append("\(procRoot)/\(p.pid)/task/\(tid)/ns/net") } }
        for p in ns.processes { if case .fileDescriptor(let fd) = p.hold { out.append("\(procRoot)/\(p.pid)/fd/\(fd)") } }
        return out
    }
}

extension ProcScan {
    /// Sets a namespace's counts and its process sample (members by lowest pid, then holders),
    /// reading the status of the sampled ones only (comm, uid, parent); a sampled process that has gone is left out.
    /// With `keepingUnreadable`, a sampled process whose status cannot be read is kept (no
    /// command, uid 0): the orphan checks count it rather than miss it.
    func fill(_ ns: inout DiscoveredNamespace, procRoot: String, sample: Int, parents: inout [Int32: Int32],
              keepingUnreadable: Bool = false) {
        let ino = ns.id.inode
        let own = members[ino] ?? []
        let threadHolds = threads[ino] ?? []
        var memberHolds: [(Int32, NamespaceProcess.Hold)] = own.map { ($0, .member) }
        var memberSet = Set(own)
        for t in threadHolds where !memberSet.contains(t.pid) {
            memberSet.insert(t.pid)
            memberHolds.append((t.pid, .thread(t.tid)))
        }
        memberHolds.sort { $0.0 < $1.0 }
        var holderHolds: [(Int32, NamespaceProcess.Hold)] = []
        var holderSet = Set<Int32>()
        for d in descriptors[ino] ?? [] where !memberSet.contains(d.pid) && holderSet.insert(d.pid).inserted {
            holderHolds.append((d.pid, .fileDescriptor(d.fd)))
        }
        holderHolds.sort { $0.0 < $1.0 }
        ns.memberCount = memberSet.count
        ns.holderCount = holderSet.count
        var picked: [NamespaceProcess] = []
        for (pid, hold) in memberHolds + holderHolds {
            if picked.count >= sample { break }
            guard let d = ProcessDetails.commandUIDParent(procRoot: procRoot, pid: pid) else {
                if keepingUnreadable { picked.append(NamespaceProcess(pid: pid, command: "", uid: 0, hold: hold)) }
                continue
            }
            picked.append(NamespaceProcess(pid: pid, command: d.command, uid: d.uid, hold: hold))
            if let p = d.parent { parents[pid] = p }
        }
        ns.processes = picked
    }
}
