import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// `perf` between nodes of a topology that is up: by node name and by address, the path followed
/// through routers and bridges, the drop counters of its veth ends (made to move with an MTU
/// mismatch and cross-checked with `ip -s -j`), and across a tbf 100mbit rate cap the same reading
/// as iperf3's on the same path in the same test (±5 %). Durations 1–2 s.
final class PerfKernelTests: XCTestCase {
    let s = uniqueSuffix()
    var topo: String { "pk\(s)" }

    /// h1 — r1 — h2, routed (10.211.1.0/24 and 10.211.2.0/24, r1 forwards), IPv6 too.
    var chain: String {
        """
        name: \(topo)
        nodes:
          h1:
            routes: [{to: default, via: 10.211.1.1}, {to: default, via: "fd11:1::1"}]
          r1:
            sysctls: {net.ipv4.ip_forward: "1", net.ipv6.conf.all.forwarding: "1"}
          h2:
            routes: [{to: default, via: 10.211.2.1}, {to: default, via: "fd11:2::1"}]
        links:
          - endpoints:
              - {node: h1, name: eth0, addresses: [10.211.1.2/24, "fd11:1::2/64"]}
              - {node: r1, name: eth0, addresses: [10.211.1.1/24, "fd11:1::1/64"]}
          - endpoints:
              - {node: r1, name: eth1, addresses: [10.211.2.1/24, "fd11:2::1/64"]}
              - {node: h2, name: eth0, addresses: [10.211.2.2/24, "fd11:2::2/64"]}
        """
    }

    /// a and b on one subnet through a bridge in node sw (no address of its own).
    var switched: String {
        """
        name: \(topo)
        nodes:
          sw:
            bridges: {br0: {}}
          a: {}
          b: {}
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.212.0.1/24]}, {node: sw, name: p1, master: br0}]
          - endpoints: [{node: b, name: eth0, addresses: [10.212.0.2/24]}, {node: sw, name: p2, master: br0}]
        """
    }

    func up(_ yaml: String) throws -> Topology {
        try requireKernel()
        let t = try Topology.parse(yaml)
        addTeardownBlock { [topo] in _ = try? Applier.down(name: topo) }
        _ = try Applier.up(t)
        return t
    }

    func namespace(_ node: String) -> String { "\(topo)-\(node)" }

    func testByNodeNameAndByAddressAcrossARouter() throws {
        let t = try up(chain)
        let byName = try Perf.run(t, from: "h1", to: "h2", options: .init(duration: 1))
        XCTAssertEqual(byName.endpoints, Perf.Endpoints(from: "h1", to: "h2", target: try IPAddress(parsing: "10.211.2.2"), source: nil))
        XCTAssertTrue(byName.pathFollowed)
        XCTAssertEqual(byName.path.map { "\($0.node)/\($0.interface)" }, ["h1/eth0", "r1/eth0", "r1/eth1", "h2/eth0"])
        XCTAssertEqual(byName.throughput.received.bytes, byName.throughput.sent.bytes)
        XCTAssertGreaterThan(byName.throughput.received.bytes, 10_000_000)
        for e in byName.path {
            XCTAssertNotNil(e.before, "\(e.node)/\(e.interface)")
            XCTAssertNotNil(e.after)
            XCTAssertGreaterThan(e.after!.rxPackets, e.before!.rxPackets, "traffic crossed \(e.node)/\(e.interface)")
        }
        // By address, IPv6, from an address of h1 (the senders bind to it), the other way round.
        let byAddress = try Perf.run(t, from: "fd11:2::2", to: "fd11:1::2", options: .init(duration: 1, streams: 2))
        XCTAssertEqual(byAddress.endpoints.from, "h2")
        XCTAssertEqual(byAddress.endpoints.to, "h1")
        XCTAssertEqual(byAddress.endpoints.source, try IPAddress(parsing: "fd11:2::2"))
        XCTAssertEqual(byAddress.path.map { "\($0.node)/\($0.interface)" }, ["h2/eth0", "r1/eth1", "r1/eth0", "h1/eth0"])
        XCTAssertEqual(byAddress.throughput.received.bytes, byAddress.throughput.sent.bytes)
        XCTAssertEqual(byAddress.throughput.streams.count, 2)
        // TO given as a router address: its own namespace receives.
        let router = try Perf.run(t, from: "h1", to: "10.211.2.1", options: .init(duration: 0.5, transport: .udp(bitsPerSecond: 10_000_000)))
        XCTAssertEqual(router.endpoints.to, "r1")
        XCTAssertEqual(router.path.map { "\($0.node)/\($0.interface)" }, ["h1/eth0", "r1/eth0"])
        XCTAssertEqual(router.throughput.udp?.lost, 0)
    }

