import Glibc
import VethKit

/// `dot` is not installed: names the package that has it.
public struct GraphvizMissing: Error, CustomStringConvertible {
    /// The format that needed it (`svg`, `png`).
    public var format: String = "svg"
    public var description: String {
        "graph --format \(format) needs Graphviz's `dot` program, which is not on PATH (Debian/Ubuntu: apt-get install graphviz); --format dot and --format mermaid need nothing"
    }
}

/// `dot` exited with an error, was killed by a signal, ran past its deadline or wrote too much;
/// `message` is its standard error (or what went wrong).
public struct GraphvizFailed: Error, CustomStringConvertible {
    public var status: Int32
    public var message: String
    /// The output format asked of dot (`svg`, `png`).
    public var format: String = "svg"
    public var description: String { "dot -T\(format) failed (exit \(status)): \(message)" }
}

extension Topology {
    /// The most output (and standard error) read back from `dot`.
    static let svgLimit = 64 << 20

    /// `dot -Tsvg` of `dot`, as text (see ``render(_:format:deadline:)``).
    static func renderSVG(_ dot: String, deadline: Double = 60) throws -> String {
        String(decoding: try render(dot, format: "svg", deadline: deadline), as: UTF8.self)
    }

    /// Runs `dot -T<format>` (an output renderer, not kernel work): the DOT text on its standard input,
    /// its standard output and error into unlinked temporary files (no pipe to keep flowing, so
    /// no thread and no deadlock), killed and reaped when it runs past `deadline` seconds or its
    /// output grows past ``svgLimit``; both read back with ``BoundedRead/all(_:limit:)``.
    static func render(_ dot: String, format: String, deadline: Double = 60) throws -> [UInt8] {
        do { return try run(dot, format: format, deadline: deadline) } catch var e as GraphvizFailed {
            e.format = format
            throw e
        }
    }

    static func run(_ dot: String, format: String, deadline: Double) throws -> [UInt8] {
        guard let path = executableOnPath("dot") else { throw GraphvizMissing(format: format) }
        let input = try anonymousFile(), output = try anonymousFile(), errors = try anonymousFile()
        defer { close(input); close(output); close(errors) }
        try writeAll(input, Array(dot.utf8))
        lseek(input, 0, SEEK_SET)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), strdup("-T\(format)"), nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw GraphvizFailed(status: -1, message: "cannot run \(path): \(String(cString: strerror(rc)))") }

        // Wait with a deadline; whatever happens, the child is reaped before returning.
        let end = monotonicSeconds() + deadline
        var status: Int32 = 0
        var nap: UInt32 = 1_000
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw GraphvizFailed(status: -1, message: "waitpid: \(String(cString: strerror(errno)))") }
            var killedFor: String?
            if monotonicSeconds() >= end { killedFor = "did not finish within \(seconds(deadline)) s (killed)" }
            if fileSize(output) > svgLimit || fileSize(errors) > svgLimit { killedFor = "wrote more than \(svgLimit) bytes (killed)" }
            if let killedFor {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                throw GraphvizFailed(status: -1, message: killedFor)
            }
            usleep(nap)
            nap = min(nap * 2, 20_000)
        }

        let err = String(decoding: (try? readBack(errors)) ?? [], as: UTF8.self)
        // WIFEXITED / WEXITSTATUS / WTERMSIG (sys/wait.h), which Swift does not import as macros.
        let signal = status & 0x7f
        guard signal == 0 else { throw GraphvizFailed(status: -1, message: "killed by signal \(signal)" + (err.isEmpty ? "" : ": \(err)")) }
        let exit = (status >> 8) & 0xff
        guard exit == 0 else { throw GraphvizFailed(status: exit, message: err) }
        do {
            return try readBack(output)
        } catch is BoundedRead.TooLarge {
            throw GraphvizFailed(status: 0, message: "wrote more than \(svgLimit) bytes")
        }
    }

    /// `60`, `0.5`: seconds to one decimal, without a trailing ".0".
    static func seconds(_ s: Double) -> String {
        let tenths = Int((s * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }

    /// The first `name` in `$PATH` that is an executable regular file.
    static func executableOnPath(_ name: String) -> String? {
        let dirs = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in dirs.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = "\(dir)/\(name)"
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// A temporary file, already unlinked (gone with its descriptor, even after kill -9).
    static func anonymousFile() throws -> Int32 {
        let dir = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(dir)/vethkit-graph-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw GraphvizFailed(status: -1, message: "cannot create a temporary file in \(dir): \(String(cString: strerror(errno)))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        // Not inherited by other children (dot gets its copies through dup2).
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw GraphvizFailed(status: -1, message: "cannot write a temporary file: \(String(cString: strerror(errno)))") }
            off += n
        }
    }

    static func fileSize(_ fd: Int32) -> Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    static func readBack(_ fd: Int32) throws -> [UInt8] {
        lseek(fd, 0, SEEK_SET)
        return try BoundedRead.all(fd, limit: svgLimit)
    }
}
