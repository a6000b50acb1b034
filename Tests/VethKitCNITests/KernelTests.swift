import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

/// Kernel tests: the built `vethkit-cni` binary run as a separate process, as a runtime runs it,
/// inside the project's sandbox (scripts/sandbox sets VETHKIT_SANDBOX=1). Skipped elsewhere.
class CNIKernelTestCase: XCTestCase {
    var binary = ""
    var dataDir = ""
    var namespaces: [NamespaceName] = []

    override func setUpWithError() throws {
        try requireKernel()   // root and scripts/sandbox (VETHKIT_SANDBOX=1), else skipped
        guard let b = pluginBinary() else { throw XCTSkip("vethkit-cni binary not built (swift build --product vethkit-cni)") }
        binary = b
        dataDir = "/run/vethkit/cni-test-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        addTeardownBlock { [dataDir] in try? FileManager.default.removeItem(atPath: dataDir) }
    }

    override func tearDown() {
        for n in namespaces { try? NetworkNamespace.delete(n) }
        namespaces = []
    }

    func makeNamespace(_ name: String) throws -> String {
        let n = try NamespaceName(name)
        if NetworkNamespace.exists(n) { try NetworkNamespace.delete(n) }
        try NetworkNamespace.create(n)
        namespaces.append(n)
        return NetworkNamespace.path(of: n)
    }

    func conf(name: String, bridge: String, subnet: String, type: String = "vethkit-cni", ipamType: String = "vethkit",
              version: String = "1.0.0", extra: String = "", ipamExtra: String = "") -> String {
        #"{"cniVersion":"\#(version)","name":"\#(name)","type":"\#(type)","bridge":"\#(bridge)","isGateway":true,"isDefaultGateway":true\#(extra),"ipam":{"type":"\#(ipamType)","dataDir":"\#(dataDir)","ranges":[[{"subnet":"\#(subnet)"}]]\#(ipamExtra)}}"#
    }

