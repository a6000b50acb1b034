import CLinuxUAPI
import Glibc

/// Worker pthreads for a throughput test: one per sender and per receiver, started together and
/// joined together. They never change namespace (the sockets they use were opened inside theirs),
/// and they are never Swift concurrency threads: they block in send/recv for the whole test.
final class ThroughputThreads {
    private var threads: [pthread_t] = []

    /// Starts `body` on a new pthread.
    func start(_ body: @escaping @Sendable () -> Void) throws {
        let box = Unmanaged.passRetained(ThroughputThreadBody(body))
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let job = Unmanaged<ThroughputThreadBody>.fromOpaque(raw!).takeRetainedValue()
            job.body()
            return nil
        }, box.toOpaque())
        if rc != 0 {
            box.release()
            throw SystemCallError("pthread_create", Errno(rawValue: rc))
        }
        threads.append(thread)
    }

    /// Waits for every started thread.
    func joinAll() {
        for t in threads { pthread_join(t, nil) }
        threads.removeAll()
    }

    deinit { joinAll() }
}

private final class ThroughputThreadBody: @unchecked Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
