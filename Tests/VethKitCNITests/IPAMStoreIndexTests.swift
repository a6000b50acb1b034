import Foundation
import VethKit
import XCTest
@testable import VethKitCNI

/// The attachment markers that let ADD refuse a duplicate without reading every reservation.
final class IPAMStoreIndexTests: XCTestCase {
    let fm = FileManager.default

    func ipam(_ dir: String) throws -> BuiltinIPAM {
        try BuiltinIPAM(ipam: json(#"{"type":"vethkit","dataDir":"\#(dir)","subnet":"10.21.0.0/24"}"#), network: "net1")
    }
    func att(_ id: String) -> NetworkConfig.Attachment { .init(containerID: id, ifname: "eth0") }
    func markers(_ dir: String) throws -> [String] {
        try fm.contentsOfDirectory(atPath: "\(dir)/net1").filter { $0.hasPrefix(".a-") }.sorted()
    }

    func testMarkersFollowReservations() throws {
        let dir = temporaryDirectory(self)
        let p = try ipam(dir)
        for id in ["a", "b", "c"] { _ = try p.add(att(id)) }
        XCTAssertEqual(try markers(dir), [IPAMStore.markerName(att("a")), IPAMStore.markerName(att("b")), IPAMStore.markerName(att("c"))].sorted())
        try p.del(att("b"))
        XCTAssertFalse(try markers(dir).contains(IPAMStore.markerName(att("b"))), "DEL drops the marker with the reservation")
        _ = try p.gc(keep: [att("a")])
        XCTAssertEqual(try markers(dir), [IPAMStore.markerName(att("a"))], "GC keeps only the kept attachment's marker")
        // A refused ADD (pool exhausted) leaves no marker either.
        let small = try BuiltinIPAM(ipam: json(#"{"type":"vethkit","dataDir":"\#(dir)","subnet":"10.22.0.0/30"}"#), network: "net2")
        _ = try small.add(att("x"))
        assertCNIError(.tryAgainLater) { try small.add(att("y")) }
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: "\(dir)/net2").filter { $0.hasPrefix(".a-") }, [IPAMStore.markerName(att("x"))])
    }

    /// A store written before the markers existed (or by host-local): indexed at the first ADD,
    /// so a duplicate of an attachment it already holds is still refused.
    func testStoreWithoutIndexIsIndexedFirst() throws {
        let dir = temporaryDirectory(self)
        try fm.createDirectory(atPath: "\(dir)/net1", withIntermediateDirectories: true)
        fm.createFile(atPath: "\(dir)/net1/10.21.0.9", contents: Data("old\r\neth0".utf8))
        let p = try ipam(dir)
        assertCNIError(.duplicateAttachment) { try p.add(att("old")) }
        XCTAssertTrue(fm.fileExists(atPath: "\(dir)/net1/\(IPAMStore.indexFile)"))
        XCTAssertTrue(try markers(dir).contains(IPAMStore.markerName(att("old"))))
    }

    /// A marker without a reservation (a crash between the two) only costs a read: ADD succeeds.
    func testStaleMarkerDoesNotBlock() throws {
        let dir = temporaryDirectory(self)
        let p = try ipam(dir)
        _ = try p.add(att("first"))   // creates the store and its index
        fm.createFile(atPath: "\(dir)/net1/\(IPAMStore.markerName(att("crashed")))", contents: Data())
        XCTAssertNoThrow(try p.add(att("crashed")))
        assertCNIError(.duplicateAttachment) { try p.add(att("crashed")) }
    }

    /// DEL reads nothing for an attachment without a marker in an indexed store (a second DEL, a
    /// DEL after a refused ADD); an attachment with one is released. A file another plugin wrote
    /// into the indexed store afterwards (no marker) is not ours: left alone.
    func testDelWithoutMarkerReadsNothing() throws {
        let dir = temporaryDirectory(self)
        let p = try ipam(dir)
        _ = try p.add(att("a"))
        fm.createFile(atPath: "\(dir)/net1/10.21.0.77", contents: Data("foreign\r\neth0".utf8))
        try BuiltinIPAM.release(att("foreign"), dataDir: dir, network: "net1")
        XCTAssertTrue(fm.fileExists(atPath: "\(dir)/net1/10.21.0.77"), "no marker: not ours, not read")
        try BuiltinIPAM.release(att("a"), dataDir: dir, network: "net1")
        XCTAssertFalse(fm.fileExists(atPath: "\(dir)/net1/10.21.0.2"), "a's reservation released")
        XCTAssertEqual(try markers(dir), [], "and its marker")
        // Without the index (an older or host-local store) DEL reads the store as before.
        try fm.removeItem(atPath: "\(dir)/net1/\(IPAMStore.indexFile)")
        try BuiltinIPAM.release(att("foreign"), dataDir: dir, network: "net1")
        XCTAssertFalse(fm.fileExists(atPath: "\(dir)/net1/10.21.0.77"), "released by a full read")
    }
}
