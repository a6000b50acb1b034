import Glibc
import VethKit

/// Namespaces held only by a container runtime's bind mount whose container is gone, with their
/// veths, by VethKit's rule (``NamespaceOrphans``); removal unmounts the runtime's mount.
struct NamespaceOrphanSource: OrphanSource {
    var namespaces: [DiscoveredNamespace]
    var options: NamespaceOrphans.Options

    func find() -> (orphans: [Orphan], notes: [String], unjudged: Int) {
        var notes: [String] = []
        for n in namespaces {
            for m in n.mounts {
                if case .oddName = RuntimeNamespacePaths.classify(m.path) {
                    notes.append("\(RawArguments.escaped(Array(m.path.utf8))): a runtime's place but a name no runtime makes (not judged)")
                }
            }
        }
        let options = options
        let found = NamespaceOrphans.find(namespaces, options: options).map { o in
            Orphan(kind: "namespace", network: o.runtime, containerID: o.mounts.first.map { String($0.path.split(separator: "/").last ?? "") } ?? "",
                   ifname: o.veths.map { $0.end.name }.joined(separator: ","), addresses: [],
                   netns: o.mounts.map(\.path).joined(separator: ","), age: o.ageSeconds,
                   reason: "no process in it or holding it; held only by \(o.runtime)'s mount",
                   namespaceID: o.id.description, veths: o.veths.map { $0.end.name },
                   remove: {
                       let r = NamespaceOrphans.remove(o, options: options)
                       var done: [String] = [], why: [String] = []
                       for x in r {
                           switch x {
                           case .removed(let p): done.append("unmounted \(p)")
                           case .alreadyGone(let p): done.append("\(p) already gone")
                           case .notAnOrphan(let p, let w): why.append("\(p): \(w)")
                           case .otherMountNamespace(let p, let pid): why.append("\(p): mounted in another mount namespace (pid \(pid)), not removed")
                           }
                       }
                       if done.isEmpty { return why.isEmpty || why.allSatisfy({ !$0.contains("another mount namespace") }) ? nil : "not removed: " + why.joined(separator: "; ") }
                       if !o.veths.isEmpty && r.contains(where: { if case .removed = $0 { return true }; return false }) {
                           done.append("veths \(o.veths.map(\.end.name).joined(separator: ",")) go with it")
                       }
                       return (done + why).joined(separator: "; ")
                   })
        }
        // Mount point files a killed removal left (unmounted, not yet unlinked).
        let now = Int(time(nil))
        let interrupted = NamespaceOrphans.interruptedRemovals(options: options).map { r in
            var runtime = "?"
            if case .runtime(let rt, _) = RuntimeNamespacePaths.classify(r.path) { runtime = rt }
            return Orphan(kind: "namespace", network: runtime, containerID: String(r.path.split(separator: "/").last ?? ""),
                          ifname: "", addresses: [], netns: r.path, age: max(0, now - r.since),
                          reason: "the mount point file of a removal that was stopped midway (already unmounted)",
                          remove: {
                              switch NamespaceOrphans.finish(r, options: options) {
                              case .removed(let p): return "unlinked \(p) (its removal was interrupted)"
                              case .alreadyGone(let p): return "\(p) already gone"
                              case .notAnOrphan(let p, let why): return "not removed: \(p): \(why)"
                              case .otherMountNamespace(let p, _): return "not removed: \(p)"
                              }
                          })
        }
        return (found + interrupted, notes, 0)
    }
}