    func env(_ cmd: String, _ id: String, netns: String?, ifname: String = "eth0") -> [String: String] {
        var e = ["CNI_COMMAND": cmd, "CNI_CONTAINERID": id, "CNI_IFNAME": ifname, "CNI_PATH": "/usr/lib/cni",
                 "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        if let netns { e["CNI_NETNS"] = netns }
        return e
    }

    @discardableResult
    func plugin(_ env: [String: String], _ stdin: String, binary: String? = nil, expect status: Int32 = 0,
                file: StaticString = #filePath, line: UInt = #line) -> JSON {
        let (rc, out) = runPlugin(env, stdin, binary: binary ?? self.binary)
        XCTAssertEqual(rc, status, "\(env["CNI_COMMAND"] ?? "") -> \(out)", file: file, line: line)
        return out.isEmpty ? .null : json(out)
    }

    /// `ip netns exec NS ping -c1 -W2 IP` (tests may use tools; the product does not).
    func ping(from ns: String, _ ip: String) -> Bool {
        runTool("/usr/bin/ip", ["netns", "exec", ns, "ping", ip.contains(":") ? "-6" : "-4", "-c1", "-W2", ip]).0 == 0
    }

    /// Output of a tool (cross-checks only).
    func tool(_ path: String, _ args: [String]) -> String { runTool(path, args).1 }

    func hostVeths(group network: String) throws -> [Link] {
        try NetHandle().links().filter { $0.isVeth && $0.group == Naming.linkGroup(network: network) }
    }

    func reservations(_ network: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(dataDir)/\(network)")) ?? []).filter { IPAddress($0) != nil }
    }

    func address(_ result: JSON, _ i: Int = 0) -> String {
        let a = result["ips"]?.arrayValue?[i]["address"]?.stringValue ?? ""
        return String(a.split(separator: "/").first ?? "")
    }
}

final class CNIKernelTests: CNIKernelTestCase {
    func testAddCheckBreakCheckDelDel() throws {
        let c1 = try makeNamespace("cni-k1"), c2 = try makeNamespace("cni-k2")
        let cfg = conf(name: "knet1", bridge: "cnik1", subnet: "10.91.0.0/24", extra: #","mtu":1400,"hairpinMode":true,"promiscMode":true"#)
        let r1 = plugin(env("ADD", "ctr1", netns: c1), cfg)
        let r2 = plugin(env("ADD", "ctr2", netns: c2), cfg)
        // Result shape: bridge, host veth, container interface with sandbox; ips[].interface = 2.
        XCTAssertEqual(r1["cniVersion"], "1.0.0")
        let itfs = try XCTUnwrap(r1["interfaces"]?.arrayValue)
        XCTAssertEqual(itfs.count, 3)
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
        let br = try host.link(named: "cnik1")
        XCTAssertTrue(br.flags.contains(.promiscuous))
        let hv = try host.link(named: itfs[1]["name"]!.stringValue!)
        XCTAssertEqual(hv.masterIndex, br.index)
        XCTAssertEqual(hv.mtu, 1400)
        XCTAssertTrue(tool("/usr/sbin/bridge", ["-d", "link", "show", "dev", hv.name]).contains("hairpin on"), "hairpin mode on")
        let ch = try NetHandle(namespace: NetworkNamespace.open(path: c1))
        let eth0 = try ch.link(named: "eth0")
        XCTAssertEqual(eth0.mtu, 1400)
        XCTAssertEqual(eth0.address?.description, itfs[2]["mac"]?.stringValue)

        XCTAssertTrue(ping(from: "cni-k1", "10.91.0.1"), "container pings its gateway")
        XCTAssertTrue(ping(from: "cni-k1", "10.91.0.3"), "container pings the other container")
        XCTAssertTrue(ping(from: "cni-k2", "10.91.0.2"))

        func checkConf(_ prev: JSON) -> String {
            var o = json(cfg).objectValue!
            o["prevResult"] = prev
            return JSON.object(o).serialized
        }
        plugin(env("CHECK", "ctr1", netns: c1), checkConf(r1))
        // Break the route: 102.
        try ch.deleteRoute(Route(destination: try IPNetwork("0.0.0.0/0"), gateway: IPAddress("10.91.0.1"), outputIndex: eth0.index))
        XCTAssertEqual(plugin(env("CHECK", "ctr1", netns: c1), checkConf(r1), expect: 1)["code"], 102)
        // Break the address: 101.
        try ch.deleteAddress(try IPNetwork("10.91.0.2/24"), link: "eth0")
        XCTAssertEqual(plugin(env("CHECK", "ctr1", netns: c1), checkConf(r1), expect: 1)["code"], 101)
        // Change the MAC: 100.
        try ch.setLink(index: eth0.index, LinkChange(address: try MACAddress("02:00:00:00:00:99")))
        XCTAssertEqual(plugin(env("CHECK", "ctr1", netns: c1), checkConf(r1), expect: 1)["code"], 100)
        // CHECK of the healthy one still passes; its reservation gone: 103.
        plugin(env("CHECK", "ctr2", netns: c2), checkConf(r2))
        try FileManager.default.removeItem(atPath: "\(dataDir)/knet1/10.91.0.3")
        XCTAssertEqual(plugin(env("CHECK", "ctr2", netns: c2), checkConf(r2), expect: 1)["code"], 103)
        // The gateway address gone from the bridge: 101.
        try host.deleteAddress(try IPNetwork("10.91.0.1/24"), link: "cnik1")
        XCTAssertEqual(plugin(env("CHECK", "ctr2", netns: c2), checkConf(r2), expect: 1)["code"], 101)
        // Namespace gone: 3.
        XCTAssertEqual(plugin(env("CHECK", "ctr1", netns: "/run/netns/no-such-ns"), checkConf(r1), expect: 1)["code"], 3)

        plugin(env("DEL", "ctr1", netns: c1), cfg)
        plugin(env("DEL", "ctr1", netns: c1), cfg)                   // again
        plugin(env("DEL", "ctr1", netns: nil), cfg)                  // without a namespace
        plugin(env("DEL", "never-added", netns: c1), cfg)           // unknown container
        try NetworkNamespace.delete(NamespaceName("cni-k2"))
        namespaces.removeAll { $0.rawValue == "cni-k2" }
        plugin(env("DEL", "ctr2", netns: c2), cfg)                   // namespace already gone
        XCTAssertEqual(try ch.linkIfPresent(named: "eth0")?.name, nil, "container end gone")
        XCTAssertEqual(reservations("knet1"), [])
        // veths of a deleted namespace disappear asynchronously.
        let deadline = Date().addingTimeInterval(3)
        while try !hostVeths(group: "knet1").isEmpty && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(try hostVeths(group: "knet1").map(\.name), [])
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
        let before = try NetHandle().links().count
        XCTAssertEqual(plugin(env("ADD", "x5", netns: ns6), cfg, expect: 1)["code"], 11)
        XCTAssertEqual(try NetHandle().links().count, before, "a refused ADD creates nothing")
        XCTAssertEqual(try NetHandle(namespace: NetworkNamespace.open(path: ns6)).linkIfPresent(named: "eth0")?.name, nil)
        XCTAssertEqual(plugin(["CNI_COMMAND": "STATUS", "CNI_PATH": "/usr/lib/cni"], cfg, expect: 1)["code"], 50)
        plugin(env("DEL", "x0", netns: nil), cfg)
        plugin(["CNI_COMMAND": "STATUS", "CNI_PATH": "/usr/lib/cni"], cfg)
        _ = address(plugin(env("ADD", "x5", netns: ns6), cfg))
        XCTAssertEqual(reservations("knet2").count, 5)
    }

    func testBadInputCreatesNothing() throws {
        let ns = try makeNamespace("cni-bad")
        let good = conf(name: "knet3", bridge: "cnik3", subnet: "10.93.0.0/24")
        let before = try NetHandle().links().map(\.name)
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
            XCTAssertEqual(plugin(e, c, expect: 1)["code"]?.intValue, code, "\(e) \(c)")
        }
        XCTAssertEqual(try NetHandle().links().map(\.name), before, "nothing created on the host")
        XCTAssertEqual(try NetHandle(namespace: NetworkNamespace.open(path: ns)).links().map(\.name), ["lo"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dataDir)/knet3"), "no IPAM state")
    }

    func testConcurrent50AddsThen50Dels() throws {
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
        XCTAssertEqual(try hostVeths(group: "knet4").count, n)
        for i in stride(from: 0, to: n, by: 7) { XCTAssertTrue(ping(from: "cni-c\(i)", "10.94.0.1"), "c\(i) pings the gateway") }
        XCTAssertTrue(ping(from: "cni-c0", ips[n - 1]), "first container pings the last")
        XCTAssertEqual(try Masquerade.owners().filter { $0.hasPrefix(Naming.masqueradePrefix(network: "knet4")) }.count, n)
        let dels = launch("DEL")
        XCTAssertEqual(dels.filter { $0.0 != 0 }.map(\.1), [])
        XCTAssertEqual(try hostVeths(group: "knet4").map(\.name), [], "no veth left")
        XCTAssertEqual(reservations("knet4"), [], "no reservation left")
        XCTAssertEqual(try Masquerade.owners().filter { $0.hasPrefix(Naming.masqueradePrefix(network: "knet4")) }, [], "no masquerade rule left")
        for p in paths.prefix(3) {
            XCTAssertEqual(try NetHandle(namespace: NetworkNamespace.open(path: p)).links().map(\.name), ["lo"])
        }
    }

    func testKill9DuringAddThenGCLeavesNothing() throws {
        let cfg = conf(name: "knet5", bridge: "cnik5", subnet: "10.95.0.0/24", version: "1.1.0", extra: #","ipMasq":true"#)
        // Calibrate: how long one ADD takes here, so the kills land anywhere inside it.
        plugin(env("ADD", "warm-up", netns: try makeNamespace("cni-kill-warm")), cfg)   // bridge, nft table
        let t0 = Date()
        plugin(env("ADD", "calibrate", netns: try makeNamespace("cni-kill-cal")), cfg)
        let addMicros = UInt32(max(1000, Date().timeIntervalSince(t0) * 1_000_000))
        var killedEarly = 0
        for i in 0..<16 {
            let ns = try makeNamespace("cni-kill\(i)")
            let pid = startPlugin(env("ADD", "k\(i)", netns: ns), cfg, binary: binary)
            usleep(UInt32.random(in: 0...addMicros))
            var st: Int32 = 0
            if waitpid(pid, &st, WNOHANG) == 0 {
                kill(pid, SIGKILL)
                killedEarly += 1
                waitpid(pid, &st, 0)
            }
        }
        print("kill -9: \(killedEarly) of 16 ADDs killed while running (ADD takes ~\(addMicros / 1000) ms); before GC: \(reservations("knet5").count) reservations, \(try hostVeths(group: "knet5").count) host veths, \(try Masquerade.owners().filter { $0.hasPrefix(Naming.masqueradePrefix(network: "knet5")) }.count) rules")
        // Some ADDs also completed: GC with an empty valid list must remove them all the same.
        var gcConf = json(cfg).objectValue!
        gcConf["cni.dev/valid-attachments"] = .array([])
        plugin(["CNI_COMMAND": "GC", "CNI_PATH": "/usr/lib/cni"], JSON.object(gcConf).serialized)
        XCTAssertEqual(reservations("knet5"), [], "no reservation left (killed \(killedEarly) of 16)")
        XCTAssertEqual(try hostVeths(group: "knet5").map(\.name), [], "no host veth left")
        XCTAssertEqual(try Masquerade.owners().filter { $0.hasPrefix(Naming.masqueradePrefix(network: "knet5")) }, [])
        // GC keeps valid attachments.
        let ns = try makeNamespace("cni-keep")
        let r = plugin(env("ADD", "keep", netns: ns), cfg)
        gcConf["cni.dev/valid-attachments"] = [["containerID": "keep", "ifname": "eth0"]]
        plugin(["CNI_COMMAND": "GC", "CNI_PATH": "/usr/lib/cni"], JSON.object(gcConf).serialized)
        XCTAssertEqual(reservations("knet5"), [address(r)])
        XCTAssertEqual(try hostVeths(group: "knet5").count, 1)
        XCTAssertTrue(ping(from: "cni-keep", "10.95.0.1"))
    }

    func testDualStack() throws {
        let ns = try makeNamespace("cni-v6")
        let cfg = #"{"cniVersion":"1.1.0","name":"knet6","type":"vethkit-cni","bridge":"cnik6","isDefaultGateway":true,"ipam":{"type":"vethkit","dataDir":"\#(dataDir)","ranges":[[{"subnet":"10.96.0.0/24"}],[{"subnet":"fd96::/64"}]]}}"#
        let r = plugin(env("ADD", "v6", netns: ns), cfg)
        XCTAssertEqual(r["ips"]?.arrayValue?.map { $0["address"]?.stringValue ?? "" }, ["10.96.0.2/24", "fd96::2/64"])
        XCTAssertEqual(r["routes"]?.arrayValue?.count, 2, "a default route per family")
        XCTAssertNotNil(r["interfaces"]?.arrayValue?[2]["mtu"], "1.1.0 results carry the interface MTU")
        // ADD returns only once the IPv6 addresses are usable (not tentative), link-local excepted.
        let inside = try NetHandle(namespace: NetworkNamespace.open(path: ns)).addresses(link: "eth0")
        XCTAssertFalse(inside.contains { $0.isTentative && !$0.network.address.isIPv6LinkLocal }, "\(inside)")
        XCTAssertFalse(try NetHandle().addresses(link: "cnik6").contains { $0.isTentative && !$0.network.address.isIPv6LinkLocal })
        XCTAssertTrue(ping(from: "cni-v6", "10.96.0.1"))
        // Global addresses are nodad; neighbour discovery on a just-created bridge port can still
        // take a moment on a loaded machine: allow up to 5 s.
        let start = Date()
        var ok6 = false
        while !ok6 && Date().timeIntervalSince(start) < 5 { ok6 = ping(from: "cni-v6", "fd96::1") }
        XCTAssertTrue(ok6, "IPv6 gateway reachable")
        print("IPv6 gateway reachable after \(Int(Date().timeIntervalSince(start) * 1000)) ms")
        plugin(env("DEL", "v6", netns: ns), cfg)
        XCTAssertEqual(reservations("knet6"), [])
    }

    /// The derived host name taken by a device that is not ours: ADD refuses and undoes its
    /// reservation; DEL leaves the foreign device alone. A stale veth of the same attachment
    /// (left by an interrupted ADD) is replaced.
    func testHostNameTakenAndStaleLeftover() throws {
        let ns = try makeNamespace("cni-taken")
        let cfg = conf(name: "knet8", bridge: "cnik8", subnet: "10.88.8.0/24")
        let a = NetworkConfig.Attachment(containerID: "taken", ifname: "eth0")
        let name = Naming.hostVeth(network: "knet8", a)
        let host = try NetHandle()
        try host.addLink(.bridge(name))   // any device that is not ours (dummy is not built into every kernel)
        XCTAssertEqual(plugin(env("ADD", "taken", netns: ns), cfg, expect: 1)["code"], 110)
        XCTAssertEqual(reservations("knet8"), [], "reservation undone")
        plugin(env("DEL", "taken", netns: ns), cfg)
        XCTAssertEqual(try host.link(named: name.rawValue).kind, "bridge", "DEL leaves a foreign device alone")
        try host.deleteLink(named: name.rawValue)
        // A leftover veth of this attachment (same name, the network's group): replaced by ADD.
        try host.addLink(LinkSpec(LinkAttributes(name: name, group: Naming.linkGroup(network: "knet8")),
                                  kind: Veth(peerName: try InterfaceName("stale-peer"))))
        let r = plugin(env("ADD", "taken", netns: ns), cfg)
        XCTAssertEqual(r["interfaces"]?.arrayValue?[1]["name"]?.stringValue, name.rawValue)
        XCTAssertNil(try host.linkIfPresent(named: "stale-peer"), "the stale pair is gone")
        XCTAssertTrue(ping(from: "cni-taken", "10.88.8.1"))
        plugin(env("DEL", "taken", netns: ns), cfg)
        XCTAssertNil(try host.linkIfPresent(named: name.rawValue))
    }

    /// Chained: an ADD with prevResult passes the earlier interfaces through and indexes its own.
    func testPrevResultPassThrough() throws {
        let ns = try makeNamespace("cni-chain")
        var o = json(conf(name: "knet7", bridge: "cnik7", subnet: "10.97.0.0/24")).objectValue!
        o["prevResult"] = ["cniVersion": "1.0.0", "interfaces": [["name": "lo0", "sandbox": .string(ns)]],
                           "ips": [["address": "192.0.2.1/32", "interface": 0]]]
        let r = plugin(env("ADD", "chain", netns: ns), JSON.object(o).serialized)
        XCTAssertEqual(r["interfaces"]?.arrayValue?.count, 4)
        XCTAssertEqual(r["ips"]?.arrayValue?.map { $0["interface"] }, [0, 3])
        plugin(env("DEL", "chain", netns: ns), JSON.object(o).serialized)
    }
}
