import CLinuxUAPI
import Foundation
import Glibc
import VethKit
import VethKitTestSupport
import XCTest

/// Addresses and routes on the real kernel, inside a namespace of the test's own.
final class AddressRouteKernelTests: XCTestCase {
    var nsName: NamespaceName!
    var h: NetHandle!

    override func setUpWithError() throws {
        try requireKernel()
        nsName = try NamespaceName("vk-ar-\(uniqueSuffix())")
        h = try NetHandle(namespace: NetworkNamespace.create(nsName))
        try h.addLink(.bridge(InterfaceName("d0")))
        try h.setLink(.name(InterfaceName("d0")), LinkChange(up: true))
    }

    override func setUp() {
        super.setUp()
        addTeardownBlock { [weak self] in if let n = self?.nsName { try? NetworkNamespace.delete(n) } }
    }

    func testIPv4AndIPv6AddressesAddListDelete() throws {
        try h.addAddress(IPNetwork("192.168.1.200/24"), to: .name(InterfaceName("d0")))
        try h.addAddress(IPNetwork("fd00:1::200/64"), to: .name(InterfaceName("d0")), noDAD: true)
        let nets = try h.addresses(link: .name(InterfaceName("d0"))).map { "\($0.network)" }
        XCTAssertTrue(nets.contains("192.168.1.200/24"), "\(nets)")
        XCTAssertTrue(nets.contains("fd00:1::200/64"), "\(nets)")
        let j = try ipJSON("-n", nsName.rawValue, "addr", "show", "dev", "d0")
        let infos = (j.first?["addr_info"] as? [[String: Any]]) ?? []
        XCTAssertTrue(infos.contains { $0["local"] as? String == "192.168.1.200" && $0["prefixlen"] as? Int == 24 }, "ip: \(infos)")
        XCTAssertTrue(infos.contains { $0["local"] as? String == "fd00:1::200" && $0["prefixlen"] as? Int == 64 }, "ip: \(infos)")
        XCTAssertThrowsError(try h.addAddress(IPNetwork("192.168.1.200/24"), to: .name(InterfaceName("d0")))) {
            XCTAssertEqual(($0 as? KernelError)?.errno, .fileExists, "\(type(of: $0)): \($0)")
        }
        try h.deleteAddress(IPNetwork("192.168.1.200/24"), from: .name(InterfaceName("d0")))
        try h.deleteAddress(IPNetwork("fd00:1::200/64"), from: .name(InterfaceName("d0")))
        XCTAssertFalse(try h.addresses(link: .name(InterfaceName("d0"))).contains { $0.network.description == "192.168.1.200/24" }, "192.168.1.200/24 still there")
        XCTAssertThrowsError(try h.deleteAddress(IPNetwork("192.168.1.200/24"), from: .name(InterfaceName("d0")))) { XCTAssertEqual(($0 as? NotFound)?.kind, .address, "\($0)") }
    }

    func testRoutesDefaultViaDevMetricTable() throws {
        try h.addAddress(IPNetwork("192.168.1.200/24"), to: .name(InterfaceName("d0")))
        let oif = try h.link(named: InterfaceName("d0")).index
        try h.addRoute(.defaultRoute(via: IPAddress(parsing: "192.168.1.1")))
        try h.addRoute(Route(destination: IPNetwork("10.20.0.0/16"), device: .name(InterfaceName("d0")), metric: 50))
        try h.addRoute(Route(destination: IPNetwork("10.30.0.0/16"), gateway: IPAddress("192.168.1.1"), table: RouteTable(rawValue: 100)))
        let main = try h.routes()
        XCTAssertTrue(main.contains { $0.isDefault && $0.gateway == IPAddress("192.168.1.1") && $0.device == .index(oif) }, "\(main)")
        XCTAssertTrue(main.contains { $0.destinationText == "10.20.0.0/16" && $0.device == .index(oif) && $0.scope == .link && $0.protocol == .boot }, "\(main)")
        XCTAssertTrue(main.contains { $0.destinationText == "10.20.0.0/16" && $0.metric == 50 }, "\(main)")
        XCTAssertFalse(main.contains { $0.destinationText == "10.30.0.0/16" }, "table 100's route in main")
        XCTAssertTrue(try h.routes(table: RouteTable(rawValue: 100)).contains { $0.destinationText == "10.30.0.0/16" }, "no 10.30.0.0/16 in table 100")
        let j = try ipJSON("-n", nsName.rawValue, "route", "show")
        XCTAssertTrue(j.contains { $0["dst"] as? String == "default" && $0["gateway"] as? String == "192.168.1.1" }, "ip: \(j)")
        XCTAssertTrue(j.contains { $0["dst"] as? String == "10.20.0.0/16" && $0["metric"] as? Int == 50 }, "ip: \(j)")
        XCTAssertEqual(try ipJSON("-n", nsName.rawValue, "route", "show", "table", "100").compactMap { $0["dst"] as? String }, ["10.30.0.0/16"])
        try h.deleteRoute(.defaultRoute(via: IPAddress(parsing: "192.168.1.1")))
        XCTAssertFalse(try h.routes().contains { $0.isDefault }, "the default route is still there")
        XCTAssertThrowsError(try h.deleteRoute(.defaultRoute(via: IPAddress(parsing: "192.168.1.1")))) {
            XCTAssertEqual(($0 as? NotFound)?.kind, .route, "\($0)")
        }
    }

    func testIPv6DefaultRoute() throws {
        try h.addAddress(IPNetwork("fd00:1::200/64"), to: .name(InterfaceName("d0")), noDAD: true)
        try h.addRoute(.defaultRoute(via: IPAddress(parsing: "fd00:1::1")))
        let routes = try h.routes()
        XCTAssertTrue(routes.contains { $0.isDefault && $0.family == .inet6 && $0.destination == IPNetwork.all(.inet6) && $0.gateway == IPAddress("fd00:1::1") }, "\(routes)")
        XCTAssertTrue(try h.routes(family: .inet).allSatisfy { $0.family == .inet }, "a family filter returns IPv4 only")
        XCTAssertTrue(try ipJSON("-n", nsName.rawValue, "-6", "route", "show").contains { $0["dst"] as? String == "default" && $0["gateway"] as? String == "fd00:1::1" },
                      "ip -6 sees no default via fd00:1::1")
    }
}
