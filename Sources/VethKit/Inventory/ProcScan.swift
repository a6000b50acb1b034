import Glibc
/// One pass over /proc: which network namespace each process and thread is in, which it holds
/// through open descriptors, and which mount namespace it sees. Per process: a readlink of
/// ns/net and ns/mnt, a listing of task/ (a readlink per extra thread) and of fd/ (a readlink per
/// descriptor). A process that exits mid-scan, or whose entries we may not read, is skipped.
struct ProcScan {
    struct Thread: Equatable { var pid: Int32; var tid: Int32 }
    struct Descriptor: Equatable { var pid: Int32; var fd: Int32 }

    /// Processes whose own ns/net is the namespace, ascending.
    var members: [UInt64: [Int32]] = [:]
    /// Threads in a namespace their process (its main thread) is not in, by pid then tid.
    var threads: [UInt64: [Thread]] = [:]
    /// Open nsfs descriptors of namespaces their process is not in (by process or thread).
    var descriptors: [UInt64: [Descriptor]] = [:]
    /// Mount namespace inode → the processes seeing it, ascending.
    var mountNamespaces: [UInt64: [Int32]] = [:]

    /// Nil when `procRoot` cannot be listed. With `nsfsDevice`, descriptors opened through a bind
    /// mount (whose links read as paths) are recognised too. The calling process's own descriptors
    /// are never counted; its threads only with `ownThreads`.
    static func scan(procRoot: String, fileDescriptors: Bool, nsfsDevice: UInt64? = nil, ownThreads: Bool = false) -> ProcScan? {
        var s = ProcScan()
        guard let pids = ProcFiles.numericEntries(procRoot) else { return nil }
        // This process's own threads and descriptors are the scan's (MachinePeerMap's workers
        // setns into the namespaces they read and hold them open): never a namespace's holders.
        let ownPID = procRoot == "/proc" ? getpid() : -1
        for pid in pids {
            let dir = "\(procRoot)/\(pid)"
            guard let net = ProcFiles.linkedNamespace(dir + "/ns/net", type: "net") else { continue }
            s.members[net, default: []].append(pid)
            if let mnt = ProcFiles.linkedNamespace(dir + "/ns/mnt", type: "mnt") {
                s.mountNamespaces[mnt, default: []].append(pid)
            }
            if pid == ownPID && !ownThreads { continue }
            var threadNamespaces: [UInt64] = []
            // One stat tells a single-threaded process (most): only then is task/ listed.
            if ProcFiles.threadCount(dir + "/task").map({ $0 > 1 }) ?? true,
               let tids = ProcFiles.numericEntries(dir + "/task"), tids.count > 1 {
                for tid in tids where tid != pid {
                    guard let t = ProcFiles.linkedNamespace("\(dir)/task/\(tid)/ns/net", type: "net"), t != net else { continue }
                    if !threadNamespaces.contains(t) { threadNamespaces.append(t) }
                    s.threads[t, default: []].append(Thread(pid: pid, tid: tid))
                }
            }
            guard fileDescriptors, pid != ownPID else { continue }
            var held: [(fd: Int32, ns: UInt64)] = []
            _ = ProcFiles.namespaceLinks(dir + "/fd", type: "net", nsfsDevice: nsfsDevice) { fd, n in
                guard n != net, !threadNamespaces.contains(n) else { return }
                if let k = held.firstIndex(where: { $0.ns == n }) {
                    if fd < held[k].fd { held[k].fd = fd }   // the lowest descriptor, whatever the listing order
                } else {
                    held.append((fd, n))
                }
            }
            for h in held { s.descriptors[h.ns, default: []].append(Descriptor(pid: pid, fd: h.fd)) }
        }
        return s
    }

    /// Every network namespace inode seen.
    var namespaces: Set<UInt64> {
        var all = Set(members.keys)
        all.formUnion(threads.keys)
        all.formUnion(descriptors.keys)
        return all
    }
}
