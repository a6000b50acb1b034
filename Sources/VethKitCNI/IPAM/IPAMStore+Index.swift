import Glibc
import VethKit

/// Finding an attachment's reservations without reading every file: ADD must refuse a second ADD
/// of the same attachment, and reading all N reservation files per ADD (as host-local does) would
/// cost ~6 µs per container in the store. Instead each attachment that may hold a reservation has
/// an empty marker `.a-<16 hex of FNV-1a(container id, ifname)>`, created *before* its first
/// reservation and removed only when no remaining reservation's owner has that hash. So: no marker
/// ⇒ certainly no reservation (one `fstatat`); a marker ⇒ read the store to be sure (a hash
/// collision or a crash between marker and reservation only costs that read). A store that
/// predates the markers (no `attachment_index` file) is indexed once, under the lock.
extension IPAMStore {
    static let indexFile = "attachment_index"

    static func markerName(_ a: NetworkConfig.Attachment) -> String {
        ".a-" + Naming.hex(Naming.fnv([a.containerID, a.ifname]), digits: 16)
    }

    private func exists(_ name: String) -> Bool {
        var st = stat()
        return fstatat(directoryFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0
    }

    /// The addresses `a` holds, reading the store only when its marker exists. Call under the lock.
    func addressesIfMarked(_ a: NetworkConfig.Attachment) throws -> [IPAddress] {
        try ensureIndex()
        return exists(IPAMStore.markerName(a)) ? try addresses(of: a) : []
    }

    /// DEL's release: in an indexed store an attachment without a marker holds no reservation of
    /// ours, so nothing is read (a second DEL, a DEL after a refused ADD: one `fstatat` each
    /// instead of reading every reservation). Call under the lock.
    func releaseIfMarked(_ a: NetworkConfig.Attachment) throws -> [IPAddress] {
        if exists(IPAMStore.indexFile) && !exists(IPAMStore.markerName(a)) { return [] }
        return try release(a)
    }

    /// Creates `a`'s marker (before reserving for it), holding `record` when given (replaced
    /// atomically with `renameat`, never written through). Call under the lock.
    func mark(_ a: NetworkConfig.Attachment, record: NetnsRecord? = nil) throws {
        if let record {
            try replaceFile(IPAMStore.markerName(a), record.bytes, sync: false)
        } else {
            try createMarker(IPAMStore.markerName(a))
        }
    }

    /// The netns record ADD wrote for `a` (nil: none, unreadable, not ours, or another attachment's).
    public func record(of a: NetworkConfig.Attachment) -> NetnsRecord? {
        guard let r = NetnsRecord.parse(readFile(IPAMStore.markerName(a), max: NetnsRecord.maxBytes)), r.attachment == a else { return nil }
        return r
    }

    private func createMarker(_ name: String) throws {
        let fd = openat(directoryFD, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd); return }
        // Anything already under that name (even a planted symlink) marks it as well.
        if errno == ELOOP || errno == EEXIST { return }
        throw IPAMStore.ioError("create \(directory)/\(name)")
    }

    /// Removes the markers no remaining reservation needs. `names`: the directory's entries;
    /// `owners`: the owners of the reservations that remain.
    func dropMarkers(names: [String], remaining owners: [NetworkConfig.Attachment?]) {
        let needed = Set(owners.compactMap { $0.map(IPAMStore.markerName) })
        for n in names where n.hasPrefix(".a-") && !needed.contains(n) { unlinkat(directoryFD, n, 0) }
    }

    /// Indexes a store made before the markers existed (or by host-local): one marker per owner.
    private func ensureIndex() throws {
        if exists(IPAMStore.indexFile) { return }
        for case let (_, owner?) in try reservations() { try mark(owner) }
        try createMarker(IPAMStore.indexFile)
        fsync(directoryFD)
    }
}
