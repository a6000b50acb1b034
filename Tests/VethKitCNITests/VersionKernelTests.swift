import VethKitJSON
import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

/// A configuration of each version the runtimes speak works unchanged: ADD answers in that
/// version, the reference plugins' own result parsing (Debian's `tuning` 1.1.1, chained after us
/// with our result as prevResult, as libcni chains) accepts it, CHECK/STATUS/GC exist exactly from
/// the version that introduced them, DEL cleans up.
final class VersionKernelTests: CNIKernelTestCase {
    func testEveryVersionWorksUnchanged() throws {
        try requireComponent("/usr/lib/cni/tuning", package: "containernetworking-plugins")
        for (i, v) in CNIVersion.supported.enumerated() {
            let network = "kver\(i)"
            let ns = try makeNamespace("cni-ver\(i)")
            let cfg = conf(name: network, bridge: "cniver\(i)", subnet: "10.76.\(i).0/24", version: v)
            let r = plugin(env("ADD", "v", netns: ns), cfg)
            XCTAssertEqual(r["cniVersion"]?.stringValue, v)
            let ips = try XCTUnwrap(r["ips"]?.arrayValue, "\(v): \(r.serialized)")
            XCTAssertEqual(ips.count, 1)
            XCTAssertEqual(ips[0]["version"]?.stringValue, CNIVersion.atLeast(v, "1.0.0") ? nil : "4", "\(v): ips[].version only before 1.0.0")
            XCTAssertEqual(r["interfaces"]?.arrayValue?[2]["mtu"] != nil, v == "1.1.0", "\(v): interfaces[].mtu only in 1.1.0")

            if !CNIVersion.atLeast(v, "1.1.0") {
                // The reference's parser (libcni's types, as in containerd 1.6 and podman 4.3).
                let chained = #"{"cniVersion":"\#(v)","name":"\#(network)","type":"tuning","prevResult":\#(r.serialized)}"#
                let t = plugin(env("ADD", "v", netns: ns), chained, binary: "/usr/lib/cni/tuning")
                XCTAssertEqual(t["cniVersion"]?.stringValue, v, "\(v): tuning answers in the same version")
                XCTAssertEqual(t["ips"]?.arrayValue?.first?["address"], ips[0]["address"], "\(v): tuning read our result: \(t.serialized)")
                XCTAssertEqual(t["interfaces"]?.arrayValue?.count, 3, "\(v): \(t.serialized)")
            }
            let check = try with(cfg, "prevResult", r)
            if CNIVersion.atLeast(v, "0.4.0") { plugin(env("CHECK", "v", netns: ns), check) } else {
                XCTAssertEqual(failure(env("CHECK", "v", netns: ns), check), 1, "\(v): no CHECK before 0.4.0")
            }
            let gc = try with(cfg, "cni.dev/valid-attachments", [["containerID": "v", "ifname": "eth0"]])
            if v == "1.1.0" {
                plugin(env("STATUS"), cfg)
                plugin(env("GC"), gc)
            } else {
                XCTAssertEqual(failure(env("STATUS"), cfg), 1, "\(v): no STATUS before 1.1.0")
                XCTAssertEqual(failure(env("GC"), gc), 1, "\(v): no GC before 1.1.0")
            }
            XCTAssertEqual(try reservations(network).count, 1, "\(v): the attachment kept its address")
            plugin(env("DEL", "v", netns: ns), try with(cfg, "prevResult", r))
            XCTAssertEqual(try reservations(network), [], v)
            XCTAssertEqual(try hostVeths(group: network).map(\.name), [], v)
        }
    }
}
