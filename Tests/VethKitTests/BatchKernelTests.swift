import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// NetworkBatch on the real kernel, in a namespace of the test's own: one result per operation,
/// a refusal in the middle leaves the rest applied, names resolved before anything is sent;
/// every outcome read back through VethKit and `ip -j`.
final class BatchKernelTests: XCTestCase {
    var nsName: NamespaceName!
    var h: NetHandle!

    override func setUpWithError() throws {
        try requireKernel()
        nsName = try NamespaceName("vk-b-\(uniqueSuffix())")
        h = try NetHandle(namespace: NetworkNamespace.create(nsName))
    }

    override func setUp() {
        super.setUp()
        addTeardownBlock { [weak self] in if let n = self?.nsName { try? NetworkNamespace.delete(n) } }
    }

    func testFailureInTheMiddleGivesPerOperationResultsAndTheRestApplied() throws {
        let bx = try InterfaceName("bx0"), by = try InterfaceName("by0")
        var bridge = LinkSpec.bridge(bx)
        bridge.attributes.index = 900      // chosen, so the same batch names it
        bridge.attributes.up = true
        var second = LinkSpec.bridge(by)
        second.attributes.index = 901
        second.attributes.up = true
        var batch = NetworkBatch()
        batch.addLink(bridge)                                                                  // 0
        batch.addAddress(try IPNetwork("10.60.0.1/24"), to: .name(bx))                         // 1 (name → 900)
        batch.addAddress(try IPNetwork("10.60.0.1/24"), to: .index(900))                       // 2 EEXIST
        batch.addRoute(Route(destination: try IPNetwork("10.61.0.0/16"), gateway: try IPAddress(parsing: "10.60.0.9"))) // 3
        batch.addRoute(Route(destination: try IPNetwork("10.62.0.0/16"), gateway: try IPAddress(parsing: "203.0.113.1"))) // 4 ENETUNREACH
        batch.addLink(second)                                                                  // 5
        batch.addAddress(try IPNetwork("fd00:60::1/64"), to: .index(901), noDAD: true, protocol: .vethkit) // 6
        batch.addRoute(Route(destination: try IPNetwork("10.63.0.0/16"), device: .name(by), metric: 5))     // 7 (name → 901)
        let results = try h.perform(batch, perSend: 3)   // three sendmsg calls: chunks of 3, 3, 2
        XCTAssertEqual(results.count, batch.count)
        let outcome = results.map { r -> String in
            switch r {
            case .success: "ok"
            case .failure(let e): e.errno.name
            }
        }
        XCTAssertEqual(outcome, ["ok", "ok", "EEXIST", "ok", "ENETUNREACH", "ok", "ok", "ok"])

        // Read back through VethKit.
        let links = try h.linksWithoutStatistics()
        XCTAssertEqual(links.first { $0.name == "bx0" }?.index, 900)
        XCTAssertEqual(links.first { $0.name == "by0" }?.index, 901)
        let addrs = try h.addresses().map { "\($0.network)@\($0.linkIndex)" }
        XCTAssertTrue(addrs.contains("10.60.0.1/24@900"), "\(addrs)")
        XCTAssertTrue(addrs.contains("fd00:60::1/64@901"), "\(addrs)")
        let routes = try h.routes()
        XCTAssertTrue(routes.contains { $0.destinationText == "10.61.0.0/16" && $0.gateway == IPAddress("10.60.0.9") && $0.device == .index(900) }, "\(routes)")
        XCTAssertTrue(routes.contains { $0.destinationText == "10.63.0.0/16" && $0.device == .index(901) && $0.metric == 5 }, "\(routes)")
        XCTAssertFalse(routes.contains { $0.destinationText == "10.62.0.0/16" }, "the refused route is there")

        // And through iproute2.
        let ns = nsName.rawValue
        let ipAddrs = try ipJSON("-n", ns, "addr", "show")
        func locals(_ dev: String) -> [String] {
            (ipAddrs.first { $0["ifname"] as? String == dev }?["addr_info"] as? [[String: Any]] ?? []).compactMap { $0["local"] as? String }
        }
        XCTAssertEqual(locals("bx0").filter { !$0.contains(":") }, ["10.60.0.1"])
        XCTAssertTrue(locals("by0").contains("fd00:60::1"), "\(locals("by0"))")
        let ipRoutes = try ipJSON("-n", ns, "route", "show")
        XCTAssertTrue(ipRoutes.contains { $0["dst"] as? String == "10.61.0.0/16" && $0["gateway"] as? String == "10.60.0.9" && $0["dev"] as? String == "bx0" }, "\(ipRoutes)")
        XCTAssertTrue(ipRoutes.contains { $0["dst"] as? String == "10.63.0.0/16" && $0["dev"] as? String == "by0" && $0["metric"] as? Int == 5 }, "\(ipRoutes)")
        XCTAssertFalse(ipRoutes.contains { $0["dst"] as? String == "10.62.0.0/16" })
        XCTAssertEqual(try ipJSON("-n", ns, "link", "show", "bx0").first?["ifindex"] as? Int, 900)
    }

