import Glibc

/// Opening the IPAM store's directory without ever following a symbolic link: the path is walked
/// one component at a time from `/`, each with `openat(parent, name, O_DIRECTORY | O_NOFOLLOW)`
/// relative to the previous component's descriptor, so a symlink planted anywhere on the way
/// (dataDir itself, a parent, or dataDir/NETWORK) is refused instead of followed, and nothing
/// can be created or written outside dataDir/NETWORK. Every later file operation of the store is
/// relative to the directory descriptor this returns (`openat`/`linkat`/`unlinkat`/`renameat`).
enum StoreDirectory {
    /// Opens the absolute directory `path`; with `create`, missing components are made (0755).
    /// Returns nil when a component is missing and `create` is false.
    static func open(_ path: String, create: Bool) throws -> Int32? {
        var fd = Glibc.open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw IPAMStore.ioError("open /") }
        var walked = ""
        for part in path.split(separator: "/") {
            walked += "/" + part
            let next: Int32?
            do { next = try openChild(fd, String(part), create: create, display: walked) } catch { close(fd); throw error }
            close(fd)
            guard let next else { return nil }
            fd = next
        }
        return fd
    }

    /// Opens (creating when asked) the directory `name` inside the directory `parent`.
    static func openChild(_ parent: Int32, _ name: String, create: Bool, display: String) throws -> Int32? {
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
        var fd = openat(parent, name, flags)
        if fd < 0 && errno == ENOENT {
            guard create else { return nil }
            if mkdirat(parent, name, 0o755) != 0 && errno != EEXIST {
                throw IPAMStore.ioError("mkdir \(display)")
            }
            fd = openat(parent, name, flags)
        }
        if fd < 0 {
            let e = errno
            if e == ELOOP || e == ENOTDIR { throw refused(display, e) }
            throw IPAMStore.ioError("open \(display)", e)
        }
        return fd
    }

    static let refusalPrefix = "IPAM store: refused: "

    /// The error for a path component that is a symbolic link (or not a directory).
    static func refused(_ display: String, _ e: Int32) -> CNIError {
        CNIError(.ioFailure, "\(refusalPrefix)\(display.cniEscaped) is a symbolic link or not a directory",
                 details: "the store never follows symbolic links (\(String(cString: strerror(e))))")
    }

    /// True for ``refused(_:_:)``'s error: the store's path was not followed (nothing was read or written).
    static func isRefusal(_ error: Error) -> Bool {
        (error as? CNIError).map { $0.code == .ioFailure && $0.msg.hasPrefix(refusalPrefix) } ?? false
    }

    /// Names in the open directory `fd` (not `.`/`..`); `fd` itself stays open.
    static func entries(_ fd: Int32, display: String) throws -> [String] {
        let dupFD = dup(fd)
        guard dupFD >= 0, let d = fdopendir(dupFD) else {
            if dupFD >= 0 { close(dupFD) }
            throw IPAMStore.ioError("opendir \(display)")
        }
        defer { closedir(d) }
        rewinddir(d)   // the duplicate shares the descriptor's position
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }
}
