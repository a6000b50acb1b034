import Glibc
import VethKit

/// A command run as a child of vethctl, waited for: `netns exec` inside `--batch` (which must go
/// on with the next line) runs `/proc/self/exe netns exec NS -- CMD…`, so the child takes the one
/// exec path (NamespaceExec) and this process never moves a thread. Standard input, output and
/// error are the child's too.
enum ChildCommand {
    /// How the child ended: its exit status, or 128 + the signal that killed it (as a shell says).
    static func run(_ arguments: [String]) throws -> Int32 {
        var cargs: [UnsafeMutablePointer<CChar>?] = (["vethctl"] + arguments).map { strdup($0) }
        cargs.append(nil)
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        fflush(nil)  // what earlier lines printed comes before the child's output
        let rc = posix_spawn(&pid, "/proc/self/exe", nil, nil, cargs, environ)
        guard rc == 0 else { throw SystemCallError("posix_spawn(/proc/self/exe)", Errno(rawValue: rc)) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SystemCallError("waitpid(\(pid))") }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// `argv` as a shell would read it back: words with anything but `[A-Za-z0-9_./:=@%+,-]` in
/// single quotes (and terminal-escaped, for a message).
func shellQuoted(_ argv: [String]) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+,-")
    return argv.map { word in
        !word.isEmpty && word.allSatisfy({ safe.contains($0) }) ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }.joined(separator: " ").terminalEscaped()
}

/// A command of a batch line that ran and exited with a status other than 0.
struct ChildFailed: Error, CustomStringConvertible {
    var command: String
    var status: Int32
    var description: String { status > 128 ? "\(command): killed by signal \(status - 128)" : "\(command): exited with status \(status)" }
}
