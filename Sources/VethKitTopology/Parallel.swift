import Glibc
import Synchronization

/// Runs `body(i)` for i in 0..<count on `workers` dedicated pthreads (never Swift concurrency
/// pool threads: bodies may enter namespaces through ``NetworkNamespace/run(_:)``). Returns the
/// errors by index; every index runs even when some fail, unless `stopOnError`.
///
/// `callerWorks: false` keeps the calling thread out of the work: bodies may then move their
/// thread into namespaces (setns/unshare), because every worker is a fresh pthread that exits
/// afterwards, and the caller's namespace never changes.
func parallelFor(_ count: Int, workers: Int = Parallelism.workers, stopOnError: Bool = false, callerWorks: Bool = true,
                 _ body: @escaping @Sendable (Int) throws -> Void) -> [(Int, Error)] {
    if count == 0 { return [] }
    let next = Locked(0)
    let failures = Locked<[(Int, Error)]>([])
    let n = max(1, min(workers, count))
    @Sendable func work() {
        while true {
            let i: Int? = next.with { v in
                guard v < count else { return nil }
                v += 1
                return v - 1
            }
            guard let i else { return }
            do { try body(i) } catch {
                failures.with { $0.append((i, error)) }
                if stopOnError { next.with { $0 = count } }
            }
        }
    }
    if n == 1 && callerWorks {
        work()
    } else {
        var threads: [pthread_t] = []
        for _ in 0..<(callerWorks ? n - 1 : n) {
            do { threads.append(try WorkerThread.start(stackSize: 1 << 20, work)) } catch {
                // No more threads to be had (resource limits): the ones started (or the caller)
                // do the work; with none at all, and the caller kept out, it fails.
                if callerWorks || !threads.isEmpty { break }
                return [(0, error)]
            }
        }
        if callerWorks { work() }
        for t in threads { pthread_join(t, nil) }
    }
    return failures.value.sorted { $0.0 < $1.0 }
}

/// A worker pthread of ``parallelFor(_:workers:stopOnError:callerWorks:_:)``.
enum WorkerThread {
    struct StartFailed: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { "could not start a worker thread (pthread_create: error \(errno))" }
    }

    private final class Job {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    /// Starts a joinable pthread running `work`; throws ``StartFailed`` when the system refuses one.
    static func start(stackSize: Int, _ work: @escaping @Sendable () -> Void) throws -> pthread_t {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, stackSize)
        let job = Unmanaged.passRetained(Job(work))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attr, { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
            job.work()
            return nil
        }, job.toOpaque())
        if rc != 0 {
            job.release()
            throw StartFailed(errno: rc)
        }
        return thread
    }
}

/// How many worker threads namespace work uses.
public enum Parallelism {
    /// The number of CPUs, at least 1, at most 8; `VETHKIT_WORKERS` (1…64) overrides it (for
    /// benchmarks). Read once, when first used.
    public static let workers: Int = {
        if let s = getenv("VETHKIT_WORKERS"), let n = Int(String(cString: s)), n >= 1 { return min(n, 64) }
        return max(1, min(8, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()
}

/// A lock-protected value for collecting results from workers.
final class Locked<T>: @unchecked Sendable {
    private let mutex = Mutex(())
    private var v: T
    init(_ v: T) { self.v = v }
    func with<R>(_ f: (inout T) throws -> R) rethrows -> R {
        try mutex.withLock { _ in try f(&v) }
    }
    var value: T { with { $0 } }
}
