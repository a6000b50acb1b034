import Foundation
import VethKit
import XCTest

/// Debian's containerd 1.6 (its CRI plugin built in) started by scripts/cri/containerd-sandbox in a
/// private mount namespace of its own, with tmpfs on /run/containerd, /var/lib/containerd,
/// /var/lib/cni, /etc/cni/net.d and /opt/cni/bin, and the host quirks of the verified recipe
/// (crun without cgroups, hybrid cgroup mount hidden, offline busybox sandbox image). It shares
/// the sandbox's network namespace. Its files are reached through ``path(_:)`` (/proc/PID/root),
/// programs that must see its mounts (ctr, the CRI client) run through ``enter(_:)``. ``stop()``
/// (also deinit) ends containerd by its PID, then the shims it started and their children, found
/// by containerd's mount namespace; the tmpfs go with that namespace.
public final class Containerd {
    /// containerd's PID (the launcher execs it).
    public let pid: pid_t
    /// Where the launcher keeps its files inside containerd's mount namespace.
    public static let workDirectory = "/run/containerd/vk"
    /// The sandbox image (built offline from busybox by scripts/cri/mkimage.py).
    public static let image = "docker.io/library/vkbusybox:latest"
    private let stderrPath: String
    private var mountNamespace = ""
    private var stopped = false

    /// scripts/cri in this checkout.
    public static let scriptsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/cri").path

    /// Why containerd cannot run here (a missing program, not root, not in the sandbox), or nil.
    public static func unavailableReason() -> String? {
        guard getuid() == 0 else { return "needs root (run scripts/test as root)" }
        guard ProcessInfo.processInfo.environment["VETHKIT_SANDBOX"] == "1" else { return "runs only inside scripts/sandbox" }
        for (tool, package) in [("/usr/bin/containerd", "containerd"), ("/usr/bin/ctr", "containerd"), ("/usr/bin/crun", "crun"),
                                ("/usr/bin/nsenter", "util-linux"), ("/bin/busybox", "busybox-static"), ("/usr/bin/python3", "python3")]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) missing (apt-get install \(package)); scripts/setup installs it as root"
        }
        let probe = try? runProcess("/usr/bin/python3", ["-c", "import grpc, grpc_tools.protoc"], timeout: 60)
        if probe?.status != 0 {
            return "python3-grpcio or python3-grpc-tools missing for /usr/bin/python3 (apt-get install python3-grpcio python3-grpc-tools)"
        }
        return nil
    }

    /// Starts containerd and waits (up to `timeout` s) until its socket answers; imports the image.
    public init(timeout: Double = 30) throws {
        stderrPath = NSTemporaryDirectory() + "vethkit-containerd-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err"
        pid = try spawnDetached(Containerd.scriptsDirectory + "/containerd-sandbox", [],
                                environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "VETHKIT_SANDBOX=1"], stderr: stderrPath)
        do {
            try waitForSocket(timeout: timeout)
            let r = try runProcess(Containerd.scriptsDirectory + "/containerd-sandbox", ["import", String(pid)], timeout: 120)
            guard r.status == 0 else { throw Failure("image import failed (\(r.status)): \(r.stderr)\n\(log(last: 20))") }
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// A path as containerd sees it (through /proc/PID/root: its private mounts included).
    /// /var/run is spelled /run: the symlink /var/run → /run is absolute, so through /proc/PID/root
    /// it would resolve in the caller's mount namespace and miss containerd's netns bind mounts.
    public func path(_ p: String) -> String {
        "/proc/\(pid)/root" + (p.hasPrefix("/var/run/") ? String(p.dropFirst(4)) : p)
    }

    /// Runs a program inside containerd's mount namespace (`nsenter -t PID -m`).
    @discardableResult
    public func enter(_ argv: [String], input: String? = nil, timeout: Double = 120) throws -> ProcessResult {
        try runProcess("/usr/bin/nsenter", ["-t", String(pid), "-m", "--"] + argv, input: input,
                       environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"], timeout: timeout)
    }

    /// `ctr ARGS` against this containerd.
    @discardableResult
    public func ctr(_ args: String..., timeout: Double = 60) throws -> ProcessResult {
        try enter(["/usr/bin/timeout", String(Int(timeout)), "/usr/bin/ctr"] + args, timeout: timeout + 5)
    }

    /// The last lines of containerd's log (for failure messages).
    public func log(last n: Int = 30) -> String {
        let text = (try? String(contentsOfFile: path(Containerd.workDirectory + "/containerd.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(n).joined(separator: "\n")
    }

    private func waitForSocket(timeout: Double) throws {
        let deadline = monotonicSeconds() + timeout
        let socket = path("/run/containerd/containerd.sock")
        while true {
            var st = stat()
            if stat(socket, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK {
                mountNamespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/mnt")) ?? ""
                if try ctr("version", timeout: 10).status == 0 { return }
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                stopped = true
                let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                throw Failure("containerd-sandbox exited (status \(status)) before its socket answered: \(err)")
            }
            if monotonicSeconds() > deadline {
                throw Failure("containerd's socket \(socket) did not answer within \(timeout) s\n\(log(last: 20))")
            }
            usleep(20_000)
        }
    }

    /// Ends containerd (SIGTERM, SIGKILL after 5 s), then the shims of its mount namespace and
    /// their children, by PID. Idempotent.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGTERM)
        let deadline = monotonicSeconds() + 5
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if monotonicSeconds() > deadline { kill(pid, SIGKILL); waitpid(pid, &status, 0); break }
            usleep(10_000)
        }
        if !mountNamespace.isEmpty {
            let shims = processes().filter { $0.mountNamespace == mountNamespace && $0.command.hasPrefix("containerd-shim") }
            let shimPIDs = Set(shims.map(\.pid))
            for p in processes() where shimPIDs.contains(p.parent) { kill(p.pid, SIGKILL) }
            for p in shimPIDs { kill(p, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    private struct ProcessEntry { var pid: pid_t; var parent: pid_t; var command: String; var mountNamespace: String }

    private func processes() -> [ProcessEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> ProcessEntry? in
            guard let p = pid_t(name), p != getpid(),
                  let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")"), let open = stat.firstIndex(of: "(") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, let parent = pid_t(fields[1]) else { return nil }
            let mnt = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(p)/ns/mnt")) ?? ""
            return ProcessEntry(pid: p, parent: parent, command: String(stat[stat.index(after: open)..<close]), mountNamespace: mnt)
        }
    }

    /// An error with its text (containerd did not come up, a client call failed).
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }
}

/// Starts `path` without waiting: stdin from /dev/null, stdout to /dev/null, stderr to `stderr`.
/// The caller reaps it (waitpid).
func spawnDetached(_ path: String, _ arguments: [String], environment: [String], stderr: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
    guard rc == 0 else { throw Containerd.Failure("posix_spawn \(path): \(String(cString: strerror(rc)))") }
    return pid
}
