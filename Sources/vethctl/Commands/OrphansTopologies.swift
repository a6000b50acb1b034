import VethKitTopology

/// What interrupted `up`s left (``TopologyLeftovers``): placeholder files and temporary links.
struct TopologyLeftoverSource: OrphanSource {
    func find() -> (orphans: [Orphan], notes: [String], unjudged: Int) {
        let found = TopologyLeftovers.find().map { l in
            Orphan(kind: "topology-leftover", network: l.topology, containerID: "", ifname: l.temporaryLinks.joined(separator: ","),
                   addresses: [], netns: l.files.map { "/run/netns/\($0)" }.joined(separator: ","), age: nil,
                   reason: "left by an interrupted up of topology \(l.topology)",
                   remove: {
                       let done = try TopologyLeftovers.remove(l)
                       return done.isEmpty ? nil : "removed \(done.joined(separator: ","))"
                   })
        }
        return (found, [], 0)
    }
}
