import Glibc
import VethKit

/// One attachment's reservations in a network's store, with what is known of its network
/// namespace (STATUS counts the orphans; `vethctl orphans` lists and removes them).
public struct StoredAttachment: Sendable {
    public var network: String
    /// Nil: the reservation file could not be read as `id\r\nifname` (garbage, a symlink, a FIFO).
    public var attachment: NetworkConfig.Attachment?
    public var addresses: [IPAddress]
    /// What ADD recorded (nil: an older vethkit-cni, host-local, or unreadable).
    public var record: NetnsRecord?
    public var liveness: NetnsRecord.Liveness
    /// When the oldest of its reservation files was written (seconds since the epoch).
    public var reservedAt: Int?

    /// The namespace ADD recorded is gone: a runtime never sent DEL.
    public var isOrphan: Bool { if case .gone = liveness { return true }; return false }
}

extension IPAMStore {
    /// The store's reservations grouped by attachment, each with its netns record and liveness.
    /// Call under the lock.
    public func attachments(network: String) throws -> [StoredAttachment] {
        var byOwner: [NetworkConfig.Attachment: StoredAttachment] = [:]
        var order: [NetworkConfig.Attachment] = []
        var unreadable: [StoredAttachment] = []
        for (ip, owner) in try reservations().sorted(by: { $0.0 < $1.0 }) {
            let written = modificationTime(ip.description)
            guard let owner else {
                unreadable.append(StoredAttachment(network: network, attachment: nil, addresses: [ip], record: nil,
                                                   liveness: .unknown("the reservation file is not readable as container id and ifname"),
                                                   reservedAt: written))
                continue
            }
            if var s = byOwner[owner] {
                s.addresses.append(ip)
                if let w = written { s.reservedAt = min(s.reservedAt ?? w, w) }
                byOwner[owner] = s
                continue
            }
            let record = record(of: owner)
            byOwner[owner] = StoredAttachment(network: network, attachment: owner, addresses: [ip], record: record,
                                              liveness: record?.liveness ?? .unknown("no netns record (reserved by an older vethkit-cni or by another plugin)"),
                                              reservedAt: written)
            order.append(owner)
        }
        return order.compactMap { byOwner[$0] } + unreadable
    }

    /// The mtime of a store file (nil when it cannot be read); never follows a symlink.
    func modificationTime(_ name: String) -> Int? {
        var st = stat()
        return fstatat(directoryFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? Int(st.st_mtim.tv_sec) : nil
    }

    /// True when vethkit-cni has written into this store (`attachment_index` or `boot_id`): a
    /// directory with neither is another plugin's (host-local's), and `vethctl orphans` leaves it alone.
    static func isOurs(directory fd: Int32) -> Bool {
        var st = stat()
        return fstatat(fd, IPAMStore.indexFile, &st, AT_SYMLINK_NOFOLLOW) == 0 || fstatat(fd, "boot_id", &st, AT_SYMLINK_NOFOLLOW) == 0
    }
}
