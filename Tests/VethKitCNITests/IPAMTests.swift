import Foundation
import VethKit
import XCTest
@testable import VethKitCNI

final class IPAMTests: XCTestCase {
    func ipam(_ dir: String, _ ranges: String = #""subnet":"10.5.0.0/29""#) throws -> BuiltinIPAM {
        try BuiltinIPAM(ipam: json(#"{"type":"vethkit","dataDir":"\#(dir)",\#(ranges),"routes":[{"dst":"0.0.0.0/0"}]}"#), network: "net1")
    }
    func att(_ i: Int, _ ifname: String = "eth0") -> NetworkConfig.Attachment { .init(containerID: "c\(i)", ifname: ifname) }

    func testAllocatesInOrderSkipsGatewayAndExhaustsSlash29() throws {
        let dir = temporaryDirectory(self)
        let p = try ipam(dir)
        // /29: .1 gateway, .2–.6 usable (5 addresses), .7 broadcast.
        var got: [String] = []
        for i in 0..<5 {
            let r = try p.add(att(i))
            XCTAssertEqual(r.ips.count, 1)
            XCTAssertEqual(r.ips[0].gateway, IPAddress("10.5.0.1"))
            XCTAssertEqual(r.ips[0].address.prefixLength, 29)
            XCTAssertEqual(r.routes.map(\.dst.description), ["0.0.0.0/0"])
            got.append(r.ips[0].address.address.description)
        }
        XCTAssertEqual(got, ["10.5.0.2", "10.5.0.3", "10.5.0.4", "10.5.0.5", "10.5.0.6"])
        assertCNIError(.tryAgainLater) { try p.add(att(99)) }
        assertCNIError(.notAvailable) { try p.status() }
        // Nothing is held by the failed ADD.
        XCTAssertEqual(try p.openStore().reservations().count, 5)
        // Release one: the pool has room again; the freed address is the one handed out.
        try p.del(att(2))
        XCTAssertNoThrow(try p.status())
        XCTAssertEqual(try p.add(att(100)).ips[0].address.address, IPAddress("10.5.0.4"))
    }

    func testReleaseIsExactAndIdempotent() throws {
        let dir = temporaryDirectory(self)
        let p = try ipam(dir, #""subnet":"10.6.0.0/24""#)
        let a = try p.add(att(1, "eth0")).ips[0].address.address
        let b = try p.add(att(1, "net1")).ips[0].address.address
        let c = try p.add(att(2, "eth0")).ips[0].address.address
        try p.del(att(1, "eth0"))
        try p.del(att(1, "eth0"))
        try p.del(att(42))
        let left = Set(try p.openStore().reservations().map(\.0))
        XCTAssertEqual(left, [b, c])
        XCTAssertFalse(left.contains(a))
        // host-local's file layout: one file per address, "id\r\nifname".
        XCTAssertEqual(try String(contentsOfFile: "\(dir)/net1/\(b)", encoding: .utf8), "c1\r\nnet1")
    }

    func testRoundRobinDoesNotReuseAtOnce() throws {
        let p = try ipam(temporaryDirectory(self), #""subnet":"10.7.0.0/24""#)
        let first = try p.add(att(1)).ips[0].address.address
        try p.del(att(1))
        XCTAssertNotEqual(try p.add(att(2)).ips[0].address.address, first)
    }

    func testDualStackAndRangeStartEnd() throws {
        let p = try ipam(temporaryDirectory(self), #""ranges":[[{"subnet":"10.8.0.0/24","rangeStart":"10.8.0.100","rangeEnd":"10.8.0.101"}],[{"subnet":"fd01::/64"}]]"#)
        let r1 = try p.add(att(1))
        XCTAssertEqual(r1.ips.map(\.address.description), ["10.8.0.100/24", "fd01::2/64"])
        XCTAssertEqual(r1.ips[1].gateway, IPAddress("fd01::1"))
        XCTAssertEqual(try p.add(att(2)).ips[0].address.description, "10.8.0.101/24")
        // v4 set exhausted: the v6 reservation of the failed ADD is rolled back too.
        assertCNIError(.tryAgainLater) { try p.add(att(3)) }
        XCTAssertEqual(try p.openStore().reservations().filter { $0.1?.containerID == "c3" }.count, 0)
    }

    func testMultipleRangesInOneSet() throws {
        let p = try ipam(temporaryDirectory(self), #""ranges":[[{"subnet":"10.9.0.0/30"},{"subnet":"10.9.1.0/30"}]]"#)
        let got = try (0..<2).map { try p.add(att($0)).ips[0].address.description }
        XCTAssertEqual(got, ["10.9.0.2/30", "10.9.1.2/30"])
        assertCNIError(.tryAgainLater) { try p.add(att(9)) }
    }

    func testGCKeepsOnlyValidAttachments() throws {
        let p = try ipam(temporaryDirectory(self), #""subnet":"10.10.0.0/24""#)
        for i in 0..<6 { _ = try p.add(att(i)) }
        let removed = try p.gc(keep: [att(1), att(4)])
        XCTAssertEqual(removed.count, 4)
        XCTAssertEqual(Set(try p.openStore().reservations().compactMap { $0.1?.containerID }), ["c1", "c4"])
        XCTAssertEqual(try p.gc(keep: []).count, 2)
    }

    func testCheckReportsMissingReservation() throws {
        let p = try ipam(temporaryDirectory(self), #""subnet":"10.11.0.0/24""#)
        let r = try p.add(att(1))
        XCTAssertNoThrow(try p.check(att(1), ips: r.ips.map(\.address)))
        assertCNIError(.reservationDrift) { try p.check(att(2), ips: r.ips.map(\.address)) }
        try p.del(att(1))
        assertCNIError(.reservationDrift) { try p.check(att(1), ips: r.ips.map(\.address)) }
    }

    /// Crash safety: a temporary file left by a crashed writer is neither a reservation nor an
    /// obstacle; a half-written final file cannot exist (link is atomic), and an existing
    /// reservation file is never overwritten.
    func testCrashLeftoversAndNoOverwrite() throws {
        let dir = temporaryDirectory(self)
        let p = try ipam(dir, #""subnet":"10.12.0.0/29""#)
        let store = try p.openStore()
        FileManager.default.createFile(atPath: "\(dir)/net1/.tmp-999-1", contents: Data("crash\r\neth0".utf8))
        // A reservation made by "another process" before us for .2.
        FileManager.default.createFile(atPath: "\(dir)/net1/10.12.0.2", contents: Data("other\r\neth0".utf8))
        let r = try p.add(att(1))
        XCTAssertEqual(r.ips[0].address.address, IPAddress("10.12.0.3"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/net1/.tmp-999-1"), "stale temporary removed under the lock")
        XCTAssertEqual(store.owner(of: IPAddress("10.12.0.2")!), .init(containerID: "other", ifname: "eth0"))
        XCTAssertFalse(try store.withLock { try store.reserve(IPAddress("10.12.0.2")!, for: att(5)) })
        XCTAssertEqual(store.owner(of: IPAddress("10.12.0.2")!)?.containerID, "other")
        // A garbage last_reserved hint is ignored.
        try "garbage".write(toFile: "\(dir)/net1/last_reserved_ip.0", atomically: false, encoding: .utf8)
        XCTAssertEqual(try p.add(att(2)).ips[0].address.address, IPAddress("10.12.0.4"))
    }

    /// Many threads, each with its own store object (own lock file descriptor, as separate
    /// processes have): no address is handed out twice, every one of them is used.
    func testConcurrentAllocationNeverDuplicates() throws {
        let dir = temporaryDirectory(self)
        let n = 60
        final class Box: @unchecked Sendable {
            var results = [IPAddress?](repeating: nil, count: 60)
            let lock = NSLock()
        }
        let box = Box()
        let ranges = #""subnet":"10.13.0.0/26""#  // 61 usable addresses (gateway excluded)
        let cfg = json(#"{"type":"vethkit","dataDir":"\#(dir)",\#(ranges)}"#)
        DispatchQueue.concurrentPerform(iterations: n) { i in
            let ip = try? BuiltinIPAM(ipam: cfg, network: "net1").add(.init(containerID: "c\(i)", ifname: "eth0")).ips[0].address.address
            box.lock.lock(); box.results[i] = ip; box.lock.unlock()
        }
        let results = box.results
        let got = results.compactMap { $0 }
        XCTAssertEqual(got.count, n, "every thread got an address")
        XCTAssertEqual(Set(got).count, n, "an address was handed out twice")
        let onDisk = try ipam(dir, #""subnet":"10.13.0.0/26""#).openStore().reservations()
        XCTAssertEqual(onDisk.count, n)
    }

    /// Separate processes: the plugin binary's STATUS/GC paths need no kernel for a built-in IPAM,
    /// but ADD does; concurrency across processes is covered by the kernel tests (50 parallel ADDs).
    func testDelGCStatusCheckCreateNothing() throws {
        let dir = temporaryDirectory(self) + "/never"
        let p = try ipam(dir, #""subnet":"10.14.0.0/24""#)
        try p.del(att(1))
        XCTAssertEqual(try p.gc(keep: []), [])
        XCTAssertNoThrow(try p.status())
        assertCNIError(.reservationDrift) { try p.check(att(1), ips: [try IPNetwork("10.14.0.2/24")]) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "no store created by DEL/GC/STATUS/CHECK")
        _ = try p.add(att(1))
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/net1/lock"))
    }

    func testStoreRefusesBadNetworkName() {
        assertCNIError(.invalidNetworkConfig) { try IPAMStore(dataDir: "/tmp", network: "../x") }
    }
}
