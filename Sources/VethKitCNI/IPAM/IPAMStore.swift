import Glibc
import VethKit

/// The built-in IPAM's on-disk store: one directory per network under `dataDir`, one file per
/// reserved address (named by the address, holding `containerID\r\nifname`, the layout
/// host-local uses), a `lock` file taken with `flock(LOCK_EX)` around every change so
/// concurrent plugin processes serialise, `last_reserved_ip.N` hints and `boot_id`.
///
/// Crash safety: a reservation is written to a temporary file, then `link(2)`ed to its final
/// name — link fails with EEXIST when the address is taken, so the final file appears
/// atomically, complete, and never overwrites another reservation. Temporary files left by a
/// crash are removed by the next lock holder (only lock holders write them). Reservations are
/// not fsync'ed: they need only outlive the process (the page cache does that); a power loss is
/// a reboot, after which ``BootID`` drops them all anyway. `boot_id` itself is fsync'ed.
///
/// Confinement: the directory is opened component by component without following symbolic links
/// (``StoreDirectory``) and every file operation is relative to its descriptor with
/// `O_NOFOLLOW` (or `linkat`/`unlinkat`/`renameat`, which never follow): a symlink planted at
/// dataDir, dataDir/NETWORK, the lock or a reservation never leads outside dataDir/NETWORK.
public final class IPAMStore {
    /// dataDir/NETWORK, for messages.
    public let directory: String
    private let dirFD: Int32
    /// The store directory's descriptor (every file operation is relative to it).
    var directoryFD: Int32 { dirFD }
    private let lockFD: Int32
    private var locked = false
    /// The file holding the current boot id (``BootID``).
    let bootIDFile: String

