import CLinuxUAPI
import Glibc

extension NamespaceOrphans {
    /// A removal that was stopped (killed) between unmounting an orphan's namespace and unlinking
    /// its mount point file: the namespace is gone, an empty file is left at a runtime's place.
    /// Each removal writes a record under ``Options/journalDirectory`` before it unmounts and
    /// deletes it after the unlink; a record that outlives its run is one of these.
    public struct InterruptedRemoval: Sendable, Hashable {
        /// The mount point file left behind.
        public var path: String
        /// When the removal began (the record's time), seconds since the epoch.
        public var since: Int
    }

    /// The journal record a removal of `path` writes: ``Options/journalDirectory``/NAME, where
    /// NAME is ``journalName(_:)``, holding the path.
    public static func journalRecord(for path: String, options: Options = .init()) -> String {
        "\(options.journalDirectory)/\(journalName(path))"
    }

    /// The journal record's name for `path`: FNV-1a of the path in hex (a path may be longer
    /// than a file name can be; the record holds the path itself).
    static func journalName(_ path: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in path.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Writes the record for `path` (written whole, then renamed into place). False when the
    /// journal cannot be written: the removal then does not start.
    static func recordRemoval(_ path: String, options: Options) -> Bool {
        mkdir(options.journalDirectory, 0o700)
        let name = journalName(path)
        let temp = "\(options.journalDirectory)/.\(name).\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        let bytes = Array(path.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temp, "\(options.journalDirectory)/\(name)") == 0 else {
            unlink(temp)
            return false
        }
        return true
    }

    /// Deletes the record for `path` (its removal finished, or did not start).
    static func clearRecord(_ path: String, options: Options) {
        unlink("\(options.journalDirectory)/\(journalName(path))")
    }

    /// The records left by removals that did not finish, each checked: the path is a runtime's
    /// place, through no symbolic link, and holds an empty regular file that is no mount point
    /// and is older than the record (a file made there since is someone else's). A record whose
    /// path holds nothing, or something else for over an hour, is deleted; one of a removal in
    /// progress (its path still mounted) is left to it. No file is touched here.
    public static func interruptedRemovals(options: Options = .init()) -> [InterruptedRemoval] {
        guard let dir = opendir(options.journalDirectory) else { return [] }
        defer { closedir(dir) }
        var out: [InterruptedRemoval] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.utf8.count == 16, name.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { continue }
            let recordPath = "\(options.journalDirectory)/\(name)"
            let fd = open(recordPath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var st = stat()
            let isFile = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
            let bytes = isFile ? (try? BoundedRead.all(fd, limit: Int(PATH_MAX))) : nil
            close(fd)
            guard let bytes, let path = String(validating: bytes, as: UTF8.self), journalName(path) == name else {
                unlink(recordPath)   // not a record this code wrote
                continue
            }
            if let (d, _) = leftFile(path, olderThan: st.st_mtim) {
                close(d)
                out.append(InterruptedRemoval(path: path, since: Int(st.st_mtim.tv_sec)))
            } else if access(path, F_OK) != 0 && errno == ENOENT || time(nil) - st.st_mtim.tv_sec > 3600 {
                // Nothing there, or for an hour something else: a record of another run in
                // progress (its path still mounted) is younger and stays.
                unlink(recordPath)
            }
        }
        return out.sorted { $0.path < $1.path }
    }

    /// Unlinks the file an interrupted removal left, after checking it again as
    /// ``interruptedRemovals(options:)`` does, and deletes the record.
    public static func finish(_ r: InterruptedRemoval, options: Options = .init()) -> Removal {
        defer { clearRecord(r.path, options: options) }
        var recorded = stat()
        guard stat("\(options.journalDirectory)/\(journalName(r.path))", &recorded) == 0 else { return .alreadyGone(r.path) }
        guard let (dir, name) = leftFile(r.path, olderThan: recorded.st_mtim) else { return .alreadyGone(r.path) }
        defer { close(dir) }
        if unlinkat(dir, name, 0) != 0 && errno != ENOENT {
            return .notAnOrphan(r.path, why: "unlink: \(String(cString: strerror(errno)))")
        }
        return .removed(r.path)
    }

    /// The directory (open, the caller closes it) and name of `path` when it is an interrupted
    /// removal's file: a runtime's place reached through no symbolic link, an empty regular file
    /// on the directory's own file system (no mount on it), changed no later than `time`.
    static func leftFile(_ path: String, olderThan time: timespec) -> (Int32, String)? {
        guard case .runtime(_, let name) = RuntimeNamespacePaths.classify(path) else { return nil }
        guard case .success(let dir) = openDirectoryNoFollow(of: path) else { return nil }
        var d = stat(), f = stat()
        guard fstat(dir, &d) == 0, fstatat(dir, name, &f, AT_SYMLINK_NOFOLLOW) == 0,
              (f.st_mode & S_IFMT) == S_IFREG, f.st_size == 0, f.st_dev == d.st_dev,
              (f.st_ctim.tv_sec, f.st_ctim.tv_nsec) <= (time.tv_sec, time.tv_nsec),
              !callersNamespaceMounts().contains(where: { $0.path == path }) else {
            close(dir)
            return nil
        }
        return (dir, name)
    }
}
