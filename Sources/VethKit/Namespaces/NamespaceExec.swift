import CLinuxUAPI
import Glibc
import Netlink

/// `ip netns exec`: replaces the calling process with a command running inside a namespace.
public enum NamespaceExec {
    /// Moves the calling thread into `namespace`, gives it a private mount namespace with /sys
    /// remounted for the new network namespace (as iproute2 does), then execs `argv` (searched in
    /// PATH). Only returns by throwing. Call it from a process's main thread only: it is the one
    /// place VethKit moves a thread it did not create, because the process is replaced.
    public static func exec(in namespace: NetworkNamespace, name: NamespaceName?, _ argv: [String]) throws -> Never {
        guard let program = argv.first else { throw InvalidInput("command", "", "empty") }
        try syscall("setns(\(namespace))") { vk_setns(namespace.fileDescriptor, Int32(CLONE_NEWNET)) }
        try syscall("unshare(CLONE_NEWNS)") { vk_unshare(Int32(CLONE_NEWNS)) }
        // Do not let our /sys remount propagate back to the parent's mount namespace.
        _ = mount("", "/", "none", UInt(MS_SLAVE | MS_REC), nil)
        if umount2("/sys", Int32(MNT_DETACH)) == 0 || Errno.current == .invalidArgument {
            _ = mount(name?.rawValue ?? "sysfs", "/sys", "sysfs", 0, nil)
        }
        var cargs = argv.map { strdup($0) }
        cargs.append(nil)
        execvp(program, &cargs)
        let e = Errno.current
        throw SystemCallError("exec \(program)", e)
    }
}
