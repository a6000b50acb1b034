// Times NamespaceInventory.discover (issue 10's discovery part): `DiscoverBench [RUNS] [-v]`
// prints the best and median wall time of RUNS discoveries and what the last one found.
import Glibc
import VethKit

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// User + system CPU seconds of this process so far (less sensitive than wall time to a busy machine).
func cpu() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

let args = CommandLine.arguments.dropFirst()
let runs = args.first.flatMap { Int($0) } ?? 10
let verbose = args.contains("-v")
var times: [Double] = []
var cpus: [Double] = []
var last: [DiscoveredNamespace] = []
for _ in 0..<max(runs, 1) {
    let t0 = now(), c0 = cpu()
    last = try NamespaceInventory.discover()
    times.append(now() - t0)
    cpus.append(cpu() - c0)
}
times.sort()
cpus.sort()
let procs = last.reduce(0) { $0 + $1.memberCount + $1.holderCount }
print("discover: \(last.count) namespaces, \(procs) member/holder processes; best \(Int(times[0] * 1e6)) µs, median \(Int(times[times.count / 2] * 1e6)) µs over \(times.count) runs; CPU best \(Int(cpus[0] * 1e6)) µs, median \(Int(cpus[cpus.count / 2] * 1e6)) µs")
if verbose {
    for ns in last {
        print("\(ns.id.inode)\(ns.isCallers ? " (caller)" : "") names=\(ns.names.map(\.rawValue)) mounts=\(ns.mounts.map { "\($0.path)@\($0.mountNamespace)" }) members=\(ns.memberCount) holders=\(ns.holderCount) procs=\(ns.processes.map { "\($0.pid):\($0.command):\($0.uid):\($0.hold)" }) owners=\(ns.owners) open=\(ns.openPaths.prefix(3))")
    }
}
