import VethKitJSON
import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

/// DEL never strands a pod, on the real kernel: after a refused ADD (each ADD-only field, the
/// derived host name or the bridge name taken by a user's device, a symlinked store, a missing
/// delegate) and after an ADD killed midway, DEL with the same configuration exits 0 and leaves
/// nothing of ours — and a user's objects of the same names, made with `ip` first, untouched.
final class DeletionKernelTests: CNIKernelTestCase {
    /// Everything of the network's on the host and in the namespace (links, reservations, markers, rules).
    func leftovers(network: String, bridge: String, netns: String?) throws -> [String] {
        var out = try ownLinks(network: network, bridge: bridge).filter { !$0.hasPrefix(bridge + "#") }
        if storeExists(network) {
            out += try FileManager.default.contentsOfDirectory(atPath: "\(dataDir)/\(network)")
                .filter { IPAddress($0) != nil || $0.hasPrefix(".a-") || $0.hasPrefix(".tmp-") }
        }
        if let netns, FileManager.default.fileExists(atPath: netns) {
            out += try NetHandle(namespace: NetworkNamespace.open(path: netns)).links().map(\.name).filter { $0 != "lo" }
        }
        if NFTables.isAvailable { out += try masqueradeOwners(network) }
        return out.sorted()
    }

    func testRefusedAddThenDelSucceedsAndLeavesNothing() throws {
        let ns = try makeNamespace("cni-delref")
        let good = conf(name: "kdel", bridge: "cnidel", subnet: "10.71.0.0/24", extra: #","ipMasq":true"#)
        func variant(_ extra: String, ipamExtra: String = "", subnet: String = "10.71.0.0/24") -> String {
            conf(name: "kdel", bridge: "cnidel", subnet: subnet, extra: #","ipMasq":true"# + extra, ipamExtra: ipamExtra)
        }
        let cases: [(String, String, Int64)] = [
            ("vlan", variant(#","vlan":5"#), 2),
            ("macspoofchk", variant(#","macspoofchk":true"#), 2),
            ("ipMasqBackend", variant(#","ipMasqBackend":"iptables""#), 2),
            ("mtu no link can have", variant(#","mtu":65536"#), 7),
            ("mtu too small", variant(#","mtu":67"#), 7),
            ("bad bridge name", conf(name: "kdel", bridge: "br/../x", subnet: "10.71.0.0/24"), 7),
            ("subnet /31", variant("", subnet: "10.71.0.0/31"), 7),
            ("rangeEnd outside", variant("").replacingOccurrences(of: #""subnet":"10.71.0.0/24"}"#, with: #""subnet":"10.71.0.0/24","rangeEnd":"10.72.0.9"}"#), 7),
            ("prevResult not an object", variant(#","prevResult":[]"#), 6),
        ]
        for (what, cfg, want) in cases {
            XCTAssertEqual(failure(env("ADD", "r1", netns: ns), cfg), want, what)
            XCTAssertEqual(try leftovers(network: "kdel", bridge: "cnidel", netns: ns), [], "\(what): ADD left nothing")
            plugin(env("DEL", "r1", netns: ns), cfg)          // as containerd calls it
            plugin(env("DEL", "r1", netns: nil), cfg)         // and again without CNI_NETNS
        }
        // The same attachment then works with the good configuration, and its DEL cleans up.
        plugin(env("ADD", "r1", netns: ns), good)
        plugin(env("DEL", "r1", netns: ns), variant(#","vlan":5,"mtu":1"#))   // an ADD-invalid config still finds it
        XCTAssertEqual(try leftovers(network: "kdel", bridge: "cnidel", netns: ns), [], "DEL released everything")
    }

    /// The derived host name taken by a user's veth (made with `ip`): ADD is refused (110) and
    /// undone; DEL exits 0 and the user's pair is exactly as before. Same for a user's veth with
    /// the bridge's name (7), and a user's reservation file of another container in the store.
    func testUsersSameNamedObjectsSurviveRefusedAddAndDel() throws {
        let ns = try makeNamespace("cni-deluser")
        let cfg = conf(name: "kdelu", bridge: "cnidelu", subnet: "10.72.0.0/24")
        let hostName = Naming.hostVeth(network: "kdelu", .init(containerID: "u1", ifname: "eth0")).rawValue
        try ip("link", "add", hostName, "type", "veth", "peer", "name", "user-peer")
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", hostName]) }
        try FileManager.default.createDirectory(atPath: "\(dataDir)/kdelu", withIntermediateDirectories: true)
        try "someone\r\neth0".write(toFile: "\(dataDir)/kdelu/10.72.0.200", atomically: false, encoding: .utf8)
        let before = try ip("-j", "-d", "link", "show", "dev", hostName)
        let e = plugin(env("ADD", "u1", netns: ns), cfg, expect: 1)
        XCTAssertEqual(e["code"], 110, e.serialized)
        plugin(env("DEL", "u1", netns: ns), cfg)
        plugin(env("DEL", "u1", netns: nil), cfg)
        XCTAssertEqual(try ip("-j", "-d", "link", "show", "dev", hostName), before, "the user's veth is untouched")
        XCTAssertEqual(try reservations("kdelu"), ["10.72.0.200"], "only the user's file is left")
        XCTAssertEqual(try String(contentsOfFile: "\(dataDir)/kdelu/10.72.0.200", encoding: .utf8), "someone\r\neth0")

        try ip("link", "add", "cnidelb", "type", "veth", "peer", "name", "cnidelb-p")
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", "cnidelb"]) }
        let beforeBr = try ip("-j", "-d", "link", "show", "dev", "cnidelb")
        let cfgB = conf(name: "kdelb", bridge: "cnidelb", subnet: "10.72.1.0/24")
        XCTAssertEqual(failure(env("ADD", "u2", netns: ns), cfgB), 7)
        plugin(env("DEL", "u2", netns: ns), cfgB)
        XCTAssertEqual(try ip("-j", "-d", "link", "show", "dev", "cnidelb"), beforeBr, "the user's device of the bridge's name is untouched")
        XCTAssertEqual(try leftovers(network: "kdelb", bridge: "cnidelb", netns: ns), [])
    }

    /// A symlink in dataDir: ADD 5, DEL 0, the target untouched. A delegate missing from
    /// CNI_PATH: ADD 7, DEL 0.
    func testSymlinkedStoreAndMissingDelegate() throws {
        let ns = try makeNamespace("cni-dellink")
        let real = dataDir + "/real", link = dataDir + "/link"
        try FileManager.default.createDirectory(atPath: real + "/kdell", withIntermediateDirectories: true)
        try "abc\r\neth0".write(toFile: real + "/kdell/10.73.1.2", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let cfg = #"{"cniVersion":"1.0.0","name":"kdell","type":"vethkit-cni","bridge":"cnidell","ipam":{"type":"vethkit","dataDir":"\#(link)","subnet":"10.73.1.0/24"}}"#
        XCTAssertEqual(failure(env("ADD", "abc", netns: ns), cfg), 5)
        let (rc, _, err) = try DelegatedIPAM.spawn(binary, environment: env("DEL", "abc", netns: ns).map { "\($0.key)=\($0.value)" }, stdin: Array(cfg.utf8))
        XCTAssertEqual(rc, 0)
        XCTAssertTrue(String(decoding: err, as: UTF8.self).contains("not followed"), String(decoding: err, as: UTF8.self))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: real + "/kdell"), ["10.73.1.2"], "never followed")

        let missing = conf(name: "kdelm", bridge: "cnidelm", subnet: "10.73.2.0/24", ipamType: "no-such-ipam")
        XCTAssertEqual(failure(env("ADD", "m", netns: ns), missing), 7)
        plugin(env("DEL", "m", netns: ns), missing)
        XCTAssertEqual(try ownLinks(network: "kdelm", bridge: "cnidelm"), [])
    }

    /// Delegated to Debian's host-local: an ADD we refuse (vlan) never ran the delegate; DEL runs
    /// host-local's DEL, which finds nothing and succeeds; nothing is left in host-local's store.
    func testHostLocalDelAfterRefusedAdd() throws {
        try requireComponent("/usr/lib/cni/host-local", package: "containernetworking-plugins")
        let ns = try makeNamespace("cni-delhl")
        let cfg = conf(name: "kdelhl", bridge: "cnidelh", subnet: "10.73.3.0/24", ipamType: "host-local", extra: #","vlan":5"#)
        XCTAssertEqual(failure(env("ADD", "h", netns: ns), cfg), 2)
        plugin(env("DEL", "h", netns: ns), cfg)
        plugin(env("DEL", "h", netns: nil), cfg)
        // A successful ADD, then DEL with the ADD-invalid config: host-local releases it.
        let good = conf(name: "kdelhl", bridge: "cnidelh", subnet: "10.73.3.0/24", ipamType: "host-local")
        plugin(env("ADD", "h", netns: ns), good)
        XCTAssertEqual(try reservations("kdelhl").count, 1)
        plugin(env("DEL", "h", netns: ns), cfg)
        XCTAssertEqual(try reservations("kdelhl"), [], "host-local released it")
        XCTAssertEqual(try hostVeths(group: "kdelhl").map(\.name), [])
    }

    /// kill -9 of ADD at seeded random moments, then DEL — with CNI_NETNS, without it, and after
    /// the namespace is gone — leaves no reservation, marker, host veth or masquerade chain.
    func testKilledAddThenDelLeavesNothing() throws {
        try requireNFTables()
        let (generator, seed) = seededGenerator(default: 0x13de1)
        var rng = generator
        let cfg = conf(name: "kdelk", bridge: "cnidelk", subnet: "10.73.4.0/24", extra: #","ipMasq":true"#)
        plugin(env("ADD", "warm", netns: try makeNamespace("cni-delk-w")), cfg)
        plugin(env("DEL", "warm", netns: nil), cfg)
        let t0 = Date()
        plugin(env("ADD", "cal", netns: try makeNamespace("cni-delk-c")), cfg)
        let addMicros = UInt32(max(1000, Date().timeIntervalSince(t0) * 1_000_000))
        plugin(env("DEL", "cal", netns: nil), cfg)
        var killed = 0
        for i in 0..<12 {
            let name = "cni-delk\(i)"
            let ns = try makeNamespace(name)
            let pid = startPlugin(env("ADD", "k\(i)", netns: ns), cfg, binary: binary)
            usleep(UInt32.random(in: 0...addMicros, using: &rng))
            var st: Int32 = 0
            if waitpid(pid, &st, WNOHANG) == 0 {
                XCTAssertEqual(kill(pid, SIGKILL), 0)
                XCTAssertEqual(waitpid(pid, &st, 0), pid)
            }
            if st & 0x7f == SIGKILL { killed += 1 }
            switch i % 3 {
            case 0: plugin(env("DEL", "k\(i)", netns: ns), cfg)
            case 1: plugin(env("DEL", "k\(i)", netns: nil), cfg)
            default:
                try deleteNamespaces([NamespaceName(name)])
                plugin(env("DEL", "k\(i)", netns: ns), cfg)
            }
            XCTAssertEqual(try leftovers(network: "kdelk", bridge: "cnidelk", netns: ns), [], "k\(i) (killed: \(st & 0x7f == SIGKILL)), seed \(seed)")
        }
        XCTAssertGreaterThan(killed, 0, "no kill landed while ADD ran (~\(addMicros / 1000) ms), seed \(seed)")
        print("kill -9 then DEL: \(killed) of 12 ADDs killed while running, seed \(seed)")
    }
}
