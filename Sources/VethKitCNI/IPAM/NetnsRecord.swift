import Glibc
import VethKit

/// Where an attachment's network namespace was at ADD: CNI_NETNS and the identity (device,
/// inode) of the nsfs file it opened. A runtime that never sends DEL (`ctr run -d --cni`, then
/// kill and rm) leaves the reservation behind; the record tells STATUS and `vethctl orphans` that
/// the namespace is gone — the path no longer exists, or now names another file or namespace.
///
/// Stored as the content of the attachment's marker `.a-<hash>` (IPAMStore+Index), not in the
/// reservation file: host-local reads a reservation as `id\r\nifname` and compares it whole, so
/// an extra line would hide our reservations from it. Its first line is the mark that vethkit-cni
/// wrote it; an empty marker (older versions, or a host-local store indexed once) has no record:
/// its namespace is "unknown", never judged gone.
public struct NetnsRecord: Equatable, Sendable {
    public var attachment: NetworkConfig.Attachment
    /// CNI_NETNS as given at ADD.
    public var path: String
    public var device: UInt64
    public var inode: UInt64

    static let mark = "vethkit-cni netns record 1"
    /// Records are small (a path is < 4 KiB); anything larger is not one of ours.
    static let maxBytes = 8192

    public init(attachment: NetworkConfig.Attachment, path: String, device: UInt64, inode: UInt64) {
        self.attachment = attachment
        self.path = path
        self.device = device
        self.inode = inode
    }

    /// The record of `namespace`, opened from `path` at ADD.
    public init(attachment: NetworkConfig.Attachment, path: String, namespace: NetworkNamespace) throws {
        var st = stat()
        if fstat(namespace.fileDescriptor, &st) != 0 { throw IPAMStore.ioError("fstat CNI_NETNS \(path)") }
        self.init(attachment: attachment, path: path, device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    var bytes: [UInt8] {
        Array("\(NetnsRecord.mark)\ncontainer \(attachment.containerID)\nifname \(attachment.ifname)\nnetns \(path)\nnsfs \(device) \(inode)\n".utf8)
    }

    /// Parses a marker's content; nil for anything that is not exactly one of our records.
    static func parse(_ bytes: [UInt8]) -> NetnsRecord? {
        guard bytes.count < maxBytes, !bytes.isEmpty else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 6, lines[0] == mark, lines[5].isEmpty else { return nil }
        func value(_ i: Int, _ key: String) -> String? {
            lines[i].hasPrefix(key + " ") ? String(lines[i].dropFirst(key.count + 1)) : nil
        }
        guard let id = value(1, "container"), let ifn = value(2, "ifname"), let path = value(3, "netns"),
              let ids = value(4, "nsfs")?.split(separator: " "), ids.count == 2,
              let dev = UInt64(ids[0]), let ino = UInt64(ids[1]) else { return nil }
        // The same rules ADD applied, so a planted record cannot smuggle in what ADD never accepts.
        guard (try? CNIEnvironment.validateContainerID(id)) != nil, (try? InterfaceName.validate(ifn)) != nil,
              (try? CNIEnvironment.validateNetnsPath(path)) != nil else { return nil }
        return NetnsRecord(attachment: .init(containerID: id, ifname: ifn), path: path, device: dev, inode: ino)
    }

    /// Whether the namespace recorded at ADD is still there.
    public enum Liveness: Equatable, Sendable {
        case live
        /// The path is gone, or names another file or namespace now (the reason says which).
        case gone(String)
        /// Cannot tell: no record (an older reservation, or host-local's), or `stat` failed otherwise.
        case unknown(String)
    }

    /// `stat(2)` of the path (metadata only: nothing is opened, a FIFO never blocks).
    public var liveness: Liveness {
        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { return .gone("\(path) no longer exists") }
            return .unknown("stat \(path): \(String(cString: strerror(e)))")
        }
        if UInt64(st.st_dev) != device || UInt64(st.st_ino) != inode {
            return .gone("\(path) is another file or namespace now")
        }
        return .live
    }
}
