import VethKit
import VethKitCNI

/// host-local's reservations (CNI's reference IPAM) whose container no longer exists
/// (``HostLocalOrphans``); removal unlinks the reservation under host-local's lock.
struct HostLocalOrphanSource: OrphanSource {
    var dataDirs: [String]
    var namespaces: [DiscoveredNamespace]
    var minimumAge: Double

    func find() -> (orphans: [Orphan], notes: [String], unjudged: Int) {
        let evidence = ContainerEvidence.collect(namespaces: namespaces)
        var out: [Orphan] = [], notes: [String] = []
        for dir in dataDirs {
            let report = HostLocalOrphans.scan(dataDir: dir, evidence: evidence, minimumAge: minimumAge)
            notes += report.skipped
            let namespaces = namespaces
            for r in report.orphans {
                out.append(Orphan(kind: "host-local-reservation", network: r.network, containerID: r.containerID, ifname: r.ifname ?? "",
                                  addresses: [r.address], netns: "", age: r.ageSeconds,
                                  reason: "container \(r.containerID) is in no process's cgroup or command line and owns no namespace",
                                  remove: {
                                      switch HostLocalOrphans.remove(r, dataDir: dir, evidence: { ContainerEvidence.collect(namespaces: namespaces) }) {
                                      case .removed: return "released \(r.address)"
                                      case .alreadyGone: return "already gone"
                                      case .notAnOrphan: return nil
                                      }
                                  }))
            }
        }
        return (out, notes, 0)
    }
}
