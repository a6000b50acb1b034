import VethKit
@testable import VethKitTopology
import XCTest

/// The schema of `vlans:`, `macvlans:`, `ipvlans:`, `vxlans:` and `dummies:` on a node
/// (docs/topology.md): values, every error with its line and column, hostile input.
final class KindLinkParserTests: XCTestCase {
    static let good = """
    name: kl
    nodes:
      a:
        vlans: {eth0.10: {link: eth0, id: 10, protocol: 802.1ad, addresses: [10.10.0.1/24]}}
        macvlans: {mv0: {link: eth0, mode: private, addresses: [10.11.0.1/24], mac: "02:00:00:00:00:01"}}
        ipvlans: {iv0: {link: eth0.10, mode: l3s, mtu: 1400}}
        vxlans: {vx0: {id: 42, remote: 192.168.1.2, local: 192.168.1.1, dstport: 4789, dev: eth0, learning: false, addresses: [10.12.0.1/24]}}
        dummies: {dum0: {addresses: [10.13.0.1/32]}}
      b: {}
    links:
      - endpoints: [{node: a, name: eth0, addresses: [192.168.1.1/24]}, {node: b, name: eth0, addresses: [192.168.1.2/24]}]
    """

    func errors(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try Topology.parse(yaml, file: "t.yaml")
            XCTFail("expected a schema error", file: file, line: line)
        } catch let e as SchemaErrors {
            return e.errors.map(\.description)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return []
    }

    /// A node `a` with `body` under it and a veth eth0 to node b.
    func doc(_ body: String) -> String {
        "name: kl\nnodes:\n  a:\n" + body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
            + "\n  b: {}\nlinks:\n  - endpoints: [{node: a, name: eth0, addresses: [192.168.1.1/24]}, {node: b, name: eth0}]\n"
    }

    func testEveryKindParsesWithItsOptions() throws {
        let t = try Topology.parse(Self.good)
        let a = try XCTUnwrap(t.node("a"))
        XCTAssertEqual(a.kindLinks.map(\.name), ["eth0.10", "mv0", "iv0", "vx0", "dum0"])
        XCTAssertEqual(a.kindLinks[0], Topology.KindLink(name: "eth0.10", options: .vlan(id: 10, protocol: .dot1ad), parent: "eth0",
                                                        addresses: [try IPNetwork("10.10.0.1/24")]))
        XCTAssertEqual(a.kindLinks[1].options, .macvlan(mode: .private))
        XCTAssertEqual(a.kindLinks[1].mac, try MACAddress("02:00:00:00:00:01"))
        XCTAssertEqual(a.kindLinks[2].options, .ipvlan(mode: .l3s))
        XCTAssertEqual(a.kindLinks[2].parent, "eth0.10")
        XCTAssertEqual(a.kindLinks[2].mtu, 1400)
        XCTAssertEqual(a.kindLinks[3].options, .vxlan(.init(id: 42, remote: IPAddress("192.168.1.2"), local: IPAddress("192.168.1.1"), port: 4789, learning: false)))
        XCTAssertEqual(a.kindLinks[3].parent, "eth0")
        XCTAssertEqual(a.kindLinks[4].options, .dummy)
        XCTAssertNil(a.kindLinks[4].parent)
        // Defaults: 802.1Q, bridge, l2; a vxlan leaves port and learning to VethKit's defaults.
        let d = try Topology.parse(doc("vlans: {v: {link: eth0, id: 1}}\nmacvlans: {m: {link: eth0}}\nipvlans: {i: {link: v}}\nvxlans: {x: {id: 0}}"))
        XCTAssertEqual(d.node("a")!.kindLinks.map(\.options), [.vlan(id: 1, protocol: .dot1Q), .macvlan(mode: .bridge), .ipvlan(mode: .l2), .vxlan(.init(id: 0))])
        // They are interfaces of the node: in interfacesByNode, with their kind.
        XCTAssertEqual(t.interfaces(of: "a").map { "\($0.name):\($0.kind)" },
                       ["eth0.10:vlan", "mv0:macvlan", "iv0:ipvlan", "vx0:vxlan", "dum0:dummy", "eth0:veth"])
    }