    func testPathThroughABridge() throws {
        let t = try up(switched)
        let r = try Perf.run(t, from: "a", to: "b", options: .init(duration: 0.5))
        XCTAssertTrue(r.pathFollowed)
        XCTAssertEqual(r.path.map { "\($0.node)/\($0.interface)" }, ["a/eth0", "sw/p1", "sw/p2", "b/eth0"])
        XCTAssertEqual(r.throughput.received.bytes, r.throughput.sent.bytes)
    }

    /// r1/eth0 with a smaller MTU than h1/eth0: every full-size datagram h1 sends is dropped by
    /// the veth (`tx_dropped` of h1/eth0). perf reports them lost and the drop counter says where.
    func testDropCountersSayWhereTheLossWas() throws {
        let t = try up(chain)
        try ip("-n", namespace("r1"), "link", "set", "eth0", "mtu", "1400")
        let r = try Perf.run(t, from: "h1", to: "h2", options: .init(duration: 0.5, transport: .udp(bitsPerSecond: 20_000_000)))
        let u = try XCTUnwrap(r.throughput.udp)
        XCTAssertGreaterThan(u.packetsSent, 500)
        XCTAssertEqual(u.lost, u.packetsSent, "nothing of 1476 bytes passes an MTU of 1400")
        let h1 = try XCTUnwrap(r.path.first)
        XCTAssertEqual("\(h1.node)/\(h1.interface)", "h1/eth0")
        XCTAssertEqual(h1.txDropped, u.packetsSent, "the veth counted every drop")
        // The kernel counts a drop at both ends of the pair: tx on the sender's, rx on the peer's.
        let r1 = r.path[1]
        XCTAssertEqual("\(r1.node)/\(r1.interface)", "r1/eth0")
        XCTAssertEqual(r1.rxDropped, u.packetsSent)
        let elsewhere = r.path.dropFirst(2).map { ($0.rxDropped ?? 99) + ($0.txDropped ?? 99) } + [h1.rxDropped ?? 99, r1.txDropped ?? 99]
        XCTAssertEqual(elsewhere.reduce(0, +), 0, "no drops anywhere else on the path")
        // iproute2 reads the same counter.
        let l = try ipJSON("-n", namespace("h1"), "-s", "link", "show", "eth0")
        let tx = try XCTUnwrap((l.first?["stats64"] as? [String: Any])?["tx"] as? [String: Any])
        XCTAssertEqual((tx["dropped"] as? NSNumber)?.uint64Value, h1.after?.txDropped)
    }

    /// iperf3's goodput (end.sum_received) from h1 to 10.211.2.2, over 2 s.
    func iperf3() throws -> Double {
        let server = try BackgroundProcess("/usr/sbin/ip", ["netns", "exec", namespace("h2"), "/usr/bin/iperf3", "-s", "-1", "-p", "5299"])
        defer { server.stop() }
        var result: ProcessResult?
        try waitUntil("iperf3's server accepts", timeout: 5) {
            let r = try runProcess("/usr/sbin/ip", ["netns", "exec", namespace("h1"), "/usr/bin/iperf3", "-c", "10.211.2.2", "-p", "5299", "-t", "2", "-J"], timeout: 30)
            result = r
            return r.status == 0 && !r.stdout.contains("\"error\"")
        }
        let r = try XCTUnwrap(result)
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let end = try XCTUnwrap(j["end"] as? [String: Any])
        return try XCTUnwrap(((end["sum_received"] as? [String: Any])?["bits_per_second"] as? NSNumber)?.doubleValue, r.stdout)
    }

    /// perf h1 -> h2 between two iperf3 runs; asserts it is within ±5 % of their mean.
    func assertReadsWhatIperf3Reads(_ t: Topology, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try iperf3()
        let ours = try Perf.run(t, from: "h1", to: "h2", options: .init(duration: 2)).throughput.received.bitsPerSecond
        let after = try iperf3()
        let anchor = (before + after) / 2
        print("\(what): iperf3 \(before / 1e6) and \(after / 1e6) Mbit/s, perf \(ours / 1e6) Mbit/s, ratio \(ours / anchor)")
        XCTAssertEqual(anchor, 95e6, accuracy: 5e6, "the anchor itself reads the cap", file: file, line: line)
        XCTAssertEqual(ours / anchor, 1, accuracy: 0.05, file: file, line: line)
    }

    /// tbf 100mbit on h1's egress, set by tc: perf's goodput is iperf3's ±5 %, both measured here,
    /// now, over the same path (iperf3 first, then perf, then iperf3 again; perf against their mean).
    func testRateCapReadsWhatIperf3Reads() throws {
        try requireComponent("/usr/bin/iperf3", package: "iperf3")
        let t = try up(chain)
        try runProcess("/usr/sbin/tc", ["-n", namespace("h1"), "qdisc", "add", "dev", "eth0", "root", "tbf",
                                        "rate", "100mbit", "burst", "64kb", "latency", "50ms"])
        try assertReadsWhatIperf3Reads(t, "tbf 100mbit (tc)")
        let tc = try parseJSONArray(try runProcess("/usr/sbin/tc", ["-n", namespace("h1"), "-j", "qdisc", "show", "dev", "eth0"]).stdout)
        XCTAssertEqual(tc.first?["kind"] as? String, "tbf")
    }

