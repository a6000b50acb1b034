import CLinuxUAPI
import Foundation
import Glibc
import VethKit

/// How `up` makes a namespace appear under its final name only once it carries the topology's
/// mark, so that a `kill -9` at any moment leaves one of:
/// - nothing (the namespace had no name yet: it dies with the process, and with it its veths);
/// - `/run/netns/.vethkit-tmp.<topology>.<node>.<pid>`, a plain file only VethKit's naming
///   produces (killed while writing the placeholder);
/// - `/run/netns/<topology>-<node>`, a plain file whose whole content is
///   ``Ownership/placeholderContent(for:)`` (killed between publishing the placeholder and the
///   mount over it);
/// - the namespace under its final name, with the mark on its lo.
///
/// `up` and `down` remove the first two kinds of leftovers; a file or namespace under the
/// topology's prefix that is none of these is the user's and never touched.
///
/// The steps: `unshare(CLONE_NEWNET)` on a worker thread; lo marked (and the node's sysctls) from
/// inside; the placeholder written under the temporary name and hard-linked onto the final name
/// (`link` fails with EEXIST when the name is taken: an atomic "create unless it exists" of a
/// file that is already marked); the thread's namespace bind-mounted over it. (A bind-mount
/// point cannot be renamed — rename(2) refuses mount points with EBUSY — and `mount --move`
/// also needs an existing target, so the mark has to be on the placeholder itself.)
enum NamespacePublisher {
    /// Moves the calling worker thread into a new network namespace that has no name yet.
    static func unshareCallingThread() throws {
        if vk_unshare(Int32(CLONE_NEWNET)) != 0 { throw SystemCallError("unshare(CLONE_NEWNET)") }
    }

    /// The temporary file name of node `node`'s placeholder.
    static func temporaryName(topology: String, node: String) -> String {
        Ownership.temporaryNamespacePrefix(for: topology) + "\(node).\(getpid())"
    }

    /// Publishes the calling thread's namespace (already marked) as `/run/netns/<name>`.
    /// Throws ``AlreadyExists`` when the name is taken; nothing is left behind on failure.
    static func publishCallingThread(topology: String, node: String, name: String) throws {
        let dir = NetworkNamespace.runDirectory
        let tmp = "\(dir)/\(temporaryName(topology: topology, node: node))"
        let final = "\(dir)/\(name)"
        let content = Array(Ownership.placeholderContent(for: topology).utf8)
        let fd = vk_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0)
        guard fd >= 0 else { throw SystemCallError("create \(tmp)") }
        let n = content.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard n == content.count else { unlink(tmp); throw SystemCallError("write \(tmp)") }
        if link(tmp, final) != 0 {
            let e = Errno.current
            unlink(tmp)
            if e == .fileExists { throw AlreadyExists.namespace(name) }
            throw SystemCallError("link \(tmp) \(final)", e)
        }
        unlink(tmp)
        if mount("/proc/thread-self/ns/net", final, "none", UInt(MS_BIND), nil) != 0 {
            let e = Errno.current
            unlink(final)
            throw SystemCallError("mount --bind /proc/thread-self/ns/net \(final)", e)
        }
    }

    /// True when the file at `path` is a placeholder of `topology` (a plain file, not a
    /// namespace, whose whole content is the placeholder mark). Never follows a symlink.
    static func isPlaceholder(_ path: String, topology: String) -> Bool {
        let want = Array(Ownership.placeholderContent(for: topology).utf8)
        let fd = vk_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) == want.count else { return false }
        var buf = [UInt8](repeating: 0, count: want.count + 1)
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return n == want.count && Array(buf[0..<n]) == want
    }

    /// The leftovers of interrupted publishes of `topology`: temporary files (by name) and
    /// placeholders under its final names (by content). `candidates` are the names under
    /// /run/netns that start with `<topology>-` and could not be entered as namespaces.
    static func leftovers(of topology: String, unenterable candidates: [String]) throws -> [String] {
        let prefix = Ownership.temporaryNamespacePrefix(for: topology)
        var out = try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix(prefix) }
        out += candidates.filter { isPlaceholder("\(NetworkNamespace.runDirectory)/\($0)", topology: topology) }
        return out
    }
}
