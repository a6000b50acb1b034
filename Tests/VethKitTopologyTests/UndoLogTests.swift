import Glibc
import VethKit
@testable import VethKitTopology
import XCTest

/// The undo log of `up` (UndoLog.swift): order of replay, grouping of bulk removals, appends
/// from many threads, every step kind handed to the undo and reported when it fails.
final class UndoLogTests: XCTestCase {
    func net(_ s: String) throws -> IPNetwork { try IPNetwork(s) }

    /// One step of every kind, in the order a run makes them.
    func everyKind() throws -> [UndoStep] {
        [.removeNamespace("t-a"), .removeHostLink("veth1"), .restoreSysctl(node: "r1", key: "net.ipv4.ip_forward", value: "0"),
         .removeLink(node: "r1", name: "br9"), .restoreLinkEdit(node: "r1", name: "eth0", old: Plan.LinkEdit(mtu: 1500)),
         .removeAddress(node: "r1", interface: "eth0", address: try net("10.0.0.9/24")),
         .removeRoute(node: "r1", route: Topology.Route(to: try net("10.9.0.0/16"), via: IPAddress("10.0.0.1")!)),
         .removeMasquerade(node: "host", source: try net("10.0.0.0/24"))]
    }

    func testReplayIsNewestFirst() throws {
        let log = UndoLog()
        let steps = try everyKind().filter { !$0.isBulkRemoval }
        for s in steps { log.append(s) }
        XCTAssertEqual(log.steps, steps, "kept in the order appended")
        XCTAssertEqual(log.replayOrder(), steps.reversed().map { [$0] })
        var seen: [UndoStep] = []
        XCTAssertEqual(log.replay { seen += $0 }, [])
        XCTAssertEqual(seen, steps.reversed())
    }

    /// Namespaces and host links next to each other (parallel workers interleave them) go as one
    /// group, newest first inside it; any other step between them splits the groups.
    func testNeighbouringBulkRemovalsAreOneGroup() throws {
        let log = UndoLog()
        let sysctl = UndoStep.restoreSysctl(node: "r1", key: "net.ipv4.ip_forward", value: "0")
        log.append(contentsOf: [.removeNamespace("t-a"), .removeHostLink("h-a"), .removeNamespace("t-b"), sysctl,
                                .removeHostLink(".vk0000010000001"), .removeHostLink("br0")])
        XCTAssertEqual(log.replayOrder(), [[.removeHostLink("br0"), .removeHostLink(".vk0000010000001")], [sysctl],
                                           [.removeNamespace("t-b"), .removeHostLink("h-a"), .removeNamespace("t-a")]])
    }

    /// Every kind of step reaches the undo exactly once; a failing one is a problem naming what
    /// it undoes, and the replay goes on with the older steps.
    func testEveryStepKindIsUndoneAndFailuresAreReported() throws {
        let log = UndoLog()
        let steps = try everyKind()
        log.append(contentsOf: steps)
        struct Refused: Error, CustomStringConvertible { var description: String { "refused" } }
        var seen: [UndoStep] = []
        let problems = log.replay { group in
            seen += group
            if group.contains(.removeLink(node: "r1", name: "br9")) { throw Refused() }
        }
        XCTAssertEqual(seen, steps.reversed(), "every step, newest first, also after a failure")
        XCTAssertEqual(problems, ["link r1/br9: refused"])
        // Each kind names what it undoes (the rollback's problems).
        XCTAssertEqual(steps.map(\.description), [
            "namespace t-a", "host link veth1", "sysctl r1: net.ipv4.ip_forward", "link r1/br9", "link r1/eth0",
            "address 10.0.0.9/24 on r1/eth0", "route r1: 10.9.0.0/16 via 10.0.0.1", "masquerade 10.0.0.0/24 in host",
        ])
        // A failed bulk group is one problem.
        let bulk = UndoLog()
        bulk.append(contentsOf: [.removeNamespace("t-a"), .removeHostLink("veth1")])
        XCTAssertEqual(bulk.replay { _ in throw Refused() }, ["2 namespaces and host links: refused"])
    }

    /// Workers append at the same time (the namespace pipeline): nothing is lost, and each
    /// worker's own steps stay in its order.
    func testConcurrentAppendsKeepEveryStepAndEachWorkersOrder() {
        let log = UndoLog()
        let workers = 8
        let each = 2000
        let failures = parallelFor(workers, workers: workers, callerWorks: false) { w in
            for i in 0..<each {
                if i % 2 == 0 { log.append(.removeHostLink("w\(w)-\(i)")) } else { log.append(contentsOf: [.removeNamespace("w\(w)-\(i)")]) }
            }
        }
        XCTAssertEqual(failures.count, 0)
        let steps = log.steps
        XCTAssertEqual(steps.count, workers * each)
        var byWorker: [Int: [Int]] = [:]
        for s in steps {
            let name: String
            switch s {
            case .removeHostLink(let n), .removeNamespace(let n): name = n
            default: return XCTFail("unexpected \(s)")
            }
            let parts = name.dropFirst().split(separator: "-")
            byWorker[Int(parts[0])!, default: []].append(Int(parts[1])!)
        }
        for w in 0..<workers { XCTAssertEqual(byWorker[w], Array(0..<each), "worker \(w)'s steps in its order") }
        // All bulk removals: one group, the whole log newest first.
        XCTAssertEqual(log.replayOrder(), [steps.reversed()])
    }

    /// parallelFor runs every index on dedicated threads, the caller's thread kept out when asked.
    func testParallelForRunsEveryIndexOffTheCallersThread() {
        let caller = pthread_self()
        let ran = Locked<[Int]>([])
        let onCaller = Locked(0)
        let failures = parallelFor(100, workers: 4, callerWorks: false) { i in
            ran.with { $0.append(i) }
            if pthread_equal(pthread_self(), caller) != 0 { onCaller.with { $0 += 1 } }
            if i == 42 { throw InvalidInput("test", "42", "injected") }
        }
        XCTAssertEqual(ran.value.sorted(), Array(0..<100))
        XCTAssertEqual(onCaller.value, 0)
        XCTAssertEqual(failures.map(\.0), [42])
    }

    func testFixedPointText() {
        XCTAssertEqual(FixedPoint.text(1.23456, places: 3), "1.235")
        XCTAssertEqual(FixedPoint.text(0.0004, places: 3), "0.000")
        XCTAssertEqual(FixedPoint.text(12.05, places: 1), "12.1")
        XCTAssertEqual(FixedPoint.text(-0.25, places: 1), "-0.3")
        XCTAssertEqual(FixedPoint.text(7, places: 0), "7")
        XCTAssertEqual(Timing.line([Timing("lock", seconds: 0.0001), Timing("veths", seconds: 0.0123)]), "timings: lock 0.1 ms, veths 12.3 ms")
    }
}
