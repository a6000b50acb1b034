/// What discovery reads of a sampled process only (never of every process): comm, real uid,
/// cgroup, parent pid and command line.
enum ProcessDetails {
    /// The command (comm) and real uid of a process, from one read of /proc/PID/status (`Name:`
    /// and the first `Uid:` field); nil when the process is gone or unreadable.
    static func commandAndUID(procRoot: String, pid: Int32) -> (String, UInt32)? {
        guard let status = ProcFiles.read("\(procRoot)/\(pid)/status", limit: 1 << 16, shortReadIsEnd: true),
              let uid = realUID(status: status) else { return nil }
        return (command(status: status), uid)
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
        let key = Array("\nUid:".utf8)
        var i = 0
        let n = status.count
        // The first line is Name:, so "\nUid:" always has its newline.
        while i + key.count <= n {
            if status[i] == 0x0A, status[i..<(i + key.count)].elementsEqual(key) {
                var j = i + key.count
                while j < n, status[j] == 0x20 || status[j] == 0x09 { j += 1 }
                var k = j
                while k < n, status[k] >= 0x30, status[k] <= 0x39 { k += 1 }
                guard let v = UInt64(decimal: status[j..<k]), v <= UInt64(UInt32.max) else { return nil }
                return UInt32(v)
            }
            i += 1
        }
        return nil
    }

    static func cgroup(procRoot: String, pid: Int32) -> [UInt8]? {
        ProcFiles.read("\(procRoot)/\(pid)/cgroup", limit: 1 << 16, shortReadIsEnd: true)
    }

    /// The parent pid: field 4 of /proc/PID/stat, after the `(comm)` that may hold anything.
    static func parentPID(stat: [UInt8]) -> Int32? {
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = stat[(close + 1)...].split(separator: 0x20)
        guard fields.count >= 2 else { return nil }
        return ProcFiles.parseDecimal(fields[1])
    }

    /// A podman container's name from its parent, conmon: `conmon … -c ID … -n NAME …` (also
    /// `--cid`, `--name`). Nil unless the parent is conmon for that very container.
    static func podmanName(procRoot: String, pid: Int32, containerID: String) -> String? {
        guard let stat = ProcFiles.read("\(procRoot)/\(pid)/stat", limit: 4096, shortReadIsEnd: true), let ppid = parentPID(stat: stat),
              let cmdline = ProcFiles.read("\(procRoot)/\(ppid)/cmdline", limit: 1 << 16, shortReadIsEnd: true) else { return nil }
        return conmonName(cmdline: cmdline, containerID: containerID)
    }

    static func conmonName(cmdline: [UInt8], containerID: String) -> String? {
        let args = cmdline.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard let first = args.first, first == "conmon" || first.hasSuffix("/conmon") else { return nil }
        var name: String?
        var id: String?
        var i = 1
        while i + 1 < args.count {
            switch args[i] {
            case "-n", "--name": name = args[i + 1]; i += 2
            case "-c", "--cid": id = args[i + 1]; i += 2
            default: i += 1
            }
        }
        guard id == containerID, let name, !name.isEmpty else { return nil }
        return name
    }
}
