import Foundation

/// Runs `body(i)` for i in 0..<count on `workers` dedicated threads (never Swift concurrency pool
/// threads: bodies may enter namespaces through ``NetworkNamespace/run(_:)``). Returns the errors
/// by index; every index runs even when some fail, unless `stopOnError`.
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
        let done = DispatchGroup()
        for _ in 0..<(callerWorks ? n - 1 : n) {
            done.enter()
            let t = Thread { work(); done.leave() }
            t.stackSize = 1 << 20
            t.start()
        }
        if callerWorks { work() }
        done.wait()
    }
    return failures.value.sorted { $0.0 < $1.0 }
}

public enum Parallelism {
    /// Worker threads for namespace work: the number of CPUs, at least 1, at most 8.
    nonisolated(unsafe) public static var workers: Int = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
}

/// A lock-protected value for collecting results from workers.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: T
    init(_ v: T) { self.v = v }
    func with<R>(_ f: (inout T) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try f(&v)
    }
    var value: T { with { $0 } }
}
