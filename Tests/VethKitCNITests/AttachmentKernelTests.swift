import VethKitJSON
import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

/// What one attachment may and may not do to the host: no second reservation for a second ADD,
/// no GC without the valid list, never the plugin's own namespace, never a user's device of the
/// bridge's name.
final class AttachmentKernelTests: CNIKernelTestCase {
    /// Everything ADD can make for an attachment, to compare before/after a refused verb.
    func snapshot(network: String, bridge: String, netns: String) throws -> [String] {
        var out = try ownLinks(network: network, bridge: bridge)
        let d = "\(dataDir)/\(network)"
        for r in try reservations(network) {
            out.append("\(r)=\(try String(contentsOfFile: "\(d)/\(r)", encoding: .utf8))")
        }
        let inside = try NetHandle(namespace: NetworkNamespace.open(path: netns))
        out += try inside.links().map { "ns:\($0.name)#\($0.index)/\($0.address?.description ?? "")" }
        // Not the IPv6 link-local address: the kernel's addrconf adds it on its own, whenever the
        // container end gets carrier (it may appear between two snapshots).
        out += try inside.addresses().filter { !$0.network.description.hasPrefix("fe80:") }.map { "ns-addr:\($0.network)" }.sorted()
        if NFTables.isAvailable { out += try masqueradeOwners(network) }
        return out
    }

    /// A second ADD of the same container id + ifname without DEL: refused as host-local refuses
    /// it (code 112, host-local's wording); no second reservation, no new link, the first
    /// attachment untouched and working.
    func testSecondAddWithoutDelMakesNoSecondReservation() throws {
        try requirePing()
        let ns = try makeNamespace("cni-dup")
        let cfg = conf(name: "kdup", bridge: "cnidup", subnet: "10.73.0.0/24")
        let r = plugin(env("ADD", "dup", netns: ns), cfg)
        XCTAssertEqual(address(r), "10.73.0.2")
        let before = try snapshot(network: "kdup", bridge: "cnidup", netns: ns)
        let err = plugin(env("ADD", "dup", netns: ns), cfg, expect: 1)
        XCTAssertEqual(err["code"], 112, "duplicate attachment: \(err.serialized)")
        XCTAssertTrue(err["msg"]?.stringValue?.contains("10.73.0.2 has been allocated to dup") ?? false, err.serialized)
        XCTAssertEqual(try snapshot(network: "kdup", bridge: "cnidup", netns: ns), before, "nothing changed")
        XCTAssertEqual(try reservations("kdup"), ["10.73.0.2"], "exactly one reservation")
        assertReaches("cni-dup", "10.73.0.1", "the first attachment still works")
        plugin(env("DEL", "dup", netns: ns), cfg)
        XCTAssertEqual(try reservations("kdup"), [])
        XCTAssertEqual(try hostVeths(group: "kdup").map(\.name), [])
    }

    /// The reference: Debian's host-local refuses a second ADD the same way; delegated to it,
    /// vethkit-cni passes its error on and changes nothing.
    func testSecondAddWithHostLocalIsRefusedToo() throws {
        try requireComponent("/usr/lib/cni/host-local", package: "containernetworking-plugins")
        let ns = try makeNamespace("cni-duphl")
        let cfg = conf(name: "kduphl", bridge: "cnidhl", subnet: "10.74.0.0/24", ipamType: "host-local")
        plugin(env("ADD", "dup", netns: ns), cfg)
        let before = try snapshot(network: "kduphl", bridge: "cnidhl", netns: ns)
        let err = plugin(env("ADD", "dup", netns: ns), cfg, expect: 1)
        XCTAssertTrue(err["msg"]?.stringValue?.contains("duplicate allocation is not allowed") ?? false, "host-local's error: \(err.serialized)")
        XCTAssertEqual(try snapshot(network: "kduphl", bridge: "cnidhl", netns: ns), before, "nothing changed")
        plugin(env("DEL", "dup", netns: ns), cfg)
        XCTAssertEqual(try reservations("kduphl"), [])
    }

