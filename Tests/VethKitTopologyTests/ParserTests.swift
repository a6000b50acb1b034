import Foundation
import VethKit
@testable import VethKitTopology
import XCTest

/// The repository root (…/Tests/VethKitTopologyTests/ParserTests.swift → …/).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

final class ParserTests: XCTestCase {
    func schemaErrors(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> [SchemaError] {
        do {
            _ = try Topology.parse(yaml, file: "t.yaml")
            XCTFail("expected a schema error", file: file, line: line)
            return []
        } catch let e as SchemaErrors {
            return e.errors
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return []
        }
    }

    /// The 1-based line and column of the `occurrence`-th appearance of `token` in `yaml`.
    func position(_ yaml: String, _ token: String, occurrence: Int = 1) -> (Int, Int) {
        var seen = 0
        for (i, line) in yaml.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = Substring(line)
            var offset = 0
            while let r = rest.range(of: token) {
                seen += 1
                let col = offset + rest.distance(from: rest.startIndex, to: r.lowerBound) + 1
                if seen == occurrence { return (i + 1, col) }
                offset = col
                rest = rest[r.upperBound...]
                offset += token.count - 1
            }
        }
        XCTFail("token \(token) not in yaml")
        return (0, 0)
    }

    /// Asserts the first error is at the `occurrence`-th appearance of `token` and mentions `text`.
    func assertError(_ yaml: String, at token: String, occurrence: Int = 1, _ text: String, file: StaticString = #filePath, l: UInt = #line) {
        let (line, column) = position(yaml, token, occurrence: occurrence)
        assertError(yaml, line, column, text, file: file, l: l)
    }

    /// Asserts the first error is at line:column and its message contains `text`; at most `maxCount` errors.
    func assertError(_ yaml: String, _ line: Int, _ column: Int, _ text: String, maxCount: Int = 1, file: StaticString = #filePath, l: UInt = #line) {
        let errs = schemaErrors(yaml, file: file, line: l)
        XCTAssertTrue((1...maxCount).contains(errs.count), "errors: \(errs)", file: file, line: l)
        guard let e = errs.first else { return }
        XCTAssertEqual(e.line, line, "\(e)", file: file, line: l)
        XCTAssertEqual(e.column, column, "\(e)", file: file, line: l)
        XCTAssertTrue(e.message.contains(text), "\(e) does not mention \(text)", file: file, line: l)
        XCTAssertTrue(e.description.hasPrefix("t.yaml:\(line):\(column): "), e.description, file: file, line: l)
    }

    let base = """
    name: t
    nodes:
      host:
        bridges:
          br0: {addresses: [192.168.1.1/24]}
      t1: {}
    links:
      - endpoints:
          - {node: t1, name: veth2, addresses: [192.168.1.200/24]}
          - {node: host, name: veth1, master: br0}

    """

    func testExamplesParse() throws {
        let seed = try Topology.load(repoRoot + "/examples/seed.yaml")
        XCTAssertEqual(seed.name, "seed")
        XCTAssertEqual(seed.nodes.map(\.name), ["host", "t1"])
        XCTAssertEqual(seed.node("host")?.bridges, [Topology.Bridge(name: "br0", addresses: [try IPNetwork("192.168.1.1/24")])])
        XCTAssertEqual(seed.links.count, 1)
        XCTAssertEqual(seed.links[0].a, Topology.Endpoint(node: "t1", name: "veth2", addresses: [try IPNetwork("192.168.1.200/24")]))
        XCTAssertEqual(seed.links[0].b.master, "br0")
        XCTAssertEqual(seed.links[0].mtu, 1500)
        XCTAssertEqual(seed.node("t1")?.routes, [Topology.Route(to: try IPNetwork("0.0.0.0/0"), via: IPAddress("192.168.1.1")!)])
        XCTAssertEqual(seed.checks, [Topology.Check(from: "t1", to: IPAddress("192.168.1.1")!), Topology.Check(from: "host", to: IPAddress("192.168.1.200")!)])
        XCTAssertEqual(seed.namespaceName(of: "t1"), "seed-t1")
        XCTAssertNil(seed.namespaceName(of: "host"))

        let routers = try Topology.load(repoRoot + "/examples/routers.yaml")
        XCTAssertEqual(routers.nodes.map(\.name), ["h1", "r1", "r2", "h2"])
        XCTAssertEqual(routers.node("r1")?.sysctls, [Topology.Sysctl("net.ipv4.ip_forward", "1"), Topology.Sysctl("net.ipv6.conf.all.forwarding", "1")])
        XCTAssertEqual(routers.node("h1")?.routes.map(\.description), ["default via 10.0.1.1", "default via fd00:1::1"])
        XCTAssertEqual(routers.node("r1")?.routes.first?.description, "10.0.2.0/24 via 10.0.12.2")

        let star = try Topology.load(repoRoot + "/examples/star.yaml")
        XCTAssertEqual(star.links.count, 8)
        XCTAssertEqual(star.nodes.count, 9)
    }

