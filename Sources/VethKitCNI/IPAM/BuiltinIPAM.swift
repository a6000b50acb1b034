import VethKitJSON
import VethKit

/// The built-in IPAM (`ipam.type` = `vethkit`): host-local's behaviour, in process.
/// One address per range set, handed out round-robin after the last one given (as host-local
/// does, so a released address is not reused at once), the gateway never handed out.
public struct BuiltinIPAM {
    public static let typeName = "vethkit"
    public let config: IPAMConfig
    public let network: String
    /// Where the current boot id is read (``BootID``; a test hook may point elsewhere).
    public let bootIDFile: String

    public init(ipam: JSON, network: String, bootIDFile: String = BootID.systemFile) throws {
        config = try IPAMConfig(json: ipam)
        self.network = network
        self.bootIDFile = bootIDFile
    }

    public func openStore() throws -> IPAMStore {
        try IPAMStore(dataDir: config.dataDir, network: network, bootIDFile: bootIDFile)
    }

    /// The store if it exists (nil: nothing was ever reserved).
    func existingStore() throws -> IPAMStore? {
        do { return try IPAMStore(dataDir: config.dataDir, network: network, create: false, bootIDFile: bootIDFile) } catch is IPAMStore.Missing { return nil }
    }

    /// Reserves one address per range set for the attachment and returns the IPAM result
    /// (ips without `interface`, the configured routes). Exhaustion is code 11 (try again later);
    /// nothing stays reserved when any set fails. A second ADD of the same attachment (container
    /// id + ifname) without a DEL is refused as host-local refuses it ("duplicate allocation is
    /// not allowed", code 112), keeping the first reservation as it is. `netns` (CNI_NETNS and its
    /// nsfs identity) is recorded with the attachment for STATUS and `vethctl orphans`.
    public func add(_ a: NetworkConfig.Attachment, netns: NetnsRecord? = nil) throws -> CNIResult {
        let store = try openStore()
        return try store.withLock {
            try store.expireEarlierBoot()
            if let held = try store.addressesIfMarked(a).first(where: { ip in config.rangeSets.joined().contains { $0.subnet.contains(ip) } }) {
                throw CNIError(.duplicateAttachment, "\(held) has been allocated to \(a.containerID) (\(a.ifname)), duplicate allocation is not allowed",
                               details: "a second ADD without DEL for network \(network); DEL it first")
            }
            try store.mark(a, record: netns)   // before the first reservation: no marker means no reservation
            var got: [CNIResult.IPConfig] = []
            do {
                for (i, set) in config.rangeSets.enumerated() {
                    guard let (ip, range) = try allocate(in: set, index: i, store: store, for: a) else {
                        throw CNIError(.tryAgainLater, "no IP addresses available in range set \(set.map { "\($0.rangeStart)-\($0.rangeEnd)" }.joined(separator: ","))",
                                       details: "network \(network): all \(set.reduce(0) { $0.addingReportingOverflow($1.capacity).overflow ? Int.max : $0 + $1.capacity }) addresses are reserved")
                    }
                    got.append(CNIResult.IPConfig(address: try IPNetwork(address: ip, prefixLength: range.subnet.prefixLength),
                                                  gateway: range.gateway))
                }
            } catch {
                _ = try? store.release(a)
                throw error
            }
            var r = CNIResult()
            r.ips = got
            r.routes = config.routes
            return r
        }
    }