    /// GC without `cni.dev/valid-attachments` (missing or null) is code 7 and removes nothing:
    /// reservations, host veths and masquerade chains all survive. `[]` then removes them.
    func testGCWithoutValidAttachmentsRemovesNothing() throws {
        try requireNFTables()
        let cfg = conf(name: "kgc", bridge: "cnigc", subnet: "10.75.0.0/24", version: "1.1.0", extra: #","ipMasq":true"#)
        let n1 = try makeNamespace("cni-gc1"), n2 = try makeNamespace("cni-gc2")
        plugin(env("ADD", "g1", netns: n1), cfg)
        plugin(env("ADD", "g2", netns: n2), cfg)
        let before = try snapshot(network: "kgc", bridge: "cnigc", netns: n1)
        XCTAssertEqual(try reservations("kgc").count, 2)
        XCTAssertEqual(try hostVeths(group: "kgc").count, 2)
        XCTAssertEqual(try masqueradeOwners("kgc").count, 2)
        for gc in [cfg, try with(cfg, "cni.dev/valid-attachments", .null),
                   try with(try with(cfg, "cni.dev/valid-attachments", .null), "cni.dev/attachments", .null)] {
            let e = plugin(env("GC"), gc, expect: 1)
            XCTAssertEqual(e["code"], 7, e.serialized)
            XCTAssertEqual(try snapshot(network: "kgc", bridge: "cnigc", netns: n1), before, "GC without the list removed something")
            XCTAssertEqual(try hostVeths(group: "kgc").count, 2, "both host veths survive")
        }
        plugin(env("GC"), try with(cfg, "cni.dev/valid-attachments", .array([])))
        XCTAssertEqual(try reservations("kgc"), [], "an empty list: nothing is valid")
        XCTAssertEqual(try hostVeths(group: "kgc").map(\.name), [])
        XCTAssertEqual(try masqueradeOwners("kgc"), [])
    }

    /// CNI_NETNS naming the plugin's own network namespace (by /proc or by a bind mount of the
    /// same nsfs inode): code 4, nothing created.
    func testOwnNamespaceIsRefused() throws {
        let cfg = conf(name: "kself", bridge: "cniself", subnet: "10.76.0.0/24")
        // A bind mount of this process's namespace, as `ip netns attach` makes it (not through
        // makeNamespace: its veths are the sandbox's own, nothing to wait for).
        let r = try runProcess("/usr/sbin/ip", ["netns", "attach", "cni-selfns", "\(getpid())"])
        XCTAssertEqual(r.status, 0, "ip netns attach: \(r.stderr)")
        addTeardownBlock { try? NetworkNamespace.delete(NamespaceName("cni-selfns")) }
        for path in ["/proc/self/ns/net", "/proc/thread-self/ns/net", "/proc/\(getpid())/ns/net", "/run/netns/cni-selfns"] {
            let e = plugin(env("ADD", "self", netns: path), cfg, expect: 1)
            XCTAssertEqual(e["code"], 4, "\(path): \(e.serialized)")
            XCTAssertTrue(e["msg"]?.stringValue?.contains("own network namespace") ?? false, e.serialized)
            XCTAssertEqual(failure(env("CHECK", "self", netns: path), try with(cfg, "prevResult", ["cniVersion": "1.0.0"])), 4, "CHECK \(path)")
        }
        XCTAssertEqual(try ownLinks(network: "kself", bridge: "cniself"), [], "no bridge, no veth")
        XCTAssertFalse(storeExists("kself"), "no IPAM state")
        XCTAssertNil(try NetHandle().linkIfPresent(named: InterfaceName("eth0")), "no container interface next to the host's")
    }

    /// An existing device of the bridge's name that is not a bridge (a user's veth made with
    /// `ip`): ADD is code 7 naming it, the reservation is undone, the device is exactly as before.
    func testNonBridgeDeviceWithTheBridgesNameIsCode7() throws {
        let ns = try makeNamespace("cni-nobr")
        try ip("link", "add", "cninobr", "type", "veth", "peer", "name", "cninobr-p")
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", "cninobr"]) }
        let before = try ip("-j", "-d", "link", "show", "dev", "cninobr")
        let cfg = conf(name: "knobr", bridge: "cninobr", subnet: "10.77.0.0/24")
        let e = plugin(env("ADD", "nobr", netns: ns), cfg, expect: 1)
        XCTAssertEqual(e["code"], 7, e.serialized)
        XCTAssertTrue(e["msg"]?.stringValue?.contains("cninobr already exists and is not a bridge") ?? false, e.serialized)
        XCTAssertEqual(try reservations("knobr"), [], "the reservation is undone")
        XCTAssertEqual(try hostVeths(group: "knobr").map(\.name), [], "no host veth")
        XCTAssertEqual(try NetHandle(namespace: NetworkNamespace.open(path: ns)).links().map(\.name), ["lo"])
        plugin(env("DEL", "nobr", netns: ns), cfg)
        XCTAssertEqual(try ip("-j", "-d", "link", "show", "dev", "cninobr"), before, "the user's device is untouched")
    }
}
