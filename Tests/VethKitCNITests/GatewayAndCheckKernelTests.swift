import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

/// Promises of docs/cni.md checked on the kernel: isGateway forwarding with real packets, every
/// CHECK drift code, `dns` from the configuration in the result.
final class GatewayAndCheckKernelTests: CNIKernelTestCase {
    /// isGateway: the gateway address goes on the bridge and forwarding is switched on — proven
    /// with packets between containers of two networks, which only forwarding carries (switched
    /// off again, they stop). Without isGateway the bridge gets no address.
    func testIsGatewayForwardsBetweenNetworks() throws {
        try requirePing()
        let saved = try Sysctl.read("net/ipv4/ip_forward")
        addTeardownBlock { try? Sysctl.write("net/ipv4/ip_forward", saved) }
        try Sysctl.write("net/ipv4/ip_forward", "0")   // the sandbox's own namespace
        let a = try makeNamespace("cni-fwa"), b = try makeNamespace("cni-fwb")
        let ra = plugin(env("ADD", "fa", netns: a), conf(name: "kfwa", bridge: "cnifwa", subnet: "10.78.1.0/24"))
        let rb = plugin(env("ADD", "fb", netns: b), conf(name: "kfwb", bridge: "cnifwb", subnet: "10.78.2.0/24"))
        XCTAssertEqual(try Sysctl.read("net/ipv4/ip_forward"), "1", "isGateway switched forwarding on")
        XCTAssertEqual(try NetHandle().addresses(link: .name(InterfaceName("cnifwa"))).filter { $0.network.isIPv4 }.map(\.network.description), ["10.78.1.1/24"])
        XCTAssertEqual(try NetHandle().addresses(link: .name(InterfaceName("cnifwb"))).filter { $0.network.isIPv4 }.map(\.network.description), ["10.78.2.1/24"])
        assertReaches("cni-fwa", address(rb), "across networks, forwarded by the host")
        assertReaches("cni-fwb", address(ra), "and back")
        try Sysctl.write("net/ipv4/ip_forward", "0")
        assertUnreachable("cni-fwa", address(rb), "with forwarding off (so forwarding is what carried them)")
        try Sysctl.write("net/ipv4/ip_forward", "1")

        let c = try makeNamespace("cni-fwc")
        var l2 = try with(conf(name: "kfwc", bridge: "cnifwc", subnet: "10.78.3.0/24"), "isGateway", false)
        l2 = try with(l2, "isDefaultGateway", false)
        let rc = plugin(env("ADD", "fc", netns: c), l2)
        XCTAssertEqual(try NetHandle().addresses(link: .name(InterfaceName("cnifwc"))).filter { $0.network.isIPv4 }.map(\.network.description), [], "no isGateway: no gateway address")
        XCTAssertEqual(rc["routes"]?.arrayValue?.count ?? 0, 0, "no isDefaultGateway: no default route")
    }