    /// The same through the topology file's own `impair: {rate: 100mbit}` on the h1—r1 link.
    func testTopologyRateImpairmentReadsWhatIperf3Reads() throws {
        try requireComponent("/usr/bin/iperf3", package: "iperf3")
        let r1End = "      - {node: r1, name: eth0, addresses: [10.211.1.1/24, \"fd11:1::1/64\"]}\n"
        let impaired = chain.replacingOccurrences(of: r1End, with: r1End + "    impair: {rate: 100mbit}\n")
        XCTAssertNotEqual(impaired, chain)
        let t = try up(impaired)
        let tc = try parseJSONArray(try runProcess("/usr/sbin/tc", ["-n", namespace("h1"), "-j", "qdisc", "show", "dev", "eth0"]).stdout)
        XCTAssertEqual(tc.first?["kind"] as? String, "tbf", "up put the rate cap there")
        try assertReadsWhatIperf3Reads(t, "impair rate 100mbit (topology)")
    }

    /// A cut link: perf cannot connect and says so once, within the connect limit; after restore
    /// it measures again.
    func testCutLinkIsOneClearErrorAndRestoreMeasuresAgain() throws {
        let t = try up(chain)
        _ = try TopologyCut.cut(topology: topo, node: "h1")
        var o = Throughput.Options(duration: 0.5)
        o.connectTimeout = 1
        XCTAssertThrowsError(try Perf.run(t, from: "h1", to: "h2", options: o)) { e in
            XCTAssertTrue(e is ConnectTimedOut, "\(type(of: e)): \(e)")
            XCTAssertTrue("\(e)".hasPrefix("connect to 10.211.2.2 port "), "\(e)")
        }
        _ = try TopologyCut.restore(topology: topo, node: "h1")
        // The default connect limit (3 s): the neighbour entries the cut left unresolved are
        // probed again at ARP's pace (1 s), and a SYN waiting for one is retransmitted after 1 s.
        let r = try Perf.run(t, from: "h1", to: "h2", options: .init(duration: 0.5))
        XCTAssertEqual(r.throughput.received.bytes, r.throughput.sent.bytes)
        XCTAssertGreaterThan(r.throughput.received.bytes, 0)
    }

    /// No kernel needed: FROM and TO are checked against the file.
    func testEndpointsAreCheckedAgainstTheFile() throws {
        let t = try Topology.parse(chain)
        func refused(_ from: String, _ to: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try Perf.endpoints(t, from: from, to: to), file: file, line: line) { e in
                XCTAssertEqual(ErrorCategory.of(e), .invalidInput, file: file, line: line)
                XCTAssertEqual("\(e)", message, file: file, line: line)
            }
        }
        refused("h9", "h2", "FROM \"h9\": no node of that name in topology \(topo) (nodes: h1, r1, h2), and not an address")
        refused("h1", "10.9.9.9", "TO \"10.9.9.9\": no node of topology \(topo) has this address")
        refused("h1", "h1", "FROM and TO are the same node (h1): perf measures between two nodes")
        refused("10.211.1.2", "h1", "FROM and TO are the same node (h1): perf measures between two nodes")
        refused("h1\u{1b}[2J", "h2", "FROM \"h1\\u{1b}[2J\": no node of that name in topology \(topo) (nodes: h1, r1, h2), and not an address")
        refused("10.211.1.2", "fd11:2::2", "FROM 10.211.1.2 and TO fd11:2::2 are of different address families")
        // TO as a node: the address FROM shares a subnet with, else the first IPv4 one.
        XCTAssertEqual(try Perf.endpoints(t, from: "h1", to: "r1").target, try IPAddress(parsing: "10.211.1.1"))
        XCTAssertEqual(try Perf.endpoints(t, from: "h2", to: "r1").target, try IPAddress(parsing: "10.211.2.1"))
        XCTAssertEqual(try Perf.endpoints(t, from: "fd11:1::2", to: "h2").target, try IPAddress(parsing: "fd11:2::2"))
        XCTAssertEqual(try Perf.endpoints(t, from: "h1", to: "h2").target, try IPAddress(parsing: "10.211.2.2"))
    }

    func testNotUpIsOneClearError() throws {
        try requireKernel()
        let t = try Topology.parse(chain)
        XCTAssertThrowsError(try Perf.run(t, from: "h1", to: "h2", options: .init(duration: 1))) { e in
            XCTAssertTrue(e is Perf.NotUp, "\(type(of: e)): \(e)")
            XCTAssertTrue("\(e)".hasPrefix("node h1 of topology \(topo) is not up"), "\(e)")
        }
    }
}
