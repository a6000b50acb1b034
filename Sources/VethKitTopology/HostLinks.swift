import VethKit

/// Deleting a topology's host links without touching anyone else's.
enum HostLinks {
    /// Deletes the host links named in `names` (what this run created: temporary names and final
    /// names of links the kernel created for it). One RTM_DELLINK by the topology's group when
    /// every member of the group is among them and carries our alias (a user's link can sit in the
    /// group: `ip link add … group N`); otherwise one by one. Links already gone are fine.
    static func delete(names: Set<String>, topology: String, host: NetHandle) throws {
        let group = Ownership.group(for: topology)
        let links = try host.linksWithoutStatistics()
        let mine = links.filter { names.contains($0.name) }
        guard !mine.isEmpty else { return }
        let members = links.filter { $0.group == group }
        if members.allSatisfy({ names.contains($0.name) && Ownership.owns(alias: $0.alias, topology: topology) }),
           mine.allSatisfy({ $0.group == group }) {
            try host.deleteLinks(group: group)
            return
        }
        for l in mine {
            do { try host.deleteLink(index: l.index) } catch let e as KernelError where e.errno == .noSuchDevice {} catch is NotFound {}
        }
    }
}
