import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

final class CNIKernelTests: CNIKernelTestCase {
    func testAddCheckBreakCheckDelDel() throws {
        try requirePing()
        let c1 = try makeNamespace("cni-k1"), c2 = try makeNamespace("cni-k2")
        let cfg = conf(name: "knet1", bridge: "cnik1", subnet: "10.91.0.0/24", extra: #","mtu":1400,"hairpinMode":true,"promiscMode":true"#)
        let r1 = plugin(env("ADD", "ctr1", netns: c1), cfg)
        let r2 = plugin(env("ADD", "ctr2", netns: c2), cfg)
        // Result shape: bridge, host veth, container interface with sandbox; ips[].interface = 2.
        XCTAssertEqual(r1["cniVersion"], "1.0.0")
        let itfs = try XCTUnwrap(r1["interfaces"]?.arrayValue, "result has interfaces: \(r1.serialized)")
        XCTAssertEqual(itfs.count, 3, "bridge, host veth, container interface")
        XCTAssertEqual(itfs[0]["name"], "cnik1")
        XCTAssertEqual(itfs[2]["name"], "eth0")
        XCTAssertEqual(itfs[2]["sandbox"]?.stringValue, c1)
        XCTAssertEqual(r1["ips"]?.arrayValue?[0]["interface"], 2)
        XCTAssertEqual(r1["ips"]?.arrayValue?[0]["gateway"], "10.91.0.1")
        XCTAssertEqual(r1["routes"]?.arrayValue?.first?["dst"], "0.0.0.0/0")
        XCTAssertEqual(address(r1), "10.91.0.2")
        XCTAssertEqual(address(r2), "10.91.0.3")

        // The kernel agrees: MTU on both ends, bridge port, promisc bridge, hairpin on.
        let host = try NetHandle()
        let br = try host.link(named: InterfaceName("cnik1"))
        XCTAssertTrue(br.flags.contains(.promiscuous))
        let hv = try host.link(named: InterfaceName(XCTUnwrap(itfs[1]["name"]?.stringValue, "host veth name")))
        XCTAssertEqual(hv.masterIndex, br.index)
        XCTAssertEqual(hv.mtu, 1400)
        XCTAssertTrue(tool("/usr/sbin/bridge", ["-d", "link", "show", "dev", hv.name]).contains("hairpin on"), "hairpin mode on")
        let ch = try NetHandle(namespace: NetworkNamespace.open(path: c1))
        let eth0 = try ch.link(named: InterfaceName("eth0"))
        XCTAssertEqual(eth0.mtu, 1400)
        XCTAssertEqual(eth0.address?.description, itfs[2]["mac"]?.stringValue)

        assertReaches("cni-k1", "10.91.0.1", "container pings its gateway")
        assertReaches("cni-k1", "10.91.0.3", "container pings the other container")
        assertReaches("cni-k2", "10.91.0.2", "and back")

        func checkConf(_ prev: JSON) throws -> String { try with(cfg, "prevResult", prev) }
        plugin(env("CHECK", "ctr1", netns: c1), try checkConf(r1))
        // Break the route: 102.
        try ch.deleteRoute(Route(destination: try IPNetwork("0.0.0.0/0"), gateway: IPAddress("10.91.0.1"), device: .index(eth0.index)))
        XCTAssertEqual(plugin(env("CHECK", "ctr1", netns: c1), try checkConf(r1), expect: 1)["code"], 102)
        // Break the address: 101.
        try ch.deleteAddress(try IPNetwork("10.91.0.2/24"), from: .name(InterfaceName("eth0")))
        XCTAssertEqual(plugin(env("CHECK", "ctr1", netns: c1), try checkConf(r1), expect: 1)["code"], 101)
        // Change the MAC: 100.
        try ch.setLink(.index(eth0.index), LinkChange(address: try MACAddress("02:00:00:00:00:99")))
        XCTAssertEqual(plugin(env("CHECK", "ctr1", netns: c1), try checkConf(r1), expect: 1)["code"], 100)
        // CHECK of the healthy one still passes; its reservation gone: 103.
        plugin(env("CHECK", "ctr2", netns: c2), try checkConf(r2))
        try FileManager.default.removeItem(atPath: "\(dataDir)/knet1/10.91.0.3")
        XCTAssertEqual(plugin(env("CHECK", "ctr2", netns: c2), try checkConf(r2), expect: 1)["code"], 103)
        // The gateway address gone from the bridge: 101.
        try host.deleteAddress(try IPNetwork("10.91.0.1/24"), from: .name(InterfaceName("cnik1")))
        XCTAssertEqual(plugin(env("CHECK", "ctr2", netns: c2), try checkConf(r2), expect: 1)["code"], 101)
        // Namespace gone: 3.
        XCTAssertEqual(plugin(env("CHECK", "ctr1", netns: "/run/netns/no-such-ns"), try checkConf(r1), expect: 1)["code"], 3)

        plugin(env("DEL", "ctr1", netns: c1), cfg)
        plugin(env("DEL", "ctr1", netns: c1), cfg)                   // again
        plugin(env("DEL", "ctr1", netns: nil), cfg)                  // without a namespace
        plugin(env("DEL", "never-added", netns: c1), cfg)           // unknown container
        try deleteNamespaces([NamespaceName("cni-k2")])          // waits until its host veth is gone
        plugin(env("DEL", "ctr2", netns: c2), cfg)                   // namespace already gone
        XCTAssertEqual(try ch.linkIfPresent(named: InterfaceName("eth0"))?.name, nil, "container end gone")
        XCTAssertEqual(try reservations("knet1"), [], "both reservations released")
        XCTAssertEqual(try hostVeths(group: "knet1").map(\.name), [], "no host veth left")
    }

    func testPoolExhaustionSlash29() throws {
        let cfg = conf(name: "knet2", bridge: "cnik2", subnet: "10.92.0.0/29", version: "1.1.0")
        var got: [String] = []
        for i in 0..<5 {
            let ns = try makeNamespace("cni-x\(i)")
            got.append(address(plugin(env("ADD", "x\(i)", netns: ns), cfg)))
        }
        XCTAssertEqual(got, ["10.92.0.2", "10.92.0.3", "10.92.0.4", "10.92.0.5", "10.92.0.6"])
        let ns6 = try makeNamespace("cni-x5")
        // Only this test's objects are counted (other tests' namespaces may still be going away).
        let before = try ownLinks(network: "knet2", bridge: "cnik2")
        let reservedBefore = try reservations("knet2")
        XCTAssertEqual(failure(env("ADD", "x5", netns: ns6), cfg), 11)
        XCTAssertEqual(try ownLinks(network: "knet2", bridge: "cnik2"), before, "a refused ADD creates no link")
        XCTAssertEqual(try reservations("knet2"), reservedBefore, "nor a reservation")
        XCTAssertEqual(try NetHandle(namespace: NetworkNamespace.open(path: ns6)).links().map(\.name), ["lo"], "nor a container interface")
        XCTAssertEqual(failure(env("STATUS"), cfg), 50)
        plugin(env("DEL", "x0", netns: nil), cfg)
        plugin(env("STATUS"), cfg)
        XCTAssertEqual(address(plugin(env("ADD", "x5", netns: ns6), cfg)), "10.92.0.2", "the freed address")
        XCTAssertEqual(try reservations("knet2").count, 5)
    }

    func testBadInputCreatesNothing() throws {
        let ns = try makeNamespace("cni-bad")
        let good = conf(name: "knet3", bridge: "cnik3", subnet: "10.93.0.0/24")
        let cases: [([String: String], String, Int64)] = [
            (env("ADD", "bad/id", netns: ns), good, 4),
            (env("ADD", "ok", netns: ns, ifname: "much-too-long-name"), good, 4),
            (env("ADD", "ok", netns: "relative"), good, 4),
            (env("ADD", "ok", netns: "/run/netns/nope"), good, 3),
            (env("ADD", "ok", netns: "/etc/hostname"), good, 4),
            (env("ADD", "ok", netns: ns), "{", 6),
            (env("ADD", "ok", netns: ns), conf(name: "knet3", bridge: "cnik3", subnet: "10.93.0.0/24", version: "9.9.9"), 1),
            (env("ADD", "ok", netns: ns), conf(name: "knet3", bridge: "br/x", subnet: "10.93.0.0/24"), 7),
            (env("ADD", "ok", netns: ns), conf(name: "../x", bridge: "cnik3", subnet: "10.93.0.0/24"), 7),
            (env("ADD", "ok", netns: ns), conf(name: "knet3", bridge: "cnik3", subnet: "10.93.0.0/33"), 7),
            (env("ADD", "ok", netns: ns), conf(name: "knet3", bridge: "cnik3", subnet: "10.93.0.0/24", extra: #","vlan":3"#), 2),
            (env("ADD", "ok", netns: ns), conf(name: "knet3", bridge: "cnik3", subnet: "10.93.0.0/24", ipamType: "no-such-ipam"), 7),
        ]
        for (e, c, code) in cases {
            XCTAssertEqual(failure(e, c), code, "\(e) \(c)")
        }
        XCTAssertEqual(try ownLinks(network: "knet3", bridge: "cnik3"), [], "nothing created on the host")
        XCTAssertEqual(try NetHandle(namespace: NetworkNamespace.open(path: ns)).links().map(\.name), ["lo"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dataDir)/knet3"), "no IPAM state")
    }

    func testConcurrent50AddsThen50Dels() throws {
        try requirePing()
        try requireNFTables()   // the 50 ADDs also write 50 masquerade chains concurrently
        let n = 50
        let cfg = conf(name: "knet4", bridge: "cnik4", subnet: "10.94.0.0/24", extra: #","ipMasq":true"#)
        let paths = try (0..<n).map { try makeNamespace("cni-c\($0)") }
        func launch(_ cmd: String) -> [(Int32, String)] {
            final class Box: @unchecked Sendable { var r = [(Int32, String)](repeating: (0, ""), count: 50); let l = NSLock() }
            let box = Box()
            let bin = binary
            let envs = (0..<n).map { env(cmd, "c\($0)", netns: paths[$0]) }
            DispatchQueue.concurrentPerform(iterations: n) { i in
                let r = runPlugin(envs[i], cfg, binary: bin)
                box.l.lock(); box.r[i] = r; box.l.unlock()
            }
            return box.r
        }
        let adds = launch("ADD")
        XCTAssertEqual(adds.filter { $0.0 != 0 }.map(\.1), [])
        let ips = adds.map { address(json($0.1)) }
        XCTAssertEqual(Set(ips).count, n, "50 distinct addresses")
        XCTAssertEqual(try hostVeths(group: "knet4").count, n, "one host veth per ADD")
        for i in stride(from: 0, to: n, by: 7) { assertReaches("cni-c\(i)", "10.94.0.1", "c\(i) pings the gateway") }
        assertReaches("cni-c0", ips[n - 1], "first container pings the last")
        XCTAssertEqual(try masqueradeOwners("knet4").count, n, "one masquerade chain per ADD")
        let dels = launch("DEL")
        XCTAssertEqual(dels.filter { $0.0 != 0 }.map(\.1), [], "every DEL succeeds")
        XCTAssertEqual(try hostVeths(group: "knet4").map(\.name), [], "no veth left")
        XCTAssertEqual(try reservations("knet4"), [], "no reservation left")
        XCTAssertEqual(try masqueradeOwners("knet4"), [], "no masquerade rule left")
        for p in paths.prefix(3) {
            XCTAssertEqual(try NetHandle(namespace: NetworkNamespace.open(path: p)).links().map(\.name), ["lo"], "\(p) is empty again")
        }
    }

    func testKill9DuringAddThenGCLeavesNothing() throws {
        try requirePing()
        try requireNFTables()   // what a kill may leave includes masquerade chains
        let cfg = conf(name: "knet5", bridge: "cnik5", subnet: "10.95.0.0/24", version: "1.1.0", extra: #","ipMasq":true"#)
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        // Calibrate: how long one ADD takes here, so the kills land anywhere inside it.
        plugin(env("ADD", "warm-up", netns: try makeNamespace("cni-kill-warm")), cfg)   // bridge, nft table
        let t0 = Date()
        plugin(env("ADD", "calibrate", netns: try makeNamespace("cni-kill-cal")), cfg)
        let addMicros = UInt32(max(1000, Date().timeIntervalSince(t0) * 1_000_000))
        var killed = 0, finished = 0
        for i in 0..<16 {
            let ns = try makeNamespace("cni-kill\(i)")
            let pid = startPlugin(env("ADD", "k\(i)", netns: ns), cfg, binary: binary)
            usleep(UInt32.random(in: 0...addMicros, using: &rng))
            var st: Int32 = 0
            if waitpid(pid, &st, WNOHANG) == 0 {
                XCTAssertEqual(kill(pid, SIGKILL), 0, "kill \(pid)")
                XCTAssertEqual(waitpid(pid, &st, 0), pid, "reap \(pid)")
            }
            // Died by SIGKILL (WIFSIGNALED, WTERMSIG == SIGKILL): the kill landed before the
            // ADD finished. Otherwise it exited (status 0) before the kill.
            if st & 0x7f == SIGKILL {
                killed += 1
            } else {
                XCTAssertEqual(st & 0x7f, 0, "k\(i): neither killed nor exited (status \(st)), seed \(seed)")
                XCTAssertEqual((st >> 8) & 0xff, 0, "k\(i): an ADD that finished succeeded, seed \(seed)")
                finished += 1
            }
        }
        XCTAssertGreaterThan(killed, 0, "no kill landed while ADD ran (ADD takes ~\(addMicros / 1000) ms), seed \(seed)")
        print("kill -9: \(killed) of 16 ADDs killed by SIGKILL while running, \(finished) finished first (ADD ~\(addMicros / 1000) ms, seed \(seed)); before GC: \(try reservations("knet5").count) reservations, \(try hostVeths(group: "knet5").count) host veths, \(try masqueradeOwners("knet5").count) rules")
        // Some ADDs also completed: GC with an empty valid list must remove them all the same.
        plugin(env("GC"), try with(cfg, "cni.dev/valid-attachments", .array([])))
        XCTAssertEqual(try reservations("knet5"), [], "no reservation left (killed \(killed) of 16, seed \(seed))")
        XCTAssertEqual(try hostVeths(group: "knet5").map(\.name), [], "no host veth left, seed \(seed)")
        XCTAssertEqual(try masqueradeOwners("knet5"), [], "no masquerade chain left, seed \(seed)")
        // GC keeps valid attachments.
        let ns = try makeNamespace("cni-keep")
        let r = plugin(env("ADD", "keep", netns: ns), cfg)
        plugin(env("GC"), try with(cfg, "cni.dev/valid-attachments", [["containerID": "keep", "ifname": "eth0"]]))
        XCTAssertEqual(try reservations("knet5"), [address(r)], "the valid attachment keeps its address")
        XCTAssertEqual(try hostVeths(group: "knet5").count, 1, "and its host veth")
        XCTAssertEqual(try masqueradeOwners("knet5").count, 1, "and its masquerade chain")
        assertReaches("cni-keep", "10.95.0.1", "the kept container still works")
    }

    func testDualStack() throws {
        try requirePing()
        let ns = try makeNamespace("cni-v6")
        let cfg = #"{"cniVersion":"1.1.0","name":"knet6","type":"vethkit-cni","bridge":"cnik6","isDefaultGateway":true,"ipam":{"type":"vethkit","dataDir":"\#(dataDir)","ranges":[[{"subnet":"10.96.0.0/24"}],[{"subnet":"fd96::/64"}]]}}"#
        let r = plugin(env("ADD", "v6", netns: ns), cfg)
        XCTAssertEqual(r["ips"]?.arrayValue?.map { $0["address"]?.stringValue ?? "" }, ["10.96.0.2/24", "fd96::2/64"])
        XCTAssertEqual(r["routes"]?.arrayValue?.count, 2, "a default route per family")
        XCTAssertNotNil(r["interfaces"]?.arrayValue?[2]["mtu"], "1.1.0 results carry the interface MTU")
        // ADD returns only once the IPv6 addresses are usable (not tentative), link-local excepted.
        let inside = try NetHandle(namespace: NetworkNamespace.open(path: ns)).addresses(link: .name(InterfaceName("eth0")))
        XCTAssertFalse(inside.contains { $0.isTentative && !$0.network.address.isIPv6LinkLocal }, "\(inside)")
        XCTAssertFalse(try NetHandle().addresses(link: .name(InterfaceName("cnik6"))).contains { $0.isTentative && !$0.network.address.isIPv6LinkLocal })
        XCTAssertEqual(try Sysctl.read("net/ipv6/conf/all/forwarding"), "1", "isGateway (implied) switches IPv6 forwarding on")
        assertReaches("cni-v6", "10.96.0.1", "IPv4 gateway")
        // Global addresses are nodad; neighbour discovery on a just-created bridge port can still
        // take a moment on a loaded machine: allow up to 5 s.
        let start = Date()
        var last = ping(from: "cni-v6", "fd96::1")
        while last == .noReply && Date().timeIntervalSince(start) < 5 { last = ping(from: "cni-v6", "fd96::1") }
        XCTAssertEqual(last, .reply, "IPv6 gateway reachable within 5 s")
        print("IPv6 gateway reachable after \(Int(Date().timeIntervalSince(start) * 1000)) ms")
        plugin(env("DEL", "v6", netns: ns), cfg)
        XCTAssertEqual(try reservations("knet6"), [], "both reservations released")
    }

    /// The derived host name taken by a device that is not ours: ADD refuses and undoes its
    /// reservation; DEL leaves the foreign device alone. A stale veth of the same attachment
    /// (left by an interrupted ADD) is replaced.
    func testHostNameTakenAndStaleLeftover() throws {
        try requirePing()
        let ns = try makeNamespace("cni-taken")
        let cfg = conf(name: "knet8", bridge: "cnik8", subnet: "10.88.8.0/24")
        let a = NetworkConfig.Attachment(containerID: "taken", ifname: "eth0")
        let name = Naming.hostVeth(network: "knet8", a)
        let host = try NetHandle()
        try host.addLink(.bridge(name))   // any device that is not ours (dummy is not built into every kernel)
        XCTAssertEqual(failure(env("ADD", "taken", netns: ns), cfg), 110)
        XCTAssertEqual(try reservations("knet8"), [], "reservation undone")
        plugin(env("DEL", "taken", netns: ns), cfg)
        XCTAssertEqual(try host.link(named: name).kind, "bridge", "DEL leaves a foreign device alone")
        try host.deleteLink(.name(name))
        // A leftover veth of this attachment (same name, the network's group): replaced by ADD.
        try host.addLink(LinkSpec(LinkAttributes(name: name, group: Naming.linkGroup(network: "knet8")),
                                  kind: Veth(peerName: try InterfaceName("stale-peer"))))
        let r = plugin(env("ADD", "taken", netns: ns), cfg)
        XCTAssertEqual(r["interfaces"]?.arrayValue?[1]["name"]?.stringValue, name.rawValue)
        XCTAssertNil(try host.linkIfPresent(named: InterfaceName("stale-peer")), "the stale pair is gone")
        assertReaches("cni-taken", "10.88.8.1", "the replaced attachment works")
        plugin(env("DEL", "taken", netns: ns), cfg)
        XCTAssertNil(try host.linkIfPresent(named: name))
    }

    /// Chained: an ADD with prevResult passes the earlier interfaces through and indexes its own.
    func testPrevResultPassThrough() throws {
        let ns = try makeNamespace("cni-chain")
        let cfg = try with(conf(name: "knet7", bridge: "cnik7", subnet: "10.97.0.0/24"), "prevResult",
                           ["cniVersion": "1.0.0", "interfaces": [["name": "lo0", "sandbox": .string(ns)]],
                            "ips": [["address": "192.0.2.1/32", "interface": 0]]])
        let r = plugin(env("ADD", "chain", netns: ns), cfg)
        XCTAssertEqual(r["interfaces"]?.arrayValue?.count, 4, "the earlier interface, then ours")
        XCTAssertEqual(r["ips"]?.arrayValue?.map { $0["interface"] }, [0, 3], "our address indexes our interface")
        plugin(env("DEL", "chain", netns: ns), cfg)
    }
}
