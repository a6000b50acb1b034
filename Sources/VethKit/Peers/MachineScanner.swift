import Glibc
import Netlink

/// The scan's state across its phases: the caller's namespace (opened once), the worker count,
/// and reads of namespaces — started in the background (``startReading(_:)``), finished, then
/// assembled into a ``MachinePeerMap`` over the namespaces asked for (``map(for:reads:)``).
struct MachineScanner {
    let workers: Int
    /// The caller's namespace, or why it could not be opened.
    let callers: Result<(ns: NetworkNamespace, id: NamespaceID), Error>

    init(threads: Int?) {
        workers = max(1, threads ?? MachineScanWorkers.defaultCount)
        callers = Result {
            let ns = try NetworkNamespace.current()
            return (ns, try ns.identity())
        }
    }

    /// Reads of some namespaces, by worker threads that may still be running until ``finish()``.
    struct Reads {
        let spaces: [DiscoveredNamespace]
        let slots: MachineScanSlots<Result<MachineScanReading, Error>>
        var running: MachineScanWorkers.Running?
        var startError: Error?
        var byID: [NamespaceID: Int] = [:]

        /// Waits for the workers.
        mutating func finish() {
            if let r = running {
                do { try r.join() } catch { startError = error }
                running = nil
            }
        }

        /// The finished read of `id`, when it was read successfully.
        func reading(of id: NamespaceID) -> MachineScanReading? {
            guard running == nil, let i = byID[id], case .success(let r)? = slots[i] else { return nil }
            return r
        }

        /// Why `id` could not be read, when it was tried and failed.
        func failure(of id: NamespaceID) -> String? {
            guard let i = byID[id] else { return nil }
            if let startError { return "no worker thread could be started: \(startError)" }
            if case .failure(let e)? = slots[i] { return "\(e)" }
            return slots[i] == nil ? "not read" : nil
        }
    }

    /// Starts reading `namespaces` (each id once) on the worker threads.
    func startReading(_ namespaces: [DiscoveredNamespace]) -> Reads {
        var spaces: [DiscoveredNamespace] = []
        var byID: [NamespaceID: Int] = [:]
        for d in namespaces where byID[d.id] == nil {
            byID[d.id] = spaces.count
            spaces.append(d)
        }
        let slots = MachineScanSlots<Result<MachineScanReading, Error>>(count: spaces.count)
        var reads = Reads(spaces: spaces, slots: slots, byID: byID)
        guard case .success(let c) = callers else { return reads }
        let list = spaces
        reads.running = MachineScanWorkers.start(count: list.count, threads: workers) { i in
            slots[i] = Result { try MachineScanRead.read(list[i], isCallers: list[i].id == c.id, callers: c.ns) }
        }
        return reads
    }

    /// The map over `namespaces` (each id once, in this order) from finished reads: the first
    /// successful read of each namespace counts; one never read successfully is a failure.
    func map(for namespaces: [DiscoveredNamespace], reads: [Reads]) -> MachinePeerMap {
        var spaces: [DiscoveredNamespace] = []
        var seen = Set<NamespaceID>()
        for d in namespaces where seen.insert(d.id).inserted { spaces.append(d) }
        var failures: [NamespaceID: String] = [:]
        guard case .success(let c) = callers else {
            if case .failure(let e) = callers {
                for d in spaces { failures[d.id] = "the caller's namespace cannot be opened: \(e)" }
            }
            return MachinePeerMap(pairs: [], readings: [:], failures: failures)
        }
        var readings: [MachineScanReading?] = []
        var readingsByID: [NamespaceID: NamespaceReading] = [:]
        for d in spaces {
            if let r = reads.lazy.compactMap({ $0.reading(of: d.id) }).first {
                readings.append(r)
                readingsByID[d.id] = NamespaceReading(id: d.id, loopbackAlias: r.loopbackAlias, linkCount: r.linkCount)
            } else {
                readings.append(nil)
                failures[d.id] = reads.reversed().lazy.compactMap { $0.failure(of: d.id) }.first ?? "not read"
            }
        }
        let callerSpace = spaces.firstIndex { $0.id == c.id }
        let resolution = MachineScanResolution(readings: readings, callerSpace: callerSpace)
        var (peers, open) = resolution.settleFromReadings()
        resolution.resolve(open, into: &peers, threads: workers)
        open.removeAll()
        return MachinePeerMap(pairs: MachinePeerMap.pairs(spaces: spaces, resolution: resolution, peers: peers),
                              readings: readingsByID, failures: failures)
    }
}
