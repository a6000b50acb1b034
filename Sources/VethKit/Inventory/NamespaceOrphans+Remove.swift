import CLinuxUAPI
import Glibc
import SystemPackage

extension NamespaceOrphans {
    /// What removing one mount of an orphan did.
    public enum Removal: Sendable, Equatable {
        /// Unmounted (MNT_DETACH) and its mount point file unlinked.
        case removed(String)
        /// Nothing there any more (someone else, or its runtime, removed it first).
        case alreadyGone(String)
        /// Still there but no longer the orphan it was (another namespace at that path, a
        /// symbolic link, a process back in it or holding it, a new mount elsewhere): left alone.
        case notAnOrphan(String, why: String)
        /// Mounted only in another mount namespace: reported, not removed.
        case otherMountNamespace(String, viaPID: Int32)
    }

    /// Removes the orphan's mounts in the caller's mount namespace, each after checking again,
    /// right before acting, that the path still holds the same namespace through no symbolic
    /// link, that no process is in it or holds it open, that no process names the mount, and
    /// that the caller's mount namespace mounts it nowhere but at runtimes' places. The last
    /// mount gone, the kernel destroys the namespace and its veths (both ends) asynchronously.
    public static func remove(_ orphan: NamespaceOrphan, options: Options = .init()) -> [Removal] {
        var out: [Removal] = []
        for m in orphan.mounts {
            guard m.isInCallersMountNamespace else { out.append(.otherMountNamespace(m.path, viaPID: m.viaPID)); continue }
            out.append(removeMount(m.path, id: orphan.id, options: options))
        }
        return out
    }

    static func removeMount(_ path: String, id: NamespaceID, options: Options) -> Removal {
        guard case .runtime(_, let name) = RuntimeNamespacePaths.classify(path) else { return .notAnOrphan(path, why: "not a runtime's place") }
        // The directory, walked without following any symbolic link.
        let dir: Int32
        switch openDirectoryNoFollow(of: path) {
        case .success(let d): dir = d
        case .failure(let e):
            return e.rawValue == ENOENT ? .alreadyGone(path) : .notAnOrphan(path, why: "its directory is a symbolic link or unreadable (\(e.message))")
        }
        defer { close(dir) }
        // Same namespace at that name (and a mount of one: only nsfs mounts are nsfs files).
        let fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT { return .alreadyGone(path) }
            return .notAnOrphan(path, why: e == ELOOP ? "a symbolic link now" : String(cString: strerror(e)))
        }
        var st = stat()
        let same = fstat(fd, &st) == 0 && NamespaceID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) == id
            && ioctl(fd, nsGetNSType) == Int32(CLONE_NEWNET)
        close(fd)
        guard same else {
            if (st.st_mode & S_IFMT) == S_IFREG && st.st_size == 0 { return .alreadyGone(path) }   // unmounted, file not yet unlinked
            return .notAnOrphan(path, why: "another object is there now")
        }
        // No process in it or holding it; no process naming it; no other mount of it here.
        if let p = NamespaceHolders.find(id, procRoot: options.procRoot).first {
            return .notAnOrphan(path, why: "process \(p.pid) (\(p.command)) \(p.hold == .member ? "is in it" : "holds it")")
        }
        if ContainerEvidence.collect(procRoot: options.procRoot).mentions(name) { return .notAnOrphan(path, why: "a process names \(name)") }
        for other in callersMounts(of: id) where other != path {
            if case .runtime = RuntimeNamespacePaths.classify(other) { continue }
            return .notAnOrphan(path, why: "also mounted at \(other)")
        }
        // Through the directory just checked (its /proc/self/fd path, never the text again).
        let at = "/proc/self/fd/\(dir)/\(name)"
        // Killed between the unmount and the unlink, a run would leave an empty file at the
        // runtime's place: the journal record lets the next run finish it.
        guard recordRemoval(path, options: options) else {
            return .notAnOrphan(path, why: "the removal journal \(options.journalDirectory) cannot be written (\(String(cString: strerror(errno))))")
        }
        defer { clearRecord(path, options: options) }
        if umount2(at, Int32(MNT_DETACH) | Int32(UMOUNT_NOFOLLOW)) != 0 {
            let e = errno
            if e == ENOENT || e == EINVAL { return .alreadyGone(path) }   // EINVAL: no longer a mount point
            return .notAnOrphan(path, why: "umount: \(String(cString: strerror(e)))")
        }
        // The mount point: an empty file (or directory) the runtime made; only that is unlinked.
        var after = stat()
        if fstatat(dir, name, &after, AT_SYMLINK_NOFOLLOW) == 0 {
            if (after.st_mode & S_IFMT) == S_IFREG && after.st_size == 0 { unlinkat(dir, name, 0) }
        }
        return .removed(path)
    }

    /// The directory holding `path` (an O_PATH descriptor the caller closes), opened from `/` one
    /// component at a time with O_NOFOLLOW: a symbolic link anywhere on the way is an error (ELOOP
    /// or ENOTDIR), as is a missing component (ENOENT).
    static func openDirectoryNoFollow(of path: String) -> Result<Int32, Errno> {
        var comps = path.split(separator: "/").map(String.init)
        comps.removeLast()
        var dir = open("/", oPath | O_DIRECTORY | O_CLOEXEC)
        for c in comps {
            let next = openat(dir, c, oPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let e = errno
            close(dir)
            guard next >= 0 else { return .failure(Errno(rawValue: e)) }
            dir = next
        }
        return .success(dir)
    }

    /// The paths at which the caller's mount namespace mounts namespace `id` (/proc/self/mountinfo).
    public static func callersMounts(of id: NamespaceID) -> [String] {
        callersNamespaceMounts().filter { $0.inode == id.inode }.map(\.path)
    }

    /// Every nsfs mount of a network namespace in the caller's mount namespace
    /// (/proc/self/mountinfo, through discovery's parser): mount points unescaped (`\040` …).
    static func callersNamespaceMounts() -> [MountInfoScan.Entry] {
        MountInfoScan.read(["/proc/self/mountinfo"])?.entries ?? []
    }
}

/// O_PATH from asm-generic/fcntl.h (glibc declares it only under _GNU_SOURCE).
let oPath: Int32 = 0o10000000