    func testCreationOrderPutsParentsFirst() throws {
        let t = try Topology.parse(doc("ipvlans: {top: {link: mid}}\nvlans: {mid: {link: low, id: 5}}\nmacvlans: {low: {link: eth0}}\ndummies: {d0: {}}"))
        let n = t.node("a")!
        XCTAssertEqual(n.kindLinks.map(\.name), ["top", "mid", "low", "d0"])
        XCTAssertEqual(n.kindLinksInCreationOrder.map(\.name), ["low", "d0", "mid", "top"])
    }

    func testErrorsWithLineAndColumn() {
        let y = doc("""
        vlans:
          v1: {link: eth0, id: 4095}
          v2: {link: eth0, id: 10, protocol: 802.1x}
          v3: {id: 3}
          v4: {link: nosuch, id: 4}
          v5: {link: eth0, id: 5, colour: red}
        macvlans: {m1: {link: eth0, mode: l2}}
        ipvlans: {i1: {link: eth0, mode: bridge}}
        vxlans:
          x1: {id: 16777216}
          x2: {id: 1, remote: 10.0.0.1, group: 239.1.1.1, dev: eth0}
          x3: {id: 1, group: 10.0.0.1, dev: eth0}
          x4: {id: 1, remote: 239.1.1.1}
          x5: {id: 1, group: 239.1.1.2}
          x6: {id: 1, remote: 10.0.0.1, local: "fe80::1"}
          x7: {id: 1, dstport: 0, learning: maybe}
          x8: {remote: 10.0.0.2}
        dummies: {d1: {link: eth0}, eth0: {}}
        """)
        let e = errors(y)
        func has(_ line: Int, _ col: Int, _ text: String, file: StaticString = #filePath, l: UInt = #line) {
            XCTAssertTrue(e.contains { $0.hasPrefix("t.yaml:\(line):\(col): ") && $0.contains(text) }, "\(line):\(col) \(text) in\n\(e.joined(separator: "\n"))", file: file, line: l)
        }
        has(5, 28, "vlan id 4095 is out of range 1...4094")
        has(6, 42, "vlan protocol \"802.1x\" is not one of 802.1Q, 802.1ad")
        has(7, 7, "vlan \"v3\": missing key \"link\"")
        has(8, 7, "link \"nosuch\" (the parent of \"v4\") is not declared in node \"a\"")
        has(9, 31, "unknown key \"colour\" in vlan \"v5\"")
        has(10, 39, "macvlan mode \"l2\" is not one of private, vepa, bridge, passthru")
        has(11, 38, "ipvlan mode \"bridge\" is not one of l2, l3, l3s")
        has(13, 16, "vxlan id 16777216 is out of range 0...16777215")
        has(14, 27, "remote and group exclude each other")
        has(15, 26, "vxlan group 10.0.0.1 is not a multicast address")
        has(16, 27, "vxlan remote 239.1.1.1 is a multicast address")
        has(17, 7, "a multicast group needs dev")
        has(18, 7, "are of different address families")
        has(19, 28, "dstport 0 is out of range 1...65535")
        has(19, 41, "learning must be true or false")
        has(20, 7, "vxlan \"x8\": missing key \"id\"")
        has(21, 20, "unknown key \"link\" in dummy \"d1\"")
        has(24, 33, "duplicate interface name \"eth0\" in node \"a\" (first declared at 21:33)")
    }

    func testCyclesAndSelfReferencesAreRefused() {
        let e = errors(doc("vlans: {v1: {link: v2, id: 1}, v2: {link: v3, id: 2}}\nmacvlans: {v3: {link: v1}, m: {link: m}}"))
        XCTAssertEqual(e.filter { $0.contains("form a cycle") }.count, 3, e.joined(separator: "\n"))
        XCTAssertTrue(e.contains { $0.contains("the parents of v1, v2, v3 form a cycle") }, e.joined(separator: "\n"))
        XCTAssertTrue(e.contains { $0.contains("macvlan \"m\" cannot sit on itself") }, e.joined(separator: "\n"))
        // A parent in another node is not a parent.
        XCTAssertTrue(errors("""
        name: kl
        nodes:
          a: {vlans: {v: {link: eth0, id: 1}}}
          b: {}
        links:
          - endpoints: [{node: b, name: eth0}, {node: b, name: eth1}]
        """).contains { $0.contains("link \"eth0\" (the parent of \"v\") is not declared in node \"a\"") })
    }