    /// Opens `dataDir/network`, creating it as needed; with `create: false` a missing store
    /// throws ``Missing`` instead (DEL, GC, CHECK, STATUS create nothing).
    public init(dataDir: String, network: String, create: Bool = true, bootIDFile: String = BootID.systemFile) throws {
        try NetworkConfig.validateNetworkName(network)
        directory = dataDir.hasSuffix("/") ? dataDir + network : dataDir + "/" + network
        self.bootIDFile = bootIDFile
        guard let parent = try StoreDirectory.open(dataDir, create: create) else { throw Missing() }
        defer { close(parent) }
        guard let dir = try StoreDirectory.openChild(parent, network, create: create, display: directory) else { throw Missing() }
        let fd = openat(dir, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        if fd < 0 {
            let e = errno
            close(dir)
            if e == ELOOP { throw StoreDirectory.refused(directory + "/lock", e) }
            throw IPAMStore.ioError("open \(directory)/lock", e)
        }
        dirFD = dir
        lockFD = fd
    }

    /// The store if it exists (nil: nothing was ever reserved in it).
    public static func existing(dataDir: String, network: String, bootIDFile: String = BootID.systemFile) throws -> IPAMStore? {
        do { return try IPAMStore(dataDir: dataDir, network: network, create: false, bootIDFile: bootIDFile) } catch is Missing { return nil }
    }

    deinit {
        close(lockFD)
        close(dirFD)
    }

    /// The store does not exist (nothing was ever reserved in it).
    public struct Missing: Error {}

    static func ioError(_ what: String, _ e: Int32 = errno) -> CNIError {
        CNIError(.ioFailure, "IPAM store: \(what.cniEscaped) failed", details: String(cString: strerror(e)))
    }

    /// Runs `body` holding the store's exclusive lock (re-entrant within this object).
    public func withLock<T>(_ body: () throws -> T) throws -> T {
        if locked { return try body() }
        while flock(lockFD, LOCK_EX) != 0 {
            if errno != EINTR { throw IPAMStore.ioError("flock \(directory)/lock") }
        }
        locked = true
        defer {
            locked = false
            flock(lockFD, LOCK_UN)
        }
        removeTemporaries()
        return try body()
    }

    /// Reserves `ip` for the attachment; false when it is already taken. Call under the lock.
    public func reserve(_ ip: IPAddress, for a: NetworkConfig.Attachment) throws -> Bool {
        // No fsync (of the file or the directory): a reservation only has to outlive the plugin
        // process, which the page cache guarantees; what only fsync would save (a power loss or
        // kernel crash) is a reboot, after which every reservation is dropped anyway (BootID).
        let tmp = try writeTemporary(Array("\(a.containerID)\r\n\(a.ifname)".utf8), sync: false)
        defer { unlinkat(dirFD, tmp, 0) }
        // linkat without AT_SYMLINK_FOLLOW never follows; EEXIST: the address is taken
        // (by a reservation or by anything else that has its name, a planted symlink included).
        if linkat(dirFD, tmp, dirFD, ip.description, 0) != 0 {
            if errno == EEXIST { return false }
            throw IPAMStore.ioError("link \(directory)/\(ip)")
        }
        return true
    }

    /// The attachment holding `ip`, if any.
    public func owner(of ip: IPAddress) -> NetworkConfig.Attachment? {
        IPAMStore.parse(readFile(ip.description))
    }

    /// Every reservation in the store (the owner is nil when the file is unreadable or no regular file).
    public func reservations() throws -> [(IPAddress, NetworkConfig.Attachment?)] {
        try entries().compactMap { name in
            guard let ip = IPAddress(name) else { return nil }
            return (ip, IPAMStore.parse(readFile(name)))
        }
    }

    /// The addresses held by one attachment.
    public func addresses(of a: NetworkConfig.Attachment) throws -> [IPAddress] {
        try reservations().filter { $0.1 == a }.map(\.0)
    }

    /// Removes the reservations of one attachment; returns the addresses released. Call under the lock.
    @discardableResult
    public func release(_ a: NetworkConfig.Attachment) throws -> [IPAddress] {
        try remove { $0 == a }
    }

    /// Removes every reservation whose attachment is not in `keep`. Call under the lock.
    @discardableResult
    public func collectGarbage(keep: Set<NetworkConfig.Attachment>) throws -> [IPAddress] {
        try remove { $0 == nil || !keep.contains($0!) }
    }

    /// Removes every reservation. Call under the lock.
    @discardableResult
    func removeAll() throws -> [IPAddress] { try remove { _ in true } }

    private func remove(where match: (NetworkConfig.Attachment?) -> Bool) throws -> [IPAddress] {
        var out: [IPAddress] = []
        var remaining: [NetworkConfig.Attachment?] = []
        let names = try entries()
        for name in names {
            guard let ip = IPAddress(name) else { continue }
            let owner = IPAMStore.parse(readFile(name))
            guard match(owner) else { remaining.append(owner); continue }
            // unlinkat removes the name itself (a symlink, never its target).
            if unlinkat(dirFD, name, 0) == 0 || errno == ENOENT { out.append(ip) } else {
                throw IPAMStore.ioError("unlink \(directory)/\(ip)")
            }
        }
        // Markers go only after the reservations they stand for (IPAMStore+Index).
        dropMarkers(names: names, remaining: remaining)
        return out
    }

    /// The hint of range set `index`: the address handed out last.
    public func lastReserved(set index: Int) -> IPAddress? {
        IPAddress(String(decoding: readFile("last_reserved_ip.\(index)"), as: UTF8.self))
    }

    /// A hint only: failures are ignored (the next allocation starts at the range's beginning).
    public func setLastReserved(_ ip: IPAddress, set index: Int) {
        try? replaceFile("last_reserved_ip.\(index)", Array(ip.description.utf8), sync: false)
    }

    /// The content of the store file `name` (empty when absent, unreadable or a symlink).
    /// At most `max` bytes are read (a huge file costs no more than that).
    func readFile(_ name: String, max: Int = 1200) -> [UInt8] {
        // O_NONBLOCK: a FIFO planted under a reservation's name never blocks the plugin.
        let fd = openat(dirFD, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: max)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return n > 0 ? Array(buf[0..<n]) : []
    }

    /// Writes `bytes` to a new temporary file in the store; returns its name. Call under the lock.
    private func writeTemporary(_ bytes: [UInt8], sync: Bool) throws -> String {
        let tmp = ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = openat(dirFD, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 { throw IPAMStore.ioError("create \(directory)/\(tmp)") }
        let ok = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
        let synced = ok && (!sync || fsync(fd) == 0)
        let e = errno
        close(fd)
        if !synced {
            unlinkat(dirFD, tmp, 0)
            throw IPAMStore.ioError("write \(directory)/\(tmp)", e)
        }
        return tmp
    }

    /// Replaces the store file `name` atomically (renameat replaces a symlink itself, never its target).
    func replaceFile(_ name: String, _ bytes: [UInt8], sync: Bool) throws {
        let tmp = try writeTemporary(bytes, sync: sync)
        if renameat(dirFD, tmp, dirFD, name) != 0 {
            let e = errno
            unlinkat(dirFD, tmp, 0)
            throw IPAMStore.ioError("rename to \(directory)/\(name)", e)
        }
        if sync { fsync(dirFD) }
    }

    static func parse(_ bytes: [UInt8]) -> NetworkConfig.Attachment? {
        let s = String(decoding: bytes, as: UTF8.self)
        let lines = s.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard lines.count == 2, !lines[0].isEmpty else { return nil }
        return .init(containerID: String(lines[0]), ifname: String(lines[1]))
    }

    /// Names in the directory (not `.`/`..`).
    func entries() throws -> [String] { try StoreDirectory.entries(dirFD, display: directory) }

    private func removeTemporaries() {
        for n in (try? entries()) ?? [] where n.hasPrefix(".tmp-") { unlinkat(dirFD, n, 0) }
    }
}
