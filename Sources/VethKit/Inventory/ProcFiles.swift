import Glibc

/// The few file operations discovery makes, each one syscall-cheap and silent on failure: a
/// process that exits mid-scan, or another user's entry we may not read, is simply not there.
enum ProcFiles {
    /// The target of a symbolic link (at most `capacity` bytes: longer targets are truncated,
    /// which is enough to recognise `net:[N]`); nil when it cannot be read.
    static func readLink(_ path: String, capacity: Int = 128) -> [UInt8]? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buf -> [UInt8]? in
            let n = path.withCString { readlink($0, UnsafeMutableRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self), capacity) }
            guard n >= 0 else { return nil }
            return Array(buf[0..<n])
        }
    }

    /// The inode of a namespace link target `TYPE:[N]` (`net:[4026531840]`), or nil.
    static func namespaceInode<C: Collection>(_ target: C, type: StaticString) -> UInt64? where C.Element == UInt8 {
        var it = target.makeIterator()
        var ok = true
        type.withUTF8Buffer { prefix in
            for b in prefix where it.next() != b { ok = false; return }
        }
        guard ok, it.next() == UInt8(ascii: ":"), it.next() == UInt8(ascii: "[") else { return nil }
        var value: UInt64 = 0
        var digits = 0
        while let b = it.next() {
            if b == UInt8(ascii: "]") {
                guard digits > 0, it.next() == nil else { return nil }
                return value
            }
            guard b >= 0x30, b <= 0x39, digits < 20 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
            guard !o1, !o2 else { return nil }
            value = s
            digits += 1
        }
        return nil
    }

    /// The inode of the namespace a `/proc/…/ns/TYPE` link (or an fd link) names.
    static func linkedNamespace(_ path: String, type: StaticString) -> UInt64? {
        guard let t = readLink(path, capacity: 64) else { return nil }
        return namespaceInode(t, type: type)
    }

    /// A file's content, at most `limit` bytes (nil when it cannot be opened or read, or is
    /// larger; its first `limit` bytes when `truncating`). Never blocks on a FIFO (O_NONBLOCK)
    /// and never follows a last-component symlink when `noFollow`. A short first read of a /proc
    /// file is its whole content (seq_file fills the buffer it is given), so small files
    /// (`shortReadIsEnd`) cost open, read, close.
    static func read(_ path: String, limit: Int, noFollow: Bool = false, shortReadIsEnd: Bool = false,
                     truncating: Bool = false) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (noFollow ? O_NOFOLLOW : 0))
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if noFollow {
            var st = stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        }
        let chunk = 4096
        var data: [UInt8] = []
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk) { buf -> [UInt8]? in
            while true {
                let n = Glibc.read(fd, buf.baseAddress, chunk)
                if n < 0 {
                    if errno == EINTR { continue }
                    return nil
                }
                if n == 0 { return data }
                guard data.count + n <= limit else {
                    guard truncating else { return nil }
                    data.append(contentsOf: UnsafeBufferPointer(start: buf.baseAddress, count: limit - data.count))
                    return data
                }
                data.append(contentsOf: UnsafeBufferPointer(start: buf.baseAddress, count: n))
                if shortReadIsEnd && n < chunk { return data }
            }
        }
    }

    /// The number of threads of a process: /proc/PID/task's link count is 2 + threads (one
    /// stat instead of listing the directory); nil when it cannot be told.
    static func threadCount(_ taskDirectory: String) -> Int? {
        var st = stat()
        guard stat(taskDirectory, &st) == 0, st.st_nlink >= 3 else { return nil }
        return Int(st.st_nlink) - 2
    }

    /// The names in a directory (without `.` and `..`), as bytes; nil when it cannot be listed.
    static func listDirectory(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        guard let dir = opendir(path) else { return false }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            withUnsafePointer(to: &entry.pointee.d_name) { p in
                p.withMemoryRebound(to: UInt8.self, capacity: 256) { c in
                    let n = strnlen(UnsafeRawPointer(c).assumingMemoryBound(to: CChar.self), 256)
                    let name = UnsafeBufferPointer(start: c, count: n)
                    if n == 1 && c[0] == 0x2E { return }
                    if n == 2 && c[0] == 0x2E && c[1] == 0x2E { return }
                    body(name)
                }
            }
        }
        return true
    }

    /// The network namespaces the numeric links of a directory name (/proc/PID/fd), as
    /// (entry, inode) in directory order: one readlinkat per entry relative to the directory
    /// already open for listing (no path walk from /, no path strings). A descriptor opened
    /// through a bind mount (`open("/run/netns/x")`) reads as the mount's path, not `net:[N]`:
    /// for targets that are paths, one fstatat through the magic link tells whether the file is
    /// on the nsfs device `nsfsDevice` (and then its inode is the namespace). False when the
    /// directory cannot be listed.
    static func namespaceLinks(_ path: String, type: StaticString, nsfsDevice: UInt64? = nil,
                               _ body: (Int32, UInt64) -> Void) -> Bool {
        guard let dir = opendir(path) else { return false }
        defer { closedir(dir) }
        let dfd = dirfd(dir)
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> Bool in
            while let entry = readdir(dir) {
                withUnsafePointer(to: &entry.pointee.d_name) { p in
                    p.withMemoryRebound(to: CChar.self, capacity: 256) { c in
                        let n = strnlen(c, 256)
                        guard let number = c.withMemoryRebound(to: UInt8.self, capacity: n, {
                            parseDecimal(UnsafeBufferPointer(start: $0, count: n))
                        }) else { return }
                        let len = readlinkat(dfd, c, buf.baseAddress!, 64)
                        guard len > 0 else { return }
                        let target = UnsafeRawBufferPointer(start: buf.baseAddress, count: len).bindMemory(to: UInt8.self)
                        if let ino = namespaceInode(target, type: type) {
                            body(number, ino)
                        } else if let nsfsDevice, target.first == UInt8(ascii: "/") {
                            var st = stat()
                            if fstatat(dfd, c, &st, 0) == 0, UInt64(st.st_dev) == nsfsDevice { body(number, UInt64(st.st_ino)) }
                        }
                    }
                }
            }
            return true
        }
    }

    /// The numeric entries of a directory (PIDs in /proc, TIDs in task/, fds in fd/), ascending.
    static func numericEntries(_ path: String) -> [Int32]? {
        var out: [Int32] = []
        let ok = listDirectory(path) { name in
            if let n = parseDecimal(name) { out.append(n) }
        }
        guard ok else { return nil }
        out.sort()
        return out
    }

    static func parseDecimal<C: Collection>(_ bytes: C) -> Int32? where C.Element == UInt8 {
        guard !bytes.isEmpty, bytes.count <= 10 else { return nil }
        var v: Int64 = 0
        for b in bytes {
            guard b >= 0x30, b <= 0x39 else { return nil }
            v = v * 10 + Int64(b - 0x30)
        }
        return v <= Int64(Int32.max) ? Int32(v) : nil
    }

    /// The device of a file (its `st_dev`), following symlinks.
    static func device(_ path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_dev)
    }

    /// The (device, inode) of a file, following symlinks.
    static func identity(_ path: String) -> (UInt64, UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// glibc's makedev: the st_dev of a mountinfo `major:minor`.
    static func makeDevice(major: UInt64, minor: UInt64) -> UInt64 {
        ((major & 0xfff) << 8) | ((major & ~0xfff) << 32) | (minor & 0xff) | ((minor & ~0xff) << 12)
    }
}
