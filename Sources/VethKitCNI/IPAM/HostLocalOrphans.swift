import Glibc
import VethKit

/// One reservation of CNI's host-local IPAM: the file `<dataDir>/<network>/<address>` whose
/// content is the container id, then (host-local ≥ 0.8) `\r\n` and the interface name.
public struct HostLocalReservation: Sendable, Hashable {
    public var network: String
    /// The file name: the reserved address.
    public var address: String
    public var containerID: String
    public var ifname: String?
    /// The whole content read (removal checks it is still exactly this).
    public var content: [UInt8]
    public var ageSeconds: Int?
}

/// host-local reservations whose container no longer exists (docs/orphans.md): the id appears
/// nowhere in ``ContainerEvidence`` (no process's cgroup or command line, no namespace mount
/// path, no namespace owner) and the file is older than a minimum age. vethkit-cni's own stores
/// are left to ``OrphanScan``; nothing is read or removed through a symbolic link.
public enum HostLocalOrphans {
    /// The largest reservation file read (host-local's are under 100 bytes).
    public static let maximumFileSize = 4096

    public struct Report: Sendable {
        public var orphans: [HostLocalReservation] = []
        /// Reservations whose container is alive (or too young to judge).
        public var live = 0
        /// Entries not judged, with the reason.
        public var skipped: [String] = []
    }

    public static func scan(dataDir: String, evidence: ContainerEvidence, minimumAge: Double = 60) -> Report {
        var report = Report()
        let now = Int(time(nil))
        guard let root = try? StoreDirectory.open(dataDir, create: false) else { return report }
        defer { close(root) }
        for network in ((try? StoreDirectory.entries(root, display: dataDir)) ?? []).sorted() {
            let display = "\(dataDir)/\(network)".cniEscaped
            var st = stat()
            guard fstatat(root, network, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            guard (try? NetworkConfig.validateNetworkName(network)) != nil,
                  let dir = try? StoreDirectory.openChild(root, network, create: false, display: display) else { continue }
            defer { close(dir) }
            if IPAMStore.isOurs(directory: dir) { continue }
            for name in ((try? StoreDirectory.entries(dir, display: display)) ?? []).sorted() where IPAddress(name) != nil {
                switch read(dir, name) {
                case .failure(let why): report.skipped.append("\(display)/\(name.cniEscaped): \(why.description)")
                case .success(let (content, mtime)):
                    guard let (id, ifname) = parse(content) else {
                        report.skipped.append("\(display)/\(name.cniEscaped): not a container id (binary or malformed)"); continue
                    }
                    let age = max(0, now - mtime)
                    if evidence.mentions(id) || Double(age) < minimumAge { report.live += 1; continue }
                    report.orphans.append(HostLocalReservation(network: network, address: name, containerID: id, ifname: ifname, content: content, ageSeconds: age))
                }
            }
        }
        return report
    }

    /// What a removal did.
    public enum Removal: Sendable, Equatable {
        case removed
        case alreadyGone
        case notAnOrphan(String)
    }

    /// Removes the reservation file under host-local's lock (`flock` on the network's `lock`
    /// file, as host-local takes it), after checking under it that the file is still a regular
    /// file with exactly the content listed and that `evidence` (looked at again now) names its
    /// container nowhere.
    public static func remove(_ r: HostLocalReservation, dataDir: String, evidence: () -> ContainerEvidence, lockTimeout: Double = 5) -> Removal {
        guard let root = try? StoreDirectory.open(dataDir, create: false) else { return .alreadyGone }
        defer { close(root) }
        guard let dir = try? StoreDirectory.openChild(root, r.network, create: false, display: r.network) else { return .alreadyGone }
        defer { close(dir) }
        let lock = openat(dir, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard lock >= 0 else { return .notAnOrphan("cannot open its store's lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        let deadline = monotonicSeconds() + lockTimeout
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            if monotonicSeconds() >= deadline { return .notAnOrphan("its store's lock is held (busy)") }
            usleep(10_000)
        }
        defer { flock(lock, LOCK_UN) }
        switch read(dir, r.address) {
        case .failure(let why): return why.description == "gone" ? .alreadyGone : .notAnOrphan(why.description)
        case .success(let (content, _)):
            guard content == r.content else { return .notAnOrphan("its content changed") }
        }
        if evidence().mentions(r.containerID) { return .notAnOrphan("container \(r.containerID) is alive") }
        if unlinkat(dir, r.address, 0) != 0 { return errno == ENOENT ? .alreadyGone : .notAnOrphan("unlink: \(String(cString: strerror(errno)))") }
        return .removed
    }

    /// The content and mtime of a reservation file: a regular file, no larger than the maximum.
    static func read(_ dir: Int32, _ name: String) -> Result<([UInt8], Int), Why> {
        let fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Why(errno == ENOENT ? "gone" : errno == ELOOP ? "a symbolic link, not followed" : String(cString: strerror(errno)))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return .failure(Why("not a regular file")) }
        guard st.st_size <= maximumFileSize else { return .failure(Why("too large (\(st.st_size) bytes)")) }
        guard let b = try? BoundedRead.all(fd, limit: maximumFileSize) else { return .failure(Why("too large or unreadable")) }
        return .success((b, Int(st.st_mtim.tv_sec)))
    }

    struct Why: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Container id and interface name from a reservation's content; nil unless the id is 1…256
    /// bytes of letters, digits, `_`, `.`, `-` (the CNI spec's CNI_CONTAINERID) and the rest is text.
    static func parse(_ content: [UInt8]) -> (String, String?)? {
        let lines = content.split(separator: 0x0a, omittingEmptySubsequences: false).map { $0.last == 0x0d ? $0.dropLast() : $0 }
        guard let first = lines.first, !first.isEmpty, first.count <= 256,
              first.allSatisfy({ $0.isAlnum || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else { return nil }
        var ifname: String?
        if lines.count > 1, !lines[1].isEmpty {
            guard lines[1].count <= 15, lines[1].allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") }) else { return nil }
            ifname = String(decoding: lines[1], as: UTF8.self)
        }
        guard lines.dropFirst(2).allSatisfy(\.isEmpty) else { return nil }
        return (String(decoding: first, as: UTF8.self), ifname)
    }
}
