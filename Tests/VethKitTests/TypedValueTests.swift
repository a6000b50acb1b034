import CLinuxUAPI
import Glibc
import VethKit
import XCTest

/// The typed values of routes and addresses: every named value round-trips through its name and
/// holds the kernel's own number; numbers without a name print as the number.
final class TypedValueTests: XCTestCase {
    func testRouteProtocolNamesRoundTripAndMatchTheKernel() {
        let kernel: [(RouteProtocol, Int32, String)] = [
            (.unspecified, RTPROT_UNSPEC, "unspec"), (.redirect, RTPROT_REDIRECT, "redirect"), (.kernel, RTPROT_KERNEL, "kernel"),
            (.boot, RTPROT_BOOT, "boot"), (.static, RTPROT_STATIC, "static"), (.ra, RTPROT_RA, "ra"),
            (.dhcp, RTPROT_DHCP, "dhcp"), (.bird, RTPROT_BIRD, "bird"), (.bgp, RTPROT_BGP, "bgp"),
        ]
        for (p, number, name) in kernel {
            XCTAssertEqual(Int32(p.rawValue), number, name)
            XCTAssertEqual(p.name, name)
            XCTAssertEqual("\(p)", name)
            XCTAssertEqual(RouteProtocol(name: name), p, name)
        }
        XCTAssertEqual(RouteProtocol.vethkit.rawValue, 0x56)
        XCTAssertEqual(RouteProtocol.vethkit.name, "vethkit")
        XCTAssertEqual(RouteProtocol(name: "vethkit"), .vethkit)
        // Every number 0...255: a name that round-trips, or the number itself.
        for n in 0...255 {
            let p = RouteProtocol(rawValue: UInt8(n))
            XCTAssertEqual(RouteProtocol(name: p.name), p, "protocol \(n) prints as \(p.name)")
        }
        XCTAssertEqual(RouteProtocol(rawValue: 77).name, "77")
        XCTAssertEqual(RouteProtocol(name: "77"), RouteProtocol(rawValue: 77))
        XCTAssertNil(RouteProtocol(name: "nonsense"))
        XCTAssertNil(RouteProtocol(name: "256"))
    }

    func testRouteScopeTypeTableAndFamilyNames() {
        let scopes: [(RouteScope, UInt32, String)] = [
            (.universe, RT_SCOPE_UNIVERSE.rawValue, "global"), (.site, RT_SCOPE_SITE.rawValue, "site"),
            (.link, RT_SCOPE_LINK.rawValue, "link"), (.host, RT_SCOPE_HOST.rawValue, "host"), (.nowhere, RT_SCOPE_NOWHERE.rawValue, "nowhere"),
        ]
        for (s, number, name) in scopes {
            XCTAssertEqual(UInt32(s.rawValue), number, name)
            XCTAssertEqual(s.name, name)
            XCTAssertEqual(RouteScope(name: name), s)
        }
        XCTAssertEqual(RouteScope(name: "universe"), .universe)
        XCTAssertEqual(RouteScope(rawValue: 100).name, "100")
        XCTAssertEqual(RouteScope(name: "100"), RouteScope(rawValue: 100))

        let types: [(RouteType, Int, String)] = [
            (.unicast, Int(RTN_UNICAST), "unicast"), (.local, Int(RTN_LOCAL), "local"), (.broadcast, Int(RTN_BROADCAST), "broadcast"),
            (.anycast, Int(RTN_ANYCAST), "anycast"), (.multicast, Int(RTN_MULTICAST), "multicast"), (.blackhole, Int(RTN_BLACKHOLE), "blackhole"),
            (.unreachable, Int(RTN_UNREACHABLE), "unreachable"), (.prohibit, Int(RTN_PROHIBIT), "prohibit"), (.throw, Int(RTN_THROW), "throw"),
        ]
        for (t, number, name) in types {
            XCTAssertEqual(Int(t.rawValue), number, name)
            XCTAssertEqual(t.name, name)
            XCTAssertEqual(RouteType(name: name), t)
        }
        XCTAssertEqual(RouteType(rawValue: 200).description, "200")

        XCTAssertEqual(RouteTable.main.rawValue, 254)
        XCTAssertEqual(RouteTable.local.rawValue, 255)
        XCTAssertEqual(RouteTable.default.rawValue, 253)
        XCTAssertEqual(RouteTable.unspecified.rawValue, 0)
        for t in [RouteTable.main, .local, .default, .unspecified] { XCTAssertEqual(RouteTable(name: t.name), t) }
        XCTAssertEqual(RouteTable(rawValue: 100_000).name, "100000")
        XCTAssertEqual(RouteTable(name: "100000"), RouteTable(rawValue: 100_000))
        XCTAssertNil(RouteTable(name: "mian"))

        XCTAssertEqual(AddressFamily.inet.rawValue, UInt8(AF_INET))
        XCTAssertEqual(AddressFamily.inet6.rawValue, UInt8(AF_INET6))
        XCTAssertEqual(AddressFamily.unspecified.rawValue, UInt8(AF_UNSPEC))
        XCTAssertEqual(AddressFamily.inet.name, "inet")
        XCTAssertEqual(AddressFamily.inet6.name, "inet6")
        XCTAssertEqual(AddressFamily(rawValue: 28).name, "28")
        XCTAssertEqual(try IPAddress(parsing: "fd00::1").family, .inet6)
        XCTAssertEqual(try IPNetwork("10.0.0.0/8").family, .inet)

        XCTAssertEqual(AddressProtocol.vethkit.rawValue, 0x56)
        XCTAssertEqual(AddressProtocol.kernelLinkLocal.name, "kernel_ll")
        XCTAssertEqual(AddressProtocol(rawValue: 9).name, "9")
    }

