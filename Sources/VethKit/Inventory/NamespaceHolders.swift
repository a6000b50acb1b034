import Glibc

/// The processes that keep one network namespace alive, found by a fresh look at /proc: a
/// process or a thread in it, or an open file descriptor of it. The check the orphan rules make
/// right before removing anything (docs/orphans.md); a socket created inside the namespace also
/// keeps it alive and is not seen here (the kernel does not show which namespace a socket is in).
public enum NamespaceHolders {
    /// Up to `limit` processes in or holding `id`, members first. The calling process's own open
    /// descriptors are not counted (its own thread being in the namespace is).
    public static func find(_ id: NamespaceID, procRoot: String = "/proc", limit: Int = 1) -> [NamespaceProcess] {
        var out: [NamespaceProcess] = []
        let pids = ProcessScan.numbers(in: procRoot)
        func add(_ pid: Int32, _ hold: NamespaceProcess.Hold) {
            out.append(NamespaceProcess(pid: pid, command: ProcessScan.command(pid, procRoot: procRoot),
                                        uid: ProcessScan.uid(pid, procRoot: procRoot), hold: hold))
        }
        for pid in pids where out.count < limit {
            if ProcessScan.namespace(at: "\(procRoot)/\(pid)/ns/net") == id { add(pid, .member); continue }
            for tid in ProcessScan.numbers(in: "\(procRoot)/\(pid)/task") where tid != pid {
                if ProcessScan.namespace(at: "\(procRoot)/\(pid)/task/\(tid)/ns/net") == id { add(pid, .thread(tid)); break }
            }
        }
        let me = getpid()
        let text = id.description
        for pid in pids where out.count < limit && pid != me && !out.contains(where: { $0.pid == pid }) {
            for fd in ProcessScan.numbers(in: "\(procRoot)/\(pid)/fd") {
                let p = "\(procRoot)/\(pid)/fd/\(fd)"
                // A descriptor opened from /proc reads `net:[N]`; one opened through a bind mount
                // reads as the mount's path: both are checked by identity, nothing else is stat'ed.
                guard let l = ProcessScan.link(p), l == text || l.hasPrefix("/"), ProcessScan.namespace(at: p) == id else { continue }
                add(pid, .fileDescriptor(fd))
                break
            }
        }
        return out
    }
}