    func testGeneratedTopologiesParse() throws {
        for n in [1, 8, 200] {
            let t = try Topology.parse(TopologyGenerator.star(n))
            XCTAssertEqual(t.links.count, n)
            XCTAssertEqual(t.name, "star\(n)")
        }
        for n in [2, 3, 4, 10] {
            let t = try Topology.parse(TopologyGenerator.chain(n))
            XCTAssertEqual(t.links.count, n - 1)
            XCTAssertEqual(t.nodes.count, n)
        }
        XCTAssertEqual(try Topology.parse(TopologyGenerator.star(1000)).links.count, 1000)
    }

    func testValidBaseParses() throws {
        XCTAssertEqual(try Topology.parse(base).links.count, 1)
    }

    func testYAMLSyntaxError() {
        assertError("name: t\nnodes: [a, b\n", 3, 1, "YAML syntax")
        assertError("name: t\n  nodes: x\n", 2, 8, "YAML syntax")
    }

    func testUnknownKeys() {
        assertError(base + "extra: 1\n", 11, 1, "unknown key \"extra\"")
        var y = base.replacingOccurrences(of: "t1: {}", with: "t1: {route: []}")
        assertError(y, at: "route", "unknown key \"route\" in node \"t1\"")
        y = base.replacingOccurrences(of: "name: veth2,", with: "name: veth2, adress: [1.2.3.4/8],")
        assertError(y, at: "adress", "unknown key \"adress\" in endpoint")
        assertError(y, 9, 33, "unknown key")   // checked by hand once
        y = base.replacingOccurrences(of: "{addresses: [192.168.1.1/24]}", with: "{addresses: [192.168.1.1/24], stp: on}")
        assertError(y, at: "stp", "unknown key \"stp\" in bridge \"br0\"")
        assertError(base + "    speed: 10\n", at: "speed", "unknown key \"speed\" in link")
        assertError(base + "checks:\n  - {from: t1, to: 192.168.1.1, too: 1}\n", at: "too", "unknown key \"too\" in check")
    }

    func testUndeclaredNodeAndBridge() {
        var y = base.replacingOccurrences(of: "{node: t1,", with: "{node: t9,")
        assertError(y, at: "t9", "node \"t9\" is not declared")
        assertError(y, 9, 16, "node \"t9\" is not declared")   // checked by hand once
        y = base.replacingOccurrences(of: "master: br0", with: "master: br9")
        assertError(y, at: "br9", "bridge \"br9\" is not declared in node \"host\"")
        y = base + "checks:\n  - {from: t7, to: 192.168.1.1}\n"
        assertError(y, at: "t7", "node \"t7\" is not declared")
        // A bridge of another node is not declared in this one.
        y = base.replacingOccurrences(of: "t1: {}", with: "t1: {bridges: {brx: {}}}").replacingOccurrences(of: "master: br0", with: "master: brx")
        assertError(y, at: "brx", occurrence: 2, "bridge \"brx\" is not declared in node \"host\"")
    }

