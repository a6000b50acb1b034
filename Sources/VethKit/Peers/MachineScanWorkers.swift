import Glibc
import Netlink
import Synchronization

/// A few dedicated pthreads sharing a list of jobs: each worker takes the next job index until
/// none is left. The machine scan's workers move into namespace after namespace (setns), so they
/// are pthreads of their own that exit afterwards (never Swift concurrency threads, never the
/// caller's); a pool of about one per core costs a few thread creations for any number of
/// namespaces, instead of one per namespace.
enum MachineScanWorkers {
    /// The default worker count: the CPUs online.
    static var defaultCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Runs `job(i)` for every i in 0..<count on up to `threads` new pthreads and waits for all.
    /// Throws only when not a single thread could be started (no job ran then).
    static func run(count: Int, threads: Int, _ job: @escaping @Sendable (Int) -> Void) throws {
        try start(count: count, threads: threads, job).join()
    }

    /// Started workers: ``join()`` waits for them (it must be called, once).
    struct Running {
        fileprivate var threads: [pthread_t]
        fileprivate var error: Error?

        /// Waits for every worker; throws when not a single one could be started.
        func join() throws {
            for t in threads { pthread_join(t, nil) }
            if threads.isEmpty, let error { throw error }
        }
    }

    /// Starts the workers of ``run(count:threads:_:)`` without waiting for them: the caller's
    /// thread does something else meanwhile (discovery), then joins.
    static func start(count: Int, threads: Int, _ job: @escaping @Sendable (Int) -> Void) -> Running {
        guard count > 0 else { return Running(threads: [], error: nil) }
        let next = Counter()
        let work: @Sendable () -> Void = {
            while true {
                let i = next.value.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= count { return }
                job(i)
            }
        }
        var started: [pthread_t] = []
        var firstError: Error?
        for _ in 0..<max(1, min(threads, count)) {
            do { started.append(try startDedicatedThread(work)) } catch {
                firstError = firstError ?? error
                break
            }
        }
        return Running(threads: started, error: firstError)
    }

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }
}

/// Per-job results written by the workers, one slot per job (each slot by exactly one worker;
/// joining the workers orders the writes before the caller reads them).
final class MachineScanSlots<T>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<T?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        _ = slots.deinitialize()
        slots.deallocate()
    }

    subscript(i: Int) -> T? {
        get { slots[i] }
        set { slots[i] = newValue }
    }
}
