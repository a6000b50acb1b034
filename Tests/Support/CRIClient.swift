import Foundation
import Glibc
import VethKit

/// The project's CRI client (scripts/cri/cri.py serve, over Debian's python3-grpcio) as one
/// long-running process inside containerd's mount namespace: one JSON request per line in, one
/// JSON reply per line out, each awaited with a deadline. A reply with `"ok": false` is thrown as
/// ``CRIError`` (the gRPC code and containerd's message), so a test can assert what kubelet would see.
public final class CRIClient {
    private let pid: pid_t
    private let input: Int32
    private let output: Int32
    private var buffer: [UInt8] = []

    public init(_ containerd: Containerd) throws {
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw Containerd.Failure("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        for fd in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, fd) }
        let args = ["/usr/bin/nsenter", "-t", String(containerd.pid), "-m", "--", "/usr/bin/python3",
                    Containerd.scriptsDirectory + "/cri.py", "serve"]
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        let environment: [String] = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8"]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, args[0], &actions, nil, argv, envp)
        Glibc.close(toChild[0]); Glibc.close(fromChild[1])
        guard rc == 0 else {
            Glibc.close(toChild[1]); Glibc.close(fromChild[0])
            throw Containerd.Failure("posix_spawn nsenter: \(String(cString: strerror(rc)))")
        }
        pid = child
        input = toChild[1]
        output = fromChild[0]
        _ = try call(["op": "version"], timeout: 60)   // the stubs are generated on the first use
    }

    private var closed = false

    deinit { close() }

    /// Ends the client (EOF on its input) and reaps it (SIGKILL after 2 s). Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(input)   // EOF: the client exits
        Glibc.close(output)
        var status: Int32 = 0
        let deadline = monotonicSeconds() + 2
        while waitpid(pid, &status, WNOHANG) == 0 {
            if monotonicSeconds() > deadline { kill(pid, SIGKILL); waitpid(pid, &status, 0); break }
            usleep(5_000)
        }
    }

    /// Sends one request and waits (at most `timeout` s) for its reply.
    @discardableResult
    public func call(_ request: [String: Any], timeout: Double = 120) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: request)
        line.append(0x0a)
        let written = line.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
        guard written == line.count else { throw Containerd.Failure("CRI client: write failed (\(request))") }
        let text = try readLine(timeout: timeout, what: "\(request)")
        guard let reply = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw Containerd.Failure("CRI client: not a JSON object: \(text)")
        }
        if reply["ok"] as? Bool != true {
            throw CRIError(code: reply["code"] as? String ?? "?", message: reply["error"] as? String ?? text)
        }
        return reply
    }

    private func readLine(timeout: Double, what: String) throws -> String {
        let deadline = monotonicSeconds() + timeout
        while true {
            if let nl = buffer.firstIndex(of: 0x0a) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            let left = deadline - monotonicSeconds()
            guard left > 0 else { throw Containerd.Failure("CRI client: no reply within \(timeout) s to \(what)") }
            var fds = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let n = poll(&fds, 1, Int32(min(left, 1) * 1000))
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Containerd.Failure("CRI client: poll: \(String(cString: strerror(errno)))") }
            if n == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let got = read(output, &chunk, chunk.count)
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw Containerd.Failure("CRI client exited while waiting for the reply to \(what)") }
            buffer += chunk[..<got]
        }
    }
}

/// A CRI call refused by containerd: the gRPC status code name and containerd's message.
public struct CRIError: Error, CustomStringConvertible {
    public let code: String
    public let message: String
    public var description: String { "\(code): \(message)" }
}

extension CRIClient {
    /// RunPodSandbox; returns the sandbox id. `ports`: (containerPort, hostPort) TCP mappings.
    public func runPod(_ name: String, hostNetwork: Bool = false, ports: [(Int, Int)] = []) throws -> String {
        let r = try call(["op": "run", "name": name, "node": hostNetwork,
                          "ports": ports.map { ["container": $0.0, "host": $0.1, "protocol": "TCP"] }])
        return r["id"] as? String ?? ""
    }

    /// PodSandboxStatus (verbose): state, ip, netns path, cniResult.
    public func status(_ id: String) throws -> [String: Any] { try call(["op": "status", "id": id]) }
    public func stopPod(_ id: String) throws { try call(["op": "stop", "id": id]) }
    public func removePod(_ id: String) throws { try call(["op": "remove", "id": id]) }

    /// The ids of every sandbox containerd knows.
    public func pods() throws -> [String] {
        ((try call(["op": "list"])["items"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
    }

    /// Waits until the CRI plugin has loaded the CNI network `name` (it watches its conf_dir).
    public func waitForNetwork(_ name: String, timeout: Double = 20) throws {
        try call(["op": "waitnet", "name": name, "timeout": timeout], timeout: timeout + 10)
    }
}