    /// Every CHECK code of docs/cni.md, one drift at a time; after each repair CHECK passes again,
    /// so each code is caused by that drift alone.
    func testEveryCheckDriftCode() throws {
        let ns = try makeNamespace("cni-drift")
        let cfg = conf(name: "kdrift", bridge: "cnidrift", subnet: "10.79.0.0/24", extra: #","mtu":1400"#)
        let r = plugin(env("ADD", "drift", netns: ns), cfg)
        let check = try with(cfg, "prevResult", r)
        let ce = env("CHECK", "drift", netns: ns)
        plugin(ce, check)
        let host = try NetHandle()
        let inside = try NetHandle(namespace: NetworkNamespace.open(path: ns))
        let eth0 = try inside.link(named: InterfaceName("eth0"))
        let hostName = try XCTUnwrap(r["interfaces"]?.arrayValue?[1]["name"]?.stringValue, "host veth in the result")
        let hv = try host.link(named: InterfaceName(hostName))
        let br = try host.link(named: InterfaceName("cnidrift"))

        func expect(_ code: Int64, _ words: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
            let e = plugin(ce, check, expect: 1, file: file, line: line)
            XCTAssertEqual(e["code"]?.intValue, code, "\(what): \(e.serialized)", file: file, line: line)
            XCTAssertTrue(e["msg"]?.stringValue?.contains(words) ?? false, "\(what): \(e.serialized)", file: file, line: line)
        }
        func repaired(_ what: String, file: StaticString = #filePath, line: UInt = #line) {
            let e = plugin(ce, check, file: file, line: line)
            XCTAssertEqual(e, .null, "after repairing \(what) CHECK passes", file: file, line: line)
        }

        try inside.setLink(.index(eth0.index), LinkChange(up: false))
        expect(100, "is down", "container interface down")
        try inside.setLink(.index(eth0.index), LinkChange(up: true))
        // The kernel flushes a downed link's gateway routes: put the default route back if it went.
        try? inside.addRoute(Route(destination: try IPNetwork("0.0.0.0/0"), gateway: IPAddress("10.79.0.1"), device: .index(eth0.index)))
        repaired("the link state")

        try inside.setLink(.index(eth0.index), LinkChange(mtu: 1300))
        expect(100, "MTU", "MTU changed")
        try inside.setLink(.index(eth0.index), LinkChange(mtu: 1400))
        repaired("the MTU")

        let mac = try XCTUnwrap(eth0.address)
        try inside.setLink(.index(eth0.index), LinkChange(address: try MACAddress("02:00:00:00:00:77")))
        expect(100, "MAC", "MAC changed")
        try inside.setLink(.index(eth0.index), LinkChange(address: mac))
        repaired("the MAC")

        try host.setLink(.index(hv.index), LinkChange(master: .nomaster))
        expect(100, "not attached to bridge", "host end detached from the bridge")
        try host.setLink(.index(hv.index), LinkChange(master: .set(.index(br.index))))
        repaired("the bridge port")

        let route = Route(destination: try IPNetwork("0.0.0.0/0"), gateway: IPAddress("10.79.0.1"), device: .index(eth0.index))
        try inside.deleteRoute(route)
        expect(102, "route 0.0.0.0/0 via 10.79.0.1", "default route removed")
        try inside.addRoute(route)
        repaired("the route")

        let addr = try IPNetwork("10.79.0.2/24")
        try inside.deleteAddress(addr, from: .name(InterfaceName("eth0")))
        expect(101, "address 10.79.0.2/24", "container address removed")
        try inside.addAddress(addr, to: .index(eth0.index))
        try? inside.addRoute(route)   // the kernel drops it with the subnet's last address
        repaired("the address")

        let gw = try IPNetwork("10.79.0.1/24")
        try host.deleteAddress(gw, from: .name(InterfaceName("cnidrift")))
        expect(101, "gateway address 10.79.0.1/24", "gateway address removed from the bridge")
        try host.addAddress(gw, to: .index(br.index), noDAD: true)
        repaired("the gateway address")

        let reservation = "\(dataDir)/kdrift/10.79.0.2"
        let content = try String(contentsOfFile: reservation, encoding: .utf8)
        try FileManager.default.removeItem(atPath: reservation)
        expect(103, "reservation of 10.79.0.2", "reservation removed")
        try content.write(toFile: reservation, atomically: true, encoding: .utf8)
        repaired("the reservation")

        try host.deleteLink(.index(hv.index))   // the container end goes with it
        expect(100, "eth0 is missing", "the veth pair deleted")
        plugin(env("DEL", "drift", netns: ns), cfg)

        // CHECK without prevResult: code 7 (the runtime must pass the ADD result).
        XCTAssertEqual(failure(ce, cfg), 7, "CHECK without prevResult")
    }

    /// `dns` of the configuration appears in the result (the built-in IPAM has none of its own).
    func testDNSFromConfigurationIsInTheResult() throws {
        let ns = try makeNamespace("cni-dns")
        let dns: JSON = ["nameservers": ["10.80.0.53", "fd80::53"], "domain": "example.test", "search": ["a.example.test"], "options": ["ndots:2"]]
        let cfg = try with(conf(name: "kdns", bridge: "cnidns", subnet: "10.80.0.0/24"), "dns", dns)
        for version in ["0.4.0", "1.0.0", "1.1.0"] {
            let v = try with(cfg, "cniVersion", .string(version))
            let r = plugin(env("ADD", "dns", netns: ns), v)
            XCTAssertEqual(r["dns"], dns, "\(version): the configuration's dns, unchanged")
            plugin(env("DEL", "dns", netns: ns), v)
        }
    }
}
