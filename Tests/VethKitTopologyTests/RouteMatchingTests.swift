import VethKit
@testable import VethKitTopology
import XCTest

/// The engine's one route-matching rule (RouteMatching.swift): the planner's "already there"
/// and `down`'s "ours to delete", and the kernel routes `up` sends.
final class RouteMatchingTests: XCTestCase {
    func route(_ to: String, via: String, dev: String? = nil, metric: Int? = nil) throws -> Topology.Route {
        Topology.Route(to: try IPNetwork(to), via: IPAddress(via)!, dev: dev, metric: metric)
    }
    func live(_ to: String, via: String?, dev: String? = nil, metric: Int? = nil) throws -> LiveState.RouteEntry {
        LiveState.RouteEntry(to: try IPNetwork(to), via: via.map { IPAddress($0)! }, dev: dev, metric: metric)
    }

    func testDestinationIsComparedMaskedAndGatewayExactly() throws {
        let r = try route("10.1.2.3/16", via: "10.0.0.1")
        XCTAssertTrue(r.matches(try live("10.1.0.0/16", via: "10.0.0.1")))
        XCTAssertFalse(r.matches(try live("10.1.0.0/24", via: "10.0.0.1")), "another prefix length")
        XCTAssertFalse(r.matches(try live("10.2.0.0/16", via: "10.0.0.1")), "another destination")
        XCTAssertFalse(r.matches(try live("10.1.0.0/16", via: "10.0.0.2")), "another gateway")
        XCTAssertFalse(r.matches(try live("10.1.0.0/16", via: nil)), "no gateway")
        let d = try route("0.0.0.0/0", via: "10.0.0.1")
        XCTAssertTrue(d.matches(try live("0.0.0.0/0", via: "10.0.0.1")))
        XCTAssertFalse(d.matches(try live("::/0", via: "10.0.0.1")), "the other family's default")
    }

    func testAnUnsetDevMatchesAnyASetOneOnlyItself() throws {
        XCTAssertTrue(try route("10.1.0.0/16", via: "10.0.0.1").matches(try live("10.1.0.0/16", via: "10.0.0.1", dev: "eth0")))
        let r = try route("10.1.0.0/16", via: "10.0.0.1", dev: "eth0")
        XCTAssertTrue(r.matches(try live("10.1.0.0/16", via: "10.0.0.1", dev: "eth0")))
        XCTAssertFalse(r.matches(try live("10.1.0.0/16", via: "10.0.0.1", dev: "eth1")))
        XCTAssertFalse(r.matches(try live("10.1.0.0/16", via: "10.0.0.1")), "dev unknown (an index without a name)")
    }

    func testAnUnsetMetricMatchesTheKernelDefaultsASetOneOnlyItself() throws {
        let r = try route("10.1.0.0/16", via: "10.0.0.1")
        for m in [nil, 0, 1024] { XCTAssertTrue(r.matches(try live("10.1.0.0/16", via: "10.0.0.1", metric: m)), "\(m as Any)") }
        XCTAssertFalse(r.matches(try live("10.1.0.0/16", via: "10.0.0.1", metric: 100)))
        let m = try route("10.1.0.0/16", via: "10.0.0.1", metric: 100)
        XCTAssertTrue(m.matches(try live("10.1.0.0/16", via: "10.0.0.1", metric: 100)))
        XCTAssertFalse(m.matches(try live("10.1.0.0/16", via: "10.0.0.1", metric: 0)))
        XCTAssertFalse(m.matches(try live("10.1.0.0/16", via: "10.0.0.1")))
    }

    /// A user's route of the same kernel key (destination, metric) collides whatever its gateway.
    func testCollisionIsTheKernelKey() throws {
        let r = try route("10.1.0.0/16", via: "10.0.0.1")
        XCTAssertTrue(r.collides(with: try live("10.1.0.0/16", via: "10.0.0.9")))
        XCTAssertTrue(r.collides(with: try live("10.1.0.0/16", via: "10.0.0.9", metric: 0)))
        XCTAssertFalse(r.collides(with: try live("10.1.0.0/16", via: "10.0.0.9", metric: 50)))
        XCTAssertFalse(r.collides(with: try live("10.2.0.0/16", via: "10.0.0.1")))
        let v6 = try route("fd00:1::/64", via: "fd00::1")
        XCTAssertTrue(v6.collides(with: try live("fd00:1::/64", via: "fd00::9", metric: 1024)))
        XCTAssertTrue(try route("10.1.0.0/16", via: "10.0.0.1", metric: 50).collides(with: try live("10.1.0.0/16", via: nil, metric: 50)))
    }

    /// `down` matches kernel routes through the same rule: a kernel route read back (dev as an
    /// index) is the declared one it came from, and only that.
    func testKernelRoutesReadBackMatchTheirDeclaration() throws {
        let names: [Int32: String] = [7: "br0"]
        let declared = [try route("0.0.0.0/0", via: "192.168.1.1"), try route("10.1.0.0/16", via: "192.168.1.1", dev: "br0", metric: 20),
                        try route("::/0", via: "fd00::1")]
        for d in declared {
            var k = d.kernelRoute(device: d.dev == nil ? nil : .index(7))
            XCTAssertEqual(k.protocol, .vethkit, "marked as vethkit's")
            XCTAssertEqual(k.isDefault, d.isDefault)
            XCTAssertEqual(k.metric, d.metric.map(UInt32.init))
            // As the kernel reports it: a metric always.
            if k.metric == nil { k.metric = d.via.isIPv4 ? 0 : 1024 }
            let back = LiveState.RouteEntry(k, names: names)
            XCTAssertEqual(back.proto, Ownership.routeProtocol)
            XCTAssertEqual(declared.filter { $0.matches(back) }, [d], "\(back)")
        }
        let other = LiveState.RouteEntry(VethKit.Route(destination: try IPNetwork("10.1.0.0/16"), gateway: IPAddress("192.168.1.1")!,
                                                       device: .index(8), metric: 20), names: names)
        XCTAssertEqual(other.dev, nil, "an index of no known link")
        XCTAssertFalse(declared[1].matches(other), "the file's dev is not known to be the route's")
    }
}
