/// What discovery reads of a sampled process only (never of every process): its status (comm,
/// real uid, parent pid) and cgroup, and its parent's command line (conmon's).
enum ProcessDetails {
    /// The command (comm), real uid and parent pid of a process, from one read of
    /// /proc/PID/status (`Name:`, the first `Uid:` field, `PPid:`); nil when the process is gone
    /// or unreadable.
    static func commandUIDParent(procRoot: String, pid: Int32) -> (command: String, uid: UInt32, parent: Int32?)? {
        guard let status = ProcFiles.read("\(procRoot)/\(pid)/status", limit: 1 << 16, shortReadIsEnd: true),
              let uid = realUID(status: status) else { return nil }
        let ppid = field(status: status, "\nPPid:").flatMap { $0 <= UInt64(Int32.max) ? Int32($0) : nil }
        return (command(status: status), uid, ppid)
    }

    /// `Name:` of /proc/PID/status with the kernel's two escapes undone (it writes a newline in
    /// comm as `\n` and a backslash as `\\`; every other byte as it is).
    static func command(status: [UInt8]) -> String {
        let key = Array("Name:".utf8)
        guard status.count > key.count, status[0..<key.count].elementsEqual(key) else { return "" }
        var i = key.count
        while i < status.count, status[i] == 0x09 || status[i] == 0x20 { i += 1 }
        var out: [UInt8] = []
        while i < status.count, status[i] != 0x0A {
            if status[i] == 0x5C, i + 1 < status.count, status[i + 1] == 0x6E || status[i + 1] == 0x5C {
                out.append(status[i + 1] == 0x6E ? 0x0A : 0x5C)
                i += 2
                continue
            }
            out.append(status[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first number of the `Uid:` line.
    static func realUID(status: [UInt8]) -> UInt32? {
        field(status: status, "\nUid:").flatMap { $0 <= UInt64(UInt32.max) ? UInt32($0) : nil }
    }

    /// The first number after `key` (`\nUid:`, `\nPPid:`; the first line is Name:, so every
    /// other key has its newline).
    static func field(status: [UInt8], _ key: String) -> UInt64? {
        let key = Array(key.utf8)
        var i = 0
        let n = status.count
        while i + key.count <= n {
            if status[i] == 0x0A, status[i..<(i + key.count)].elementsEqual(key) {
                var j = i + key.count
                while j < n, status[j] == 0x20 || status[j] == 0x09 { j += 1 }
                var k = j
                while k < n, status[k] >= 0x30, status[k] <= 0x39 { k += 1 }
                return UInt64(decimal: status[j..<k])
            }
            i += 1
        }
        return nil
    }

    static func cgroup(procRoot: String, pid: Int32) -> [UInt8]? {
        ProcFiles.read("\(procRoot)/\(pid)/cgroup", limit: 1 << 16, shortReadIsEnd: true)
    }

    /// What a conmon command line says: the container id (`-c`/`--cid`), its name (`-n`/`--name`)
    /// and whether podman started it (`--exit-command …/podman`; CRI-O's conmon has none). Nil
    /// unless argv[0] is conmon and the id is 64 hex digits.
    static func conmon(cmdline: [UInt8]) -> (containerID: String, name: String?, podman: Bool)? {
        let args = cmdline.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard let first = args.first, first == "conmon" || first.hasSuffix("/conmon") else { return nil }
        var name: String?
        var id: String?
        var podman = false
        var i = 1
        while i + 1 < args.count {
            switch args[i] {
            case "-n", "--name": name = args[i + 1]; i += 2
            case "-c", "--cid": id = args[i + 1]; i += 2
            case "--exit-command": podman = args[i + 1] == "podman" || args[i + 1].hasSuffix("/podman"); i += 2
            default: i += 1
            }
        }
        guard let id, OwnerDetection.isHex(id, minimum: 64) else { return nil }
        return (id, name.flatMap { $0.isEmpty ? nil : $0 }, podman)
    }
}
