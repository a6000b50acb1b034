import Glibc
import VethKit

/// What a topology must remember outside the kernel, under /run/vethkit/<topology>/ (the same
/// tmpfs as the lock; gone at reboot, like everything it describes):
/// - `sysctls`: the value a host sysctl had before `up` first changed it (`down`, or removing the
///   key from the file, writes it back);
/// - `addresses`: on kernels that drop IFA_PROTO (before 6.3), the addresses vethkit added, one
///   `node interface CIDR` per line — the mark that survives a crash where the kernel keeps none;
/// - `cuts`: what the root qdisc of each end `vethctl cut` cut held before (Cut.swift).
///
/// Each file is rewritten whole (temporary file, fsync, rename), before the change it records
/// is made; files are opened without following symlinks, in a directory that must be a real one.
struct TopologyRecords {
    let topology: String
    var directory: String { "\(TopologyLock.directory)/\(topology)" }

    init(_ topology: String) { self.topology = topology }

    /// One host sysctl `up` changed: the value before the first change, and the value it wrote
    /// (restoring is skipped when the value is no longer the one vethkit wrote: someone changed it since).
    struct SysctlRecord: Equatable, Sendable {
        var old: String
        var set: String
    }

    /// Host sysctls changed by `up`: key → record. One `key<TAB>old<TAB>set` line each (values may hold spaces, never tabs or newlines).
    func sysctls() throws -> [String: SysctlRecord] {
        var out: [String: SysctlRecord] = [:]
        for line in try lines("sysctls") {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            if parts.count == 3 { out[String(parts[0])] = SysctlRecord(old: String(parts[1]), set: String(parts[2])) }
        }
        return out
    }

    func writeSysctls(_ s: [String: SysctlRecord]) throws {
        try write("sysctls", s.keys.sorted().map { "\($0)\t\(s[$0]!.old)\t\(s[$0]!.set)" })
    }

    /// One address vethkit added, for kernels without IFA_PROTO.
    struct AddressRecord: Hashable {
        var node: String
        var interface: String
        var address: IPNetwork
    }

    func addresses() throws -> Set<AddressRecord> {
        var out = Set<AddressRecord>()
        for line in try lines("addresses") {
            let p = line.split(separator: " ")
            if p.count == 3, let a = try? IPNetwork(String(p[2])) { out.insert(AddressRecord(node: String(p[0]), interface: String(p[1]), address: a)) }
        }
        return out
    }

    func writeAddresses(_ s: Set<AddressRecord>) throws {
        try write("addresses", s.map { "\($0.node) \($0.interface) \($0.address)" }.sorted())
    }

    /// True when the directory exists (something is recorded).
    var exists: Bool {
        var st = stat()
        return lstat(directory, &st) == 0
    }

    /// Removes every record (after `down`).
    func removeAll() {
        for f in ["sysctls", "addresses", "cuts", "sysctls.tmp", "addresses.tmp", "cuts.tmp"] { unlink("\(directory)/\(f)") }
        rmdir(directory)
    }

    // MARK: files

    func lines(_ file: String) throws -> [String] {
        let path = "\(directory)/\(file)"
        var st = stat()
        if lstat(directory, &st) != 0 { return [] }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw InvalidInput("record directory", directory, "is not a directory") }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return [] }
            throw SystemCallError("open \(path)")
        }
        defer { close(fd) }
        let data: [UInt8]
        do { data = try BoundedRead.all(fd, limit: 16 << 20) } catch is BoundedRead.TooLarge {
            throw InvalidInput("record file", path, "is larger than 16 MiB")
        } catch let e as SystemCallError {
            throw SystemCallError("read \(path)", e.errno)
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func write(_ file: String, _ lines: [String]) throws {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw SystemCallError("mkdir \(directory)") }
        var st = stat()
        guard lstat(directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw InvalidInput("record directory", directory, "is not a directory")
        }
        let path = "\(directory)/\(file)"
        let tmp = path + ".tmp"
        unlink(tmp)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemCallError("create \(tmp)") }
        let bytes = Array(lines.map { $0 + "\n" }.joined().utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n <= 0 { close(fd); unlink(tmp); throw SystemCallError("write \(tmp)") }
            off += n
        }
        if fsync(fd) != 0 { close(fd); unlink(tmp); throw SystemCallError("fsync \(tmp)") }
        close(fd)
        if rename(tmp, path) != 0 { unlink(tmp); throw SystemCallError("rename \(tmp)") }
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}

/// Which mark `up` puts on the addresses it adds.
enum AddressMarking: Sendable, Equatable {
    /// IFA_PROTO ``Ownership/addressProtocol`` (the kernel keeps it: ≥ 6.3).
    case kernel
    /// A record in ``TopologyRecords`` (the kernel drops IFA_PROTO), written before the add.
    case records

    /// The test hook: `VETHKIT_ADDRESS_MARK=records` forces the records path on any kernel (and
    /// sends no IFA_PROTO, as a kernel before 6.3 would drop it), so the fallback can be tested here.
    static var forced: AddressMarking? {
        getenv("VETHKIT_ADDRESS_MARK").map { String(cString: $0) } == "records" ? .records : nil
    }

    /// Detected from a dump: a kernel that keeps IFA_PROTO reports the protocol it sets itself on
    /// lo's ::1 (IFAPROT_KERNEL_LO) and IPv6 link-local addresses (IFAPROT_KERNEL_LL). When no
    /// address of the dump carries one (IPv6 off), records are used: they work on every kernel.
    static func detect(from addresses: [Address]) -> AddressMarking {
        if let forced { return forced }
        return addresses.contains { $0.protocol != .unspecified } ? .kernel : .records
    }
}
