import Glibc
import VethKit

/// Reservations survive a crash of the plugin but not a reboot: the store records the boot id
/// (`/proc/sys/kernel/random/boot_id`, new at every boot) in `boot_id`, and the first ADD, GC or
/// STATUS that finds another boot's id drops every reservation (the containers that held them
/// are gone with the old boot) and records the current one. A store without `boot_id` (made by
/// an earlier version, or by host-local) is adopted as the current boot's.
///
/// Test hook: the environment variable `VETHKIT_CNI_BOOT_ID_FILE` names another file to read the
/// current boot id from, so tests simulate a reboot by changing that file's content.
public enum BootID {
    public static let systemFile = "/proc/sys/kernel/random/boot_id"
    /// The test hook's variable (docs/cni.md, "Reboots").
    public static let fileVariable = "VETHKIT_CNI_BOOT_ID_FILE"

    /// The boot id in `file` (trimmed); code 5 when it cannot be read or is not a plain token.
    public static func read(_ file: String) throws -> String {
        let fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { throw IPAMStore.ioError("read boot id from \(file)") }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 128)
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        let bytes = n > 0 ? buf[0..<n].filter { $0 != UInt8(ascii: "\n") } : []
        guard !bytes.isEmpty, bytes.count < 100, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw CNIError(.ioFailure, "IPAM store: no valid boot id in \(file.cniEscaped)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension IPAMStore {
    /// Drops every reservation when the store's `boot_id` names an earlier boot, then records the
    /// current boot. Returns the addresses dropped. Call under the lock.
    @discardableResult
    func expireEarlierBoot() throws -> [IPAddress] {
        let current = try BootID.read(bootIDFile)
        let recorded = String(decoding: readFile("boot_id").filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        if recorded == current { return [] }
        let dropped = recorded.isEmpty ? [] : try removeAll()
        try replaceFile("boot_id", Array((current + "\n").utf8), sync: true)
        return dropped
    }
}