    func testMissingKeys() {
        assertError("nodes: {}\n", 1, 1, "missing key \"name\"")
        let y = base.replacingOccurrences(of: "{node: t1, name: veth2, addresses: [192.168.1.200/24]}", with: "{node: t1}")
        assertError(y, at: "{node: t1}", "endpoint: missing key \"name\"")
        assertError(base + "checks:\n  - {from: t1}\n", at: "{from: t1}", "check: missing key \"to\"")
    }

    func testDuplicateInterfaceNames() {
        let y = base + """
          - endpoints:
              - {node: t1, name: veth2}
              - {node: host, name: veth3}

        """
        assertError(y, at: "veth2", occurrence: 2, "duplicate interface name \"veth2\" in node \"t1\" (first declared at 9:26)")
        // A bridge and a veth end with one name in one node.
        let y2 = base.replacingOccurrences(of: "name: veth1,", with: "name: br0,")
        assertError(y2, at: "br0,", "duplicate interface name \"br0\" in node \"host\"")
        // The same name in two nodes is fine.
        XCTAssertNoThrow(try Topology.parse(base.replacingOccurrences(of: "name: veth1,", with: "name: veth2,")))
    }

    func testBadNames() {
        assertError(base.replacingOccurrences(of: "name: t\n", with: "name: Seed\n"), 1, 7, "topology name")
        assertError(base.replacingOccurrences(of: "name: t\n", with: "name: a-very-long-name\n"), 1, 7, "1-12 characters")
        var y = base.replacingOccurrences(of: "name: veth2,", with: "name: a-name-that-is-too-long,")
        assertError(y, at: "a-name-that", "longer than 15 bytes")
        y = base.replacingOccurrences(of: "name: veth2,", with: "name: \"a/b\",")
        assertError(y, at: "\"a/b\"", "contains '/'")
        y = base.replacingOccurrences(of: "name: veth2,", with: "name: \"a b\",")
        assertError(y, at: "\"a b\"", "whitespace")
        y = base.replacingOccurrences(of: "name: veth2,", with: "name: lo,")
        assertError(y, at: "lo,", "loopback")
        y = base.replacingOccurrences(of: "br0: {", with: "\"..\": {")
        assertError(y, 5, 7, "reserved", maxCount: 2)
        y = base.replacingOccurrences(of: "  t1: {}", with: "  t1: {}\n  \"a/b\": {}")
        assertError(y, 7, 3, "invalid node name \"a/b\"")
    }

    func testBadCIDRsAndAddresses() {
        assertError(base.replacingOccurrences(of: "192.168.1.200/24", with: "192.168.1.300/24"), at: "192.168.1.300", "invalid CIDR \"192.168.1.300/24\"")
        assertError(base.replacingOccurrences(of: "192.168.1.200/24", with: "192.168.1.200/33"), at: "192.168.1.200", "prefix length")
        assertError(base.replacingOccurrences(of: "192.168.1.200/24", with: "192.168.1.200"), at: "192.168.1.200", "missing /prefix-length")
        assertError(base.replacingOccurrences(of: "192.168.1.200/24", with: "fd00::1::2/64"), at: "fd00", "invalid CIDR")
        assertError(base.replacingOccurrences(of: "master: br0", with: "mac: 01:02:03:04:05:06"), at: "01:02", "multicast")
        assertError(base.replacingOccurrences(of: "master: br0", with: "mac: zz"), at: "zz", "invalid MAC address")
        assertError(base.replacingOccurrences(of: "master: br0", with: "mtu: 10"), at: "10}", "out of range")
        assertError(base + "    mtu: big\n", at: "big", "must be an integer")
        assertError(base + "checks:\n  - {from: t1, to: 1.2.3}\n", at: "1.2.3", "invalid IP address")
        let y = base.replacingOccurrences(of: "  t1: {}", with: "  t1: {}\n  host2: {masquerade: [10.0.0.0/99]}")
        assertError(y, at: "10.0.0.0", "invalid CIDR")
    }

