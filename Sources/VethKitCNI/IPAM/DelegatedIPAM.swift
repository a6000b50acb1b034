import VethKitJSON
import Glibc

/// Runs another IPAM plugin (`ipam.type` ≠ `vethkit`) exactly as the spec's delegation says: the
/// executable named `type` is looked up in CNI_PATH, run with our CNI_* environment (with
/// CNI_COMMAND set to the verb) and the same network configuration on stdin; its stdout is its
/// result, and a non-zero exit means its stdout is an error object, which we pass on.
public struct DelegatedIPAM {
    public let type: String
    public let environment: CNIEnvironment
    public let stdin: [UInt8]

    public init(type: String, environment: CNIEnvironment, stdin: [UInt8]) throws {
        try NetworkConfig.validatePluginType(type, field: "ipam.type")
        self.type = type
        self.environment = environment
        self.stdin = stdin
    }

    /// The executable in CNI_PATH; code 4 when CNI_PATH is unset, 7 when no such plugin exists.
    public func executable() throws -> String {
        if environment.path.isEmpty {
            throw CNIError(.invalidEnvironment, "CNI_PATH is not set", details: "needed to find the IPAM plugin \"\(type)\"")
        }
        for dir in environment.path {
            let p = dir.hasSuffix("/") ? dir + type : dir + "/" + type
            var st = stat()
            if stat(p, &st) == 0, st.st_mode & S_IFMT == S_IFREG, access(p, X_OK) == 0 { return p }
        }
        throw CNIError(.invalidNetworkConfig, "failed to find IPAM plugin \"\(type)\" in CNI_PATH",
                       details: "searched \(environment.path.joined(separator: ":"))")
    }

    /// Runs the delegate for `command`; returns its stdout. A failure becomes a ``CNIError``: the
    /// delegate's own error object when it printed one, else code 111 with its stderr.
    public func run(_ command: CNICommand) throws -> [UInt8] {
        let exe = try executable()
        // The delegate gets our environment: the process's own, with the CNI_* variables we were
        // given (and CNI_COMMAND set to the verb) taking precedence.
        var env = Self.processEnvironment(excluding: Set(environment.raw.keys).union(["CNI_COMMAND"]))
        for (k, v) in environment.raw { env.append("\(k)=\(v)") }
        env.append("CNI_COMMAND=\(command.rawValue)")
        let (status, out, err) = try Self.spawn(exe, environment: env, stdin: stdin)
        if status == 0 { return out }
        if let j = try? JSON.parse(out, what: "IPAM output"), let code = j["code"]?.intValue {
            throw CNIError(.init(rawValue: Int(code)), j["msg"]?.stringValue ?? "IPAM plugin \(type) failed",
                           details: j["details"]?.stringValue)
        }
        let text = String(decoding: (err.isEmpty ? out : err).prefix(2000), as: UTF8.self)
        throw CNIError(.delegateFailed, "IPAM plugin \(type) failed (\(command.rawValue), exit status \(status))", details: text)
    }

    /// ADD: the delegate's result, parsed.
    public func add() throws -> CNIResult {
        let out = try run(.add)
        return try CNIResult(json: try JSON.parse(out, what: "output of IPAM plugin \(type)"), context: "result of IPAM plugin \(type)")
    }

    /// `KEY=VALUE` entries of this process's environment whose key is not in `excluding`.
    static func processEnvironment(excluding: Set<String>) -> [String] {
        var out: [String] = []
        var p = environ
        while let c = p.pointee {
            let s = String(cString: c)
            let key = s.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? s
            if !excluding.contains(key) { out.append(s) }
            p += 1
        }
        return out
    }

    /// Spawns `path` with `environment` (`KEY=VALUE` entries), writes `stdin`, collects stdout and stderr.
    static func spawn(_ path: String, arguments: [String] = [], environment: [String], stdin input: [UInt8]) throws -> (Int32, [UInt8], [UInt8]) {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw CNIError(.ioFailure, "pipe failed", details: String(cString: strerror(errno)))
        }
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        if rc != 0 {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw CNIError(.ioFailure, "failed to run IPAM plugin \(path)", details: String(cString: strerror(rc)))
        }
        // Write stdin (configs are small, but never deadlock: poll all three pipes).
        var written = 0
        var out: [UInt8] = [], err: [UInt8] = []
        var fds = [pollfd(fd: inPipe[1], events: Int16(POLLOUT), revents: 0),
                   pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0),
                   pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
        if input.isEmpty { close(inPipe[1]); fds[0].fd = -1 }
        var buf = [UInt8](repeating: 0, count: 65536)
        signal(SIGPIPE, SIG_IGN)
        while fds[1].fd >= 0 || fds[2].fd >= 0 {
            if poll(&fds, 3, -1) < 0 { if errno == EINTR { continue }; break }
            if fds[0].fd >= 0, fds[0].revents != 0 {
                let n = input[written...].withUnsafeBytes { write(fds[0].fd, $0.baseAddress, $0.count) }
                if n > 0 { written += n }
                if n <= 0 || written == input.count { close(fds[0].fd); fds[0].fd = -1 }
            }
            for i in 1...2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if i == 1 { out += buf[0..<n] } else if err.count < 65536 { err += buf[0..<n] }
                } else if n == 0 || errno != EINTR {
                    close(fds[i].fd); fds[i].fd = -1
                }
            }
        }
        if fds[0].fd >= 0 { close(fds[0].fd) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), out, err)
    }
}