    private func allocate(in set: [IPRange], index: Int, store: IPAMStore, for a: NetworkConfig.Attachment) throws -> (IPAddress, IPRange)? {
        // Start just after the last address handed out in this set, wrap around once.
        var startRange = 0
        var startAddr = set[0].rangeStart
        if let last = store.lastReserved(set: index), let ri = set.firstIndex(where: { $0.contains(last) }) {
            if last < set[ri].rangeEnd, let n = last.advanced(by: 1) {
                startRange = ri
                startAddr = n
            } else {
                startRange = (ri + 1) % set.count
                startAddr = set[startRange].rangeStart
            }
        }
        let total = set.reduce(set.count) { $0.addingReportingOverflow($1.capacity).overflow ? Int.max : $0 + $1.capacity }
        var tried = 0
        var ri = startRange
        var cur = startAddr
        while tried <= total {
            let range = set[ri]
            if cur != range.gateway {
                if try store.reserve(cur, for: a) {
                    store.setLastReserved(cur, set: index)
                    return (cur, range)
                }
            }
            tried += 1
            if cur < range.rangeEnd, let n = cur.advanced(by: 1) {
                cur = n
            } else {
                ri = (ri + 1) % set.count
                cur = set[ri].rangeStart
            }
            if ri == startRange && cur == startAddr { break }
        }
        return nil
    }

    /// Releases exactly this attachment's reservations (none: fine).
    public func del(_ a: NetworkConfig.Attachment) throws {
        try BuiltinIPAM.release(a, dataDir: config.dataDir, network: network)
    }

    /// DEL's release: only dataDir and the network are needed (``Deletion``); a missing store is fine.
    public static func release(_ a: NetworkConfig.Attachment, dataDir: String, network: String) throws {
        guard let store = try IPAMStore.existing(dataDir: dataDir, network: network) else { return }
        try store.withLock { _ = try store.releaseIfMarked(a) }
    }

    /// CHECK: the attachment still holds every address of `ips`.
    public func check(_ a: NetworkConfig.Attachment, ips: [IPNetwork]) throws {
        let store = try existingStore()
        for ip in ips where config.rangeSets.joined().contains(where: { $0.subnet.contains(ip.address) }) {
            guard store?.owner(of: ip.address) == a else {
                throw CNIError(.reservationDrift, "IPAM reservation of \(ip.address) for container \(a.containerID) (\(a.ifname)) is missing",
                               details: "store \(config.dataDir)/\(network)")
            }
        }
    }

    /// GC: drops every reservation not held by a valid attachment.
    public func gc(keep: Set<NetworkConfig.Attachment>) throws -> [IPAddress] {
        guard let store = try existingStore() else { return [] }
        return try store.withLock {
            let expired = try store.expireEarlierBoot()
            return try expired + store.collectGarbage(keep: keep)
        }
    }

    /// STATUS: code 50 when some range set has no free address. Returns notes for stderr: how
    /// many reservations have no live network namespace (a runtime that never sent DEL).
    public func status() throws -> [String] {
        var reserved: Set<IPAddress> = []
        var notes: [String] = []
        var orphanNote = ""
        if let store = try existingStore() {
            let attachments: [StoredAttachment] = try store.withLock {
                try store.expireEarlierBoot()
                return try store.attachments(network: network)
            }
            reserved = Set(attachments.flatMap(\.addresses))
            let orphans = attachments.filter(\.isOrphan)
            if !orphans.isEmpty {
                let n = orphans.reduce(0) { $0 + $1.addresses.count }
                orphanNote = "\(n) of \(reserved.count) reservations (\(orphans.count) attachment\(orphans.count == 1 ? "" : "s")) have no live network namespace: their runtime never sent DEL; `vethctl orphans --data-dir \(config.dataDir)` lists them, --remove releases them"
                notes.append("network \(network): " + orphanNote)
            }
        }
        for set in config.rangeSets {
            let cap = set.reduce(0) { $0.addingReportingOverflow($1.capacity).overflow ? Int.max : $0 + $1.capacity }
            let used = reserved.filter { ip in set.contains { $0.contains(ip) && ip != $0.gateway } }.count
            if used >= cap {
                throw CNIError(.notAvailable, "address pool exhausted: \(used) of \(cap) addresses reserved in \(set.map { $0.subnet.description }.joined(separator: ","))",
                               details: "network \(network), store \(config.dataDir)/\(network)" + (orphanNote.isEmpty ? "" : "; " + orphanNote))
            }
        }
        return notes
    }
}
