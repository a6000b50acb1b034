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
        var mine = links.filter { names.contains($0.name) }
        guard !mine.isEmpty else { return }
        // Temporary names first: one delete of the temporary group when it holds only those.
        if try deleteTemporary(topology: topology, host: host, links: links) {
            mine.removeAll { Ownership.isTemporaryLink(name: $0.name, group: $0.group, topology: topology) }
        }
        let members = links.filter { $0.group == group }
        if members.allSatisfy({ names.contains($0.name) && Ownership.owns(alias: $0.alias, topology: topology) }),
           mine.allSatisfy({ $0.group == group }) {
            try host.deleteLinks(group: group)
            return
        }
        for l in mine {
            do { try host.deleteLink(.index(l.index)) } catch let e as KernelError where e.errno == .operationNotSupportedByDevice {} catch is NotFound {}
        }
    }

    /// Deletes the topology's links under temporary names (what an interrupted up leaves): one
    /// RTM_DELLINK of the temporary group when every member has a temporary name, else one by one
    /// (a user's link that sits in that group stays). True when any was there.
    @discardableResult
    static func deleteTemporary(topology: String, host: NetHandle, links: [VethKit.Link]? = nil) throws -> Bool {
        let all = try links ?? host.linksWithoutStatistics()
        let tg = Ownership.temporaryGroup(for: topology)
        let members = all.filter { $0.group == tg }
        let temps = members.filter { Ownership.isTemporaryLink(name: $0.name, group: $0.group, topology: topology) }
        guard !temps.isEmpty else { return false }
        if temps.count == members.count {
            try host.deleteLinks(group: tg)
        } else {
            for l in temps {
                do { try host.deleteLink(.index(l.index)) } catch let e as KernelError where e.errno == .operationNotSupportedByDevice {} catch is NotFound {}
            }
        }
        return true
    }
}
