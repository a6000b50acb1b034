import Netlink
import Glibc

/// Runs `body` on a new pthread (never a Swift concurrency pool thread) and waits for it.
///
/// This is where VethKit changes a thread's namespace (setns/unshare): the change dies with the
/// thread, so the caller's thread, and every other thread, keeps its namespace.
func onDedicatedThread<T>(_ body: () throws -> T) throws -> T {
    try withoutActuallyEscaping(body) { body in
        var result: Result<T, Error>?
        try withUnsafeMutablePointer(to: &result) { resultPointer in
            let thread = try startDedicatedThread { resultPointer.pointee = Result { try body() } }
            pthread_join(thread, nil)
        }
        return try result!.get()
    }
}

/// Starts `work` on a new pthread (never a Swift concurrency pool thread) and returns it, for
/// the caller to join: ``onDedicatedThread(_:)`` and the throughput test's workers.
func startDedicatedThread(_ work: @escaping () -> Void) throws -> pthread_t {
    let unmanaged = Unmanaged.passRetained(ThreadJob(work))
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        let job = Unmanaged<ThreadJob>.fromOpaque(raw!).takeRetainedValue()
        job.work()
        return nil
    }, unmanaged.toOpaque())
    if rc != 0 {
        unmanaged.release()
        throw SystemCallError("pthread_create", Errno(rawValue: rc))
    }
    return thread
}

private final class ThreadJob: @unchecked Sendable {
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }
}