    func testSameAddressTwice() {
        let y = base.replacingOccurrences(of: "192.168.1.200/24", with: "192.168.1.1/24")
        assertError(y, at: "192.168.1.1/24", occurrence: 2, "address 192.168.1.1 is used twice (first at 5:25)")
    }

    func testRouteViaUnreachable() {
        let y = base.replacingOccurrences(of: "t1: {}", with: "t1:\n    routes:\n      - {to: default, via: 10.9.9.9}")
        assertError(y, at: "10.9.9.9", "route via 10.9.9.9 is not reachable")
        let ok = base.replacingOccurrences(of: "t1: {}", with: "t1:\n    routes:\n      - {to: 10.0.0.0/8, via: 192.168.1.1, dev: veth2, metric: 10}")
        XCTAssertEqual(try Topology.parse(ok).node("t1")?.routes.first?.description, "10.0.0.0/8 via 192.168.1.1 dev veth2 metric 10")
        let badDev = base.replacingOccurrences(of: "t1: {}", with: "t1:\n    routes:\n      - {to: default, via: 192.168.1.1, dev: eth7}")
        assertError(badDev, at: "eth7", "route dev \"eth7\" is not an interface of node \"t1\"")
        // via reachable from another interface of the node, but not from the named dev.
        let wrongDev = base.replacingOccurrences(of: "t1: {}", with: "t1:\n    bridges: {brt: {addresses: [10.1.0.1/24]}}\n    routes:\n      - {to: default, via: 10.1.0.9, dev: veth2}")
        assertError(wrongDev, at: "10.1.0.9", "no address of t1/veth2")
        let family = base.replacingOccurrences(of: "t1: {}", with: "t1:\n    routes:\n      - {to: \"fd00::/8\", via: 192.168.1.1}")
        assertError(family, at: "192.168.1.1}", "IPv4 but its destination")
        let ll = base.replacingOccurrences(of: "t1: {}", with: "t1:\n    routes:\n      - {to: default, via: \"fe80::1\"}")
        assertError(ll, at: "\"fe80", "link-local")
        let llDev = base.replacingOccurrences(of: "t1: {}", with: "t1:\n    routes:\n      - {to: default, via: \"fe80::1\", dev: veth2}")
        XCTAssertNoThrow(try Topology.parse(llDev))
        let missing = base.replacingOccurrences(of: "t1: {}", with: "t1:\n    routes:\n      - {to: default}")
        assertError(missing, at: "{to: default}", "route: missing key \"via\"")
    }

    func testBadSysctl() {
        assertError(base.replacingOccurrences(of: "t1: {}", with: "t1:\n    sysctls: {\"net/../x\": 1}"), at: "\"net/", "invalid sysctl key")
        assertError(base.replacingOccurrences(of: "t1: {}", with: "t1:\n    sysctls: {net.ipv4.ip_forward: [1]}"), at: "[1]", "single text value")
    }

    func testLinkNeedsTwoEndpoints() {
        let y = base.replacingOccurrences(of: "      - {node: host, name: veth1, master: br0}\n", with: "")
        assertError(y, at: "- {node: t1", "exactly 2 endpoints")
    }

    func testWrongShapes() {
        assertError("name: t\nnodes: [a]\n", at: "[a]", "nodes must be a mapping")
        assertError(base.replacingOccurrences(of: "t1: {}", with: "t1: {routes: {to: default}}"), at: "{to: default}", "routes must be a list")
        assertError("- 1\n", 1, 1, "must be a mapping")
    }

    func testManyErrorsAllReportedInOrder() {
        let y = base.replacingOccurrences(of: "name: t\n", with: "name: T\n").replacingOccurrences(of: "master: br0", with: "master: br9")
        let errs = schemaErrors(y)
        XCTAssertEqual(errs.map { "\($0.line):\($0.column)" }, ["1:7", "10:43"])
    }
}