    func testHostileNamesAndValues() {
        let long = String(repeating: "x", count: 16)
        var e = errors(doc("dummies: {\(long): {}, \"a\\x01b\": {}, \"a b\": {}, \"a/b\": {}, lo: {}, \"\": {}}"))
        for text in ["longer than 15 bytes", "contains a control character", "contains whitespace", "contains '/'",
                     "reserved for the loopback device", "empty"] {
            XCTAssertTrue(e.contains { $0.contains(text) }, "\(text) in\n\(e.joined(separator: "\n"))")
        }
        // A parent name the kernel would refuse; lists and mappings where text is expected.
        e = errors(doc("vlans: {v: {link: \(long), id: [1]}}\nmacvlans: {m: {link: {x: 1}}}\nvxlans: [1, 2]\ndummies: {d: [1]}"))
        for text in ["longer than 15 bytes", "vlan id must be an integer", "link must be a text value",
                     "vxlans of \"a\" must be a mapping", "dummy \"d\" must be a mapping"] {
            XCTAssertTrue(e.contains { $0.contains(text) }, "\(text) in\n\(e.joined(separator: "\n"))")
        }
        // Addresses are checked like everyone's: bad CIDRs, and the same address twice.
        e = errors(doc("dummies: {d: {addresses: [10.0.0.1/33, 192.168.1.1/24]}}"))
        XCTAssertTrue(e.contains { $0.contains("10.0.0.1/33") }, e.joined(separator: "\n"))
        XCTAssertTrue(e.contains { $0.contains("address 192.168.1.1 is used twice") }, e.joined(separator: "\n"))
    }

    func testAHugeMapIsBoundedAndReportsEveryError() throws {
        // 5000 dummies with a bad mtu each: every error kept up to the bound, the rest counted.
        let body = (0..<5000).map { "  d\($0): {mtu: 1}" }.joined(separator: "\n")
        do {
            _ = try Topology.parse("name: kl\nnodes:\n  a:\n    dummies:\n" + body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n")
            XCTFail("expected errors")
        } catch let e as SchemaErrors {
            XCTAssertEqual(e.count, 5000)
            XCTAssertTrue(e.errors[0].description.hasPrefix("<string>:5:17: mtu 1 is out of range 68...65535"), e.errors[0].description)
        }
        // And 5000 good ones parse (in well under a second).
        let ok = (0..<5000).map { "      d\($0): {}" }.joined(separator: "\n")
        let t = try Topology.parse("name: kl\nnodes:\n  a:\n    dummies:\n" + ok + "\n")
        XCTAssertEqual(t.node("a")!.kindLinks.count, 5000)
    }

    func testTheKindExamplesParseAndPlan() throws {
        let o = try Topology.load(repoRoot + "/examples/vxlan-macvlan.yaml")
        XCTAssertEqual(o.nodes.flatMap { n in n.kindLinks.map { "\(n.name)/\($0.name):\($0.kindName)" } },
                       ["host/ovmv0:macvlan", "a/vx0:vxlan", "a/mv0:macvlan", "b/vx0:vxlan", "b/mv0:macvlan"])
        let v = try Topology.load(repoRoot + "/examples/vlan-ipvlan.yaml")
        XCTAssertEqual(Set(v.nodes.flatMap { $0.kindLinks.map(\.kindName) }), ["vlan", "ipvlan", "dummy"])
        for t in [o, v] {
            let plan = Planner.plan(t, live: .empty(for: t))
            XCTAssertEqual(plan.conflicts, [])
            XCTAssertEqual(Planner.plan(t, live: convergedWithKinds(t)).text, "\(t.name): no changes")
            XCTAssertFalse(Checker.claims(t).isEmpty)
        }
    }

    func testRoutesMayUseKindLinks() throws {
        let t = try Topology.parse(doc("vxlans: {vx0: {id: 1, remote: 192.168.1.2, addresses: [10.20.0.1/24]}}\nroutes: [{to: 10.30.0.0/16, via: 10.20.0.2, dev: vx0}]"))
        XCTAssertEqual(t.node("a")!.routes.first?.dev, "vx0")
    }
}
