import VethKitJSON
import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

/// `"type": "loopback"` (Loopback.swift) against the reference `loopback` plugin, side by side on
/// the real kernel: the same results for every version, `lo` really up (127.0.0.1 answers) after
/// ADD and down after DEL, the same answers for a gone namespace, and the plugin's own namespace
/// never touched.
final class LoopbackKernelTests: CNIKernelTestCase {
    let reference = "/usr/lib/cni/loopback"

    func loConfig(_ version: String) -> String { #"{"cniVersion":"\#(version)","name":"cni-loopback","type":"loopback"}"# }

    func loIsUp(_ path: String) throws -> Bool {
        try NetHandle(namespace: NetworkNamespace.open(path: path)).link(named: InterfaceName("lo")).isUp
    }

    /// The result without `ips[].version` (ours writes it for 0.3.x/0.4.0 as the spec's schema has
    /// it; the reference leaves it out).
    func normalised(_ j: JSON) -> JSON {
        guard var o = j.objectValue, case .array(let ips)? = o["ips"] else { return j }
        o["ips"] = .array(ips.map { ip in
            guard var x = ip.objectValue else { return ip }
            x["version"] = nil
            return .object(x)
        })
        return .object(o)
    }

    func testAddDelCheckLikeTheReference() throws {
        try requireComponent(reference, package: "containernetworking-plugins")
        let ours = try makeNamespace("cni-lo-ours"), theirs = try makeNamespace("cni-lo-ref")
        XCTAssertFalse(try loIsUp(ours), "a new namespace's lo starts down")
        for version in ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] {
            let a = plugin(env("ADD", "lo1", netns: ours, ifname: "lo"), loConfig(version))
            // Debian's loopback (plugins 1.1.1) speaks up to 1.0.0: compared for those.
            let compared = version != "1.1.0"
            let b = compared ? plugin(env("ADD", "lo1", netns: theirs, ifname: "lo"), loConfig(version), binary: reference) : a
            XCTAssertEqual(a["cniVersion"]?.stringValue, version)
            XCTAssertEqual(a["interfaces"], .array([.object(["name": "lo", "mac": "00:00:00:00:00:00", "sandbox": .string(ours)])]), version)
            let addresses = a["ips"]?.arrayValue?.compactMap { $0["address"]?.stringValue }
            XCTAssertEqual(addresses, ["127.0.0.1/8", "::1/128"], version)
            // Same as the reference, but for the sandbox path (each has its own namespace).
            var theirsShape = normalised(b).objectValue
            theirsShape?["interfaces"] = .array([.object(["name": "lo", "mac": "00:00:00:00:00:00", "sandbox": .string(ours)])])
            theirsShape?["dns"] = nil
            var oursShape = normalised(a).objectValue
            oursShape?["dns"] = nil
            if compared {
                XCTAssertEqual(oursShape.map(JSON.object), theirsShape.map(JSON.object), "version \(version): ours and the reference's results")
            }
            XCTAssertTrue(try loIsUp(ours), "ADD brought lo up")
            XCTAssertEqual(ping(from: URL(fileURLWithPath: ours).lastPathComponent, "127.0.0.1"), .reply, "127.0.0.1 answers in the namespace")
            if CNIVersion.atLeast(version, "0.4.0") {
                plugin(env("CHECK", "lo1", netns: ours, ifname: "lo"), loConfig(version))
            }
            plugin(env("DEL", "lo1", netns: ours, ifname: "lo"), loConfig(version))
            XCTAssertFalse(try loIsUp(ours), "DEL brought lo down (as the reference does)")
            if compared {
                XCTAssertTrue(try loIsUp(theirs), "the reference's ADD brought its lo up")
                plugin(env("DEL", "lo1", netns: theirs, ifname: "lo"), loConfig(version), binary: reference)
                XCTAssertFalse(try loIsUp(theirs))
            }
            if CNIVersion.atLeast(version, "0.4.0") {
                XCTAssertEqual(failure(env("CHECK", "lo1", netns: ours, ifname: "lo"), loConfig(version)), 100, "CHECK of a down lo")
            }
        }
        // Any CNI_IFNAME (the reference ignores it too); a second ADD is a no-op.
        plugin(env("ADD", "lo2", netns: ours, ifname: "eth0"), loConfig("1.0.0"))
        plugin(env("ADD", "lo2", netns: ours, ifname: "eth0"), loConfig("1.0.0"))
        XCTAssertTrue(try loIsUp(ours))
    }

    func testGoneNamespaceAndOwnNamespace() throws {
        let gone = "/run/netns/cni-lo-never-made"
        XCTAssertEqual(failure(env("ADD", "lo3", netns: gone, ifname: "lo"), loConfig("1.0.0")), 3, "ADD: cannot open CNI_NETNS")
        plugin(env("DEL", "lo3", netns: gone, ifname: "lo"), loConfig("1.0.0"))   // exit 0, as the reference
        plugin(env("DEL", "lo3", netns: nil, ifname: "lo"), loConfig("1.0.0"))
        // The plugin's own namespace: ADD refused (4), DEL leaves its lo up.
        let own = "/proc/self/ns/net"
        let before = try NetHandle().link(named: InterfaceName("lo"))
        XCTAssertTrue(before.isUp, "the sandbox's lo is up")
        XCTAssertEqual(failure(env("ADD", "lo4", netns: own, ifname: "lo"), loConfig("1.0.0")), 4)
        let (rc, out) = runPlugin(env("DEL", "lo4", netns: own, ifname: "lo"), loConfig("1.0.0"), binary: binary)
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(try NetHandle().link(named: InterfaceName("lo")).isUp, "DEL never brings the plugin's own lo down")
        // Not a namespace file.
        XCTAssertEqual(failure(env("ADD", "lo5", netns: "/etc/hostname", ifname: "lo"), loConfig("1.0.0")), 4)
        // An unsupported version: ADD refused with code 1, DEL still succeeds.
        XCTAssertEqual(failure(env("ADD", "lo6", netns: own, ifname: "lo"), loConfig("9.9.9")), 1)
        plugin(env("DEL", "lo6", netns: own, ifname: "lo"), loConfig("9.9.9"))
        XCTAssertTrue(try NetHandle().link(named: InterfaceName("lo")).isUp)
    }
}