    func testAMissingNameThrowsBeforeAnythingIsSent() throws {
        var batch = NetworkBatch()
        batch.addLink(.bridge(try InterfaceName("bz0")))
        batch.addAddress(try IPNetwork("10.70.0.1/24"), to: .name(try InterfaceName("nosuch0")))
        XCTAssertThrowsError(try h.perform(batch)) { e in
            XCTAssertEqual((e as? NotFound)?.kind, .link, "\(e)")
            XCTAssertEqual((e as? NotFound)?.name, "nosuch0", "\(e)")
        }
        XCTAssertNil(try h.linkIfPresent(named: InterfaceName("bz0")), "the batch's first operation was sent")
        XCTAssertTrue(try ipJSON("-n", nsName.rawValue, "link", "show").allSatisfy { $0["ifname"] as? String == "lo" })
        // Invalid input too: nothing sent.
        var bad = NetworkBatch()
        bad.addLink(.bridge(try InterfaceName("bz1")))
        var tiny = LinkSpec.bridge(try InterfaceName("bz2"))
        tiny.attributes.mtu = 10
        bad.addLink(tiny)
        XCTAssertThrowsError(try h.perform(bad)) { XCTAssertTrue($0 is InvalidInput, "\($0)") }
        XCTAssertNil(try h.linkIfPresent(named: InterfaceName("bz1")))
    }

    func testNamesAreResolvedByLookupAndMastersByReference() throws {
        // Six existing links named by name: more than a few, so one dump resolves them.
        var setup = NetworkBatch()
        for i in 0..<6 { setup.addLink(.bridge(try InterfaceName("rb\(i)"))) }
        XCTAssertTrue(try h.perform(setup).allSatisfy { if case .success = $0 { true } else { false } })
        try h.addLink(.veth(try InterfaceName("rv0"), peer: try InterfaceName("rv1")))
        var batch = NetworkBatch()
        for i in 0..<6 { batch.setLink(.name(try InterfaceName("rb\(i)")), LinkChange(up: true)) }
        batch.setLink(.name(try InterfaceName("rv0")), LinkChange(master: .set(.name(try InterfaceName("rb3")))))
        let results = try h.perform(batch)
        XCTAssertEqual(results.count, 7)
        XCTAssertTrue(results.allSatisfy { if case .success = $0 { true } else { false } }, "\(results)")
        let rb3 = try h.link(named: InterfaceName("rb3"))
        XCTAssertEqual(try h.link(named: InterfaceName("rv0")).masterIndex, rb3.index)
        XCTAssertTrue(try h.linksWithoutStatistics().filter { $0.name.hasPrefix("rb") }.allSatisfy(\.isUp))
        XCTAssertEqual(try ipJSON("-n", nsName.rawValue, "link", "show", "rv0").first?["master"] as? String, "rb3")
        // nomaster in a batch.
        var release = NetworkBatch()
        release.setLink(.name(try InterfaceName("rv0")), LinkChange(master: .nomaster))
        release.deleteLink(.name(try InterfaceName("rb5")))
        release.deleteLink(.name(try InterfaceName("nosuch1")))   // by name, no lookup: the kernel's ENODEV
        let r = try h.perform(release)
        guard case .success = r[0], case .success = r[1], case .failure(let e) = r[2] else { return XCTFail("\(r)") }
        XCTAssertEqual(e.errno, .operationNotSupportedByDevice)
        XCTAssertNil(try h.link(named: InterfaceName("rv0")).masterIndex)
        XCTAssertNil(try h.linkIfPresent(named: InterfaceName("rb5")))
    }

    func testLinksWithoutStatisticsCarryNoCounters() throws {
        try h.addLink(.veth(try InterfaceName("sv0"), peer: try InterfaceName("sv1")))
        let full = try h.links()
        let lean = try h.linksWithoutStatistics()
        XCTAssertEqual(full.map(\.name).sorted(), lean.map(\.name).sorted())
        XCTAssertEqual(Set(full.map(\.index)), Set(lean.map(\.index)))
        XCTAssertTrue(full.allSatisfy { $0.statistics != nil }, "a full dump has IFLA_STATS64 for every link")
        XCTAssertTrue(lean.allSatisfy { $0.statistics == nil }, "counters decoded by linksWithoutStatistics")
        let sv0 = try XCTUnwrap(lean.first { $0.name == "sv0" })
        XCTAssertEqual(sv0.linkIndex, lean.first { $0.name == "sv1" }?.index, "peers are still there")
    }

    func testNamespaceTypeCheck() throws {
        XCTAssertTrue(NetworkNamespace.isNetworkNamespace(path: NetworkNamespace.path(of: nsName)))
        XCTAssertTrue(NetworkNamespace.isNetworkNamespace(path: "/proc/self/ns/net"))
        XCTAssertFalse(NetworkNamespace.isNetworkNamespace(path: "/proc/self/ns/uts"), "a UTS namespace")
        XCTAssertFalse(NetworkNamespace.isNetworkNamespace(path: "/etc/hostname"), "a plain file")
        XCTAssertFalse(NetworkNamespace.isNetworkNamespace(path: "/nonexistent/netns"))
        XCTAssertThrowsError(try NetworkNamespace.openChecked(path: "/etc/hostname")) { e in
            XCTAssertEqual((e as? InvalidInput)?.reason, "not a network namespace file", "\(e)")
        }
        XCTAssertThrowsError(try NetworkNamespace.openChecked(path: "/nonexistent/netns")) { XCTAssertTrue($0 is NotFound, "\($0)") }
        let here = try NetworkNamespace.current()
        XCTAssertTrue(try here.isSame(as: NetworkNamespace.openChecked(path: "/proc/self/ns/net")))
        XCTAssertFalse(try here.isSame(as: h.namespace))
        XCTAssertTrue(try h.namespace.isSame(as: NetworkNamespace.open(nsName)))
    }
}
