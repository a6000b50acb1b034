import Glibc
import VethKit

/// The built-in IPAM's on-disk store: one directory per network under `dataDir`, one file per
/// reserved address (named by the address, holding `containerID\r\nifname`, the layout
/// host-local uses), a `lock` file taken with `flock(LOCK_EX)` around every change so
/// concurrent plugin processes serialise, and `last_reserved_ip.N` hints.
///
/// Crash safety: a reservation is written to a temporary file, fsync'ed, then `link(2)`ed to its
/// final name — link fails with EEXIST when the address is taken, so the final file appears
/// atomically, complete, and never overwrites another reservation. Temporary files left by a
/// crash are removed by the next lock holder (only lock holders write them).
public final class IPAMStore {
    public let directory: String
    private let lockFD: Int32
    private var locked = false

    /// Opens `dataDir/network`, creating it as needed; with `create: false` a missing store
    /// throws ``Missing`` instead (DEL, GC, CHECK, STATUS create nothing).
    public init(dataDir: String, network: String, create: Bool = true) throws {
        try NetworkConfig.validateNetworkName(network)
        directory = dataDir.hasSuffix("/") ? dataDir + network : dataDir + "/" + network
        if create {
            try IPAMStore.makeDirectories(dataDir)
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw IPAMStore.ioError("mkdir \(directory)")
            }
        } else if access(directory, F_OK) != 0 {
            throw Missing()
        }
        let fd = open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw IPAMStore.ioError("open \(directory)/lock") }
        lockFD = fd
    }

    deinit { close(lockFD) }

    /// The store does not exist (nothing was ever reserved in it).
    public struct Missing: Error {}

    static func ioError(_ what: String, _ e: Int32 = errno) -> CNIError {
        CNIError(.ioFailure, "IPAM store: \(what) failed", details: String(cString: strerror(e)))
    }

    static func makeDirectories(_ path: String) throws {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw ioError("mkdir \(prefix)") }
        }
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

    private func path(_ ip: IPAddress) -> String { directory + "/" + ip.description }

    /// Reserves `ip` for the attachment; false when it is already taken. Call under the lock.
    public func reserve(_ ip: IPAddress, for a: NetworkConfig.Attachment) throws -> Bool {
        let tmp = directory + "/.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw IPAMStore.ioError("create \(tmp)") }
        defer { unlink(tmp) }
        let content = Array("\(a.containerID)\r\n\(a.ifname)".utf8)
        let ok = content.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == content.count
        let synced = ok && fsync(fd) == 0
        let e = errno
        close(fd)
        if !synced { throw IPAMStore.ioError("write \(tmp)", e) }
        if link(tmp, path(ip)) != 0 {
            if errno == EEXIST { return false }
            throw IPAMStore.ioError("link \(path(ip))")
        }
        syncDirectory()
        return true
    }

    /// The attachment holding `ip`, if any.
    public func owner(of ip: IPAddress) -> NetworkConfig.Attachment? {
        IPAMStore.parse(readFile(path(ip)))
    }

    /// Every reservation in the store.
    public func reservations() throws -> [(IPAddress, NetworkConfig.Attachment?)] {
        try entries().compactMap { name in
            guard let ip = IPAddress(name) else { return nil }
            return (ip, IPAMStore.parse(readFile(directory + "/" + name)))
        }
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

    private func remove(where match: (NetworkConfig.Attachment?) -> Bool) throws -> [IPAddress] {
        var out: [IPAddress] = []
        for (ip, owner) in try reservations() where match(owner) {
            if unlink(path(ip)) == 0 || errno == ENOENT { out.append(ip) } else { throw IPAMStore.ioError("unlink \(path(ip))") }
        }
        if !out.isEmpty { syncDirectory() }
        return out
    }

    /// The hint of range set `index`: the address handed out last.
    public func lastReserved(set index: Int) -> IPAddress? {
        IPAddress(String(decoding: readFile(directory + "/last_reserved_ip.\(index)"), as: UTF8.self))
    }

    public func setLastReserved(_ ip: IPAddress, set index: Int) {
        let p = directory + "/last_reserved_ip.\(index)"
        let fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let b = Array(ip.description.utf8)
        _ = b.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    static func parse(_ bytes: [UInt8]) -> NetworkConfig.Attachment? {
        let s = String(decoding: bytes, as: UTF8.self)
        let lines = s.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard lines.count == 2, !lines[0].isEmpty else { return nil }
        return .init(containerID: String(lines[0]), ifname: String(lines[1]))
    }

    private func readFile(_ p: String) -> [UInt8] {
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1200)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return n > 0 ? Array(buf[0..<n]) : []
    }

    /// Names in the directory (not `.`/`..`).
    func entries() throws -> [String] {
        guard let d = opendir(directory) else { throw IPAMStore.ioError("opendir \(directory)") }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }

    private func removeTemporaries() {
        for n in (try? entries()) ?? [] where n.hasPrefix(".tmp-") { unlink(directory + "/" + n) }
    }

    private func syncDirectory() {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
