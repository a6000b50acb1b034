import Glibc

/// Worker pthreads for a throughput test: one per sender and per receiver, started together and
/// joined together. They never change namespace (the sockets they use were opened inside theirs),
/// and they are never Swift concurrency threads: they block in send/recv for the whole test.
final class ThroughputThreads {
    private var threads: [pthread_t] = []

    /// Starts `body` on a new pthread.
    func start(_ body: @escaping @Sendable () -> Void) throws {
        threads.append(try startDedicatedThread(body))
    }

    /// Waits for every started thread.
    func joinAll() {
        for t in threads { pthread_join(t, nil) }
        threads.removeAll()
    }

    deinit { joinAll() }
}
