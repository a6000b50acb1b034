import VethKit

extension BridgeNetwork {
    /// Removes reservations, host veths and masquerade rules of attachments not in
    /// `cni.dev/valid-attachments`.
    public func gc() throws {
        // Without the list GC cannot know what is valid ("everything not listed" would be every
        // attachment): missing or null is refused before anything is looked at.
        guard let valid = config.validAttachments else {
            throw CNIError(.invalidNetworkConfig, "GC needs cni.dev/valid-attachments",
                           details: "missing or null: nothing was removed (an empty list means that no attachment is valid)")
        }
        let keep = Set(valid)
        var firstError: Error?
        do { try ipam.gc(keep: keep) } catch { firstError = error }
        let host = try step("open rtnetlink") { try NetHandle() }
        let keepNames = Set(keep.map { Naming.hostVeth(network: config.name, $0).rawValue })
        let group = Naming.linkGroup(network: config.name)
        for l in try step("list links", { try host.linksWithoutStatistics() }) where l.isVeth && l.group == group && !keepNames.contains(l.name) {
            do { try host.deleteLink(.index(l.index)) } catch where error.isNotFound {
            } catch { firstError = firstError ?? cniError(error, "delete stale veth \(l.name)") }
        }
        if NFTables.isAvailable {
            let prefix = Naming.masqueradePrefix(network: config.name)
            let keepOwners = Set(keep.map { Naming.masqueradeOwner(network: config.name, $0) })
            do {
                for o in try Masquerade.owners() where o.hasPrefix(prefix) && !keepOwners.contains(o) {
                    try Masquerade.remove(owner: o)
                }
            } catch { firstError = firstError ?? cniError(error, "remove stale masquerade rules") }
        }
        if let firstError { throw cniError(firstError, "GC") }
    }

    /// Whether ADD can succeed: the address pool has room, nftables is there when ipMasq asks for
    /// it. Returns notes for stderr (reservations whose network namespace is gone).
    public func status() throws -> [String] {
        if config.ipMasq && !NFTables.isAvailable {
            throw CNIError(.notAvailable, "ipMasq needs nftables, which is not installed", details: "install libnftables1")
        }
        return try ipam.status()
    }
}