    func testDefaultRouteHasOneRepresentation() throws {
        let v4 = Route.defaultRoute(via: try IPAddress(parsing: "192.168.1.1"))
        XCTAssertEqual(v4.destination, try IPNetwork("0.0.0.0/0"))
        XCTAssertEqual(v4.family, .inet)
        XCTAssertTrue(v4.isDefault)
        XCTAssertEqual(v4.destinationText, "default")
        XCTAssertEqual(v4.scope, .universe, "a route through a gateway")
        let v6 = Route.defaultRoute(via: try IPAddress(parsing: "fd00::1"))
        XCTAssertEqual(v6.destination, IPNetwork.all(.inet6))
        XCTAssertEqual(v6.family, .inet6)
        // The same route written as a /0 is the same value.
        XCTAssertEqual(Route(destination: try IPNetwork("0.0.0.0/0"), gateway: try IPAddress(parsing: "192.168.1.1")), v4)
        // Host bits are cleared; a device-only route is of link scope.
        let r = Route(destination: try IPNetwork("10.1.2.3/16"), device: .index(3))
        XCTAssertEqual(r.destination.description, "10.1.0.0/16")
        XCTAssertEqual(r.scope, .link)
        XCTAssertEqual(r.protocol, .boot)
        XCTAssertEqual(r.type, .unicast)
        XCTAssertEqual(r.table, .main)
    }

    func testRouteMatchesIsTheKernelsIdentity() throws {
        let gw = try IPAddress(parsing: "192.168.1.1")
        let base = Route(destination: try IPNetwork("10.9.0.0/16"), gateway: gw, device: .index(4), metric: 7)
        XCTAssertTrue(base.matches(base))
        // Not part of the identity: protocol, scope, type, preferred source, host bits.
        var other = base
        other.protocol = .vethkit
        other.scope = .link
        other.preferredSource = try IPAddress(parsing: "192.168.1.200")
        XCTAssertTrue(base.matches(other))
        XCTAssertTrue(base.matches(Route(destination: try IPNetwork("10.9.255.1/16"), gateway: gw, device: .index(4), metric: 7)))
        // A device on one side only, or named differently (name vs index): not compared.
        XCTAssertTrue(base.matches(Route(destination: try IPNetwork("10.9.0.0/16"), gateway: gw, metric: 7)))
        XCTAssertTrue(base.matches(Route(destination: try IPNetwork("10.9.0.0/16"), gateway: gw, device: .name(try InterfaceName("eth0")), metric: 7)))
        // Part of it: each field alone makes another route.
        var changes: [(String, Route)] = []
        var c = base; c.destination = try IPNetwork("10.8.0.0/16"); changes.append(("destination", c))
        c = base; c.destination = try IPNetwork("10.9.0.0/24"); changes.append(("prefix length", c))
        c = base; c.gateway = try IPAddress(parsing: "192.168.1.2"); changes.append(("gateway", c))
        c = base; c.gateway = nil; changes.append(("no gateway", c))
        c = base; c.metric = 8; changes.append(("metric", c))
        c = base; c.table = RouteTable(rawValue: 100); changes.append(("table", c))
        c = base; c.device = .index(5); changes.append(("device", c))
        for (what, r) in changes {
            XCTAssertFalse(base.matches(r), what)
            XCTAssertFalse(r.matches(base), "\(what), the other way")
        }
        // The kernel's defaults: no metric is 0 for IPv4 and 1024 for IPv6; table 0 is main.
        XCTAssertTrue(Route(destination: try IPNetwork("10.0.0.0/8"), gateway: gw, metric: 0)
            .matches(Route(destination: try IPNetwork("10.0.0.0/8"), gateway: gw)))
        let v6gw = try IPAddress(parsing: "fd00::1")
        XCTAssertTrue(Route.defaultRoute(via: v6gw).matches(Route.defaultRoute(via: v6gw, metric: 1024)))
        XCTAssertFalse(Route.defaultRoute(via: v6gw).matches(Route.defaultRoute(via: v6gw, metric: 0)))
        XCTAssertTrue(Route(destination: try IPNetwork("10.0.0.0/8"), gateway: gw, table: .unspecified)
            .matches(Route(destination: try IPNetwork("10.0.0.0/8"), gateway: gw)))
        // Families never match, not even for the two default routes.
        XCTAssertFalse(Route(destination: .all(.inet), device: .index(2)).matches(Route(destination: .all(.inet6), device: .index(2))))
    }

    func testLinkReferencesAndMasters() throws {
        XCTAssertEqual(try LinkReference.named("veth1"), .name(try InterfaceName("veth1")))
        XCTAssertThrowsError(try LinkReference.named("a/b")) { XCTAssertEqual(($0 as? InvalidInput)?.what, "interface name") }
        XCTAssertEqual(LinkReference.index(7).description, "#7")
        XCTAssertEqual(try LinkReference.named("br0").description, "br0")
        XCTAssertThrowsError(try LinkChange(master: .set(.index(0))).validate()) { XCTAssertTrue($0 is InvalidInput, "\($0)") }
        XCTAssertNoThrow(try LinkChange(master: .nomaster).validate())
        XCTAssertThrowsError(try LinkAttributes(name: try InterfaceName("x"), master: .index(-1)).validate()) { XCTAssertTrue($0 is InvalidInput) }
        var c = LinkChange()
        c.master = .nomaster
        XCTAssertEqual(c.master, .nomaster, "not Optional.none: nomaster is a change")
        XCTAssertFalse(c.isEmpty)
    }
}
