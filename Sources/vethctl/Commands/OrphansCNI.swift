import Glibc
import VethKit
import VethKitCNI

/// CNI reservations (vethkit-cni's IPAM stores) whose network namespace is gone, through
/// VethKitCNI's store API (``OrphanScan``): never through a symlink, never another plugin's store.
struct CNIReservationOrphans: OrphanSource {
    var dataDirs: [String]

    func find() -> (orphans: [Orphan], notes: [String], unjudged: Int) {
        var out: [Orphan] = [], notes: [String] = []
        var unjudged = 0
        let now = Int(time(nil))
        for dir in dataDirs {
            let report = OrphanScan.scan(dataDir: dir)
            notes += report.skipped
            for s in report.attachments {
                if case .unknown = s.liveness { unjudged += s.addresses.count }
                guard s.isOrphan, let a = s.attachment, let record = s.record else { continue }
                let reason: String
                if case .gone(let why) = s.liveness { reason = why } else { reason = "" }
                out.append(Orphan(
                    kind: "cni-reservation", network: s.network, containerID: a.containerID, ifname: a.ifname,
                    addresses: s.addresses.map(\.description), netns: record.path, age: s.reservedAt.map { max(0, now - $0) },
                    reason: reason,
                    remove: {
                        guard let r = try OrphanScan.remove(s, dataDir: dir) else { return nil }
                        var done = "released \(r.addresses.map(\.description).joined(separator: ","))"
                        if let v = r.deletedVeth { done += ", deleted veth \(v)" }
                        if r.removedMasquerade { done += ", removed masquerade" }
                        return done
                    }))
            }
        }
        return (out, notes, unjudged)
    }
}
