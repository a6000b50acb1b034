import Glibc

/// Small readers of /proc for the orphan checks: every one bounded, none following a link it
/// was not meant to, a process that exits mid-read simply missing from the answer.
enum ProcessScan {
    /// The numeric entries of a directory (pids under /proc, tids under task/, fds under fd/).
    static func numbers(in directory: String) -> [Int32] {
        guard let d = opendir(directory) else { return [] }
        defer { closedir(d) }
        var out: [Int32] = []
        while let e = readdir(d) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { raw -> Int32? in
                var v: Int32 = 0
                var any = false
                for c in raw {
                    if c == 0 { break }
                    guard c >= 0x30, c <= 0x39, v < 100_000_000 else { return nil }
                    v = v * 10 + Int32(c - 0x30)
                    any = true
                }
                return any ? v : nil
            }
            if let n { out.append(n) }
        }
        return out.sorted()
    }

    /// The target of a symbolic link (at most 255 bytes), nil when it cannot be read.
    static func link(_ path: String) -> String? {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        guard n > 0, n < buf.count else { return nil }
        return String(decoding: buf[0..<n], as: UTF8.self)
    }

    /// The first `limit` bytes of a file (a /proc file, or one in a runtime's directory), never
    /// through a final symbolic link and never blocking on a FIFO.
    static func read(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: limit)
        var got = 0
        while got < limit {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + got, limit - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        return Array(buf[0..<got])
    }

    /// The identity of the nsfs file a /proc path leads to (stat follows the magic link).
    static func namespace(at path: String) -> NamespaceID? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return NamespaceID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// The command name of a process (/proc/PID/comm), "" when it is gone.
    static func command(_ pid: Int32, procRoot: String) -> String {
        guard let b = read("\(procRoot)/\(pid)/comm", limit: 64) else { return "" }
        return String(decoding: b.prefix { $0 != 0x0a }, as: UTF8.self)
    }

    /// The real uid of a process, 0 when unknown.
    static func uid(_ pid: Int32, procRoot: String) -> UInt32 {
        var st = stat()
        guard stat("\(procRoot)/\(pid)", &st) == 0 else { return 0 }
        return st.st_uid
    }
}
