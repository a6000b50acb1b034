import Glibc
import VethKit

/// Reservations whose network namespace is gone, across every network store under a dataDir —
/// what a runtime that never sent DEL leaves (`ctr run -d --cni`, then kill and rm). Used by
/// `vethctl orphans`. Confined like the plugin: dataDir is walked without following symlinks, a
/// network directory that is a symlink is skipped (never followed), a directory vethkit-cni never
/// wrote into (no `attachment_index`, no `boot_id`: host-local's) is left alone, unreadable
/// reservations and reservations without a netns record are reported "unknown", never removed.
public enum OrphanScan {
    public struct Report: Sendable {
        /// Every attachment found in our stores (orphans, live and unknown ones).
        public var attachments: [StoredAttachment] = []
        /// Entries not looked into, with the reason (`dataDir/name: why`).
        public var skipped: [String] = []

        public var orphans: [StoredAttachment] { attachments.filter(\.isOrphan) }
    }

    public static func scan(dataDir: String) -> Report {
        var report = Report()
        do {
            try IPAMConfig.validateDataDir(dataDir)
            guard let fd = try StoreDirectory.open(dataDir, create: false) else {
                report.skipped.append("\(dataDir): does not exist")
                return report
            }
            defer { close(fd) }
            for name in try StoreDirectory.entries(fd, display: dataDir).sorted() {
                let display = dataDir.hasSuffix("/") ? dataDir + name : dataDir + "/" + name
                var st = stat()
                guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                if st.st_mode & S_IFMT == S_IFLNK { report.skipped.append("\(display.cniEscaped): a symbolic link, not followed"); continue }
                guard st.st_mode & S_IFMT == S_IFDIR else { continue }
                guard (try? NetworkConfig.validateNetworkName(name)) != nil else {
                    report.skipped.append("\(display.cniEscaped): not a network name"); continue
                }
                guard let dir = try? StoreDirectory.openChild(fd, name, create: false, display: display) else {
                    report.skipped.append("\(display.cniEscaped): cannot be opened without following a link"); continue
                }
                let ours = IPAMStore.isOurs(directory: dir)
                close(dir)
                guard ours else { report.skipped.append("\(display.cniEscaped): not a vethkit-cni store (left alone)"); continue }
                do {
                    guard let store = try IPAMStore.existing(dataDir: dataDir, network: name) else { continue }
                    report.attachments += try store.withLock { try store.attachments(network: name) }
                } catch {
                    report.skipped.append("\(display.cniEscaped): \((error as? CNIError)?.msg ?? "\(error)")")
                }
            }
        } catch {
            report.skipped.append("\(dataDir.cniEscaped): \((error as? CNIError)?.msg ?? "\(error)")")
        }
        return report
    }

    /// What one removal did.
    public struct Removal: Sendable {
        public var addresses: [IPAddress]
        public var deletedVeth: String?
        public var removedMasquerade: Bool
    }

    /// Releases an orphan exactly as DEL would — masquerade chain, host veth (only a veth of the
    /// network's link group under the derived name), then the reservations — holding the store's
    /// lock throughout, after checking again under it that the reservation still belongs to the
    /// same attachment with the same record and that its namespace is still gone. Nil when that
    /// is no longer so (a DEL or a new ADD got there first): nothing is touched.
    public static func remove(_ orphan: StoredAttachment, dataDir: String) throws -> Removal? {
        guard orphan.isOrphan, let a = orphan.attachment, let expected = orphan.record else { return nil }
        guard let store = try IPAMStore.existing(dataDir: dataDir, network: orphan.network) else { return nil }
        return try store.withLock {
            guard let now = try store.attachments(network: orphan.network).first(where: { $0.attachment == a }),
                  now.record == expected, now.isOrphan else { return nil }
            var masq = false
            if NFTables.isAvailable {
                let owner = Naming.masqueradeOwner(network: orphan.network, a)
                if try step("list masquerade chains", { try Masquerade.owners() }).contains(owner) {
                    try step("remove masquerade") { try Masquerade.remove(owner: owner) }
                    masq = true
                }
            }
            let veth = try AttachmentRemoval.deleteHostVeth(network: orphan.network, a) ? Naming.hostVeth(network: orphan.network, a).rawValue : nil
            let released = try store.release(a)
            return Removal(addresses: released, deletedVeth: veth, removedMasquerade: masq)
        }
    }
}
