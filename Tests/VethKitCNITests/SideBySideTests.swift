import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

/// The reference: Debian's containernetworking-plugins `bridge` + `host-local`, on the same
/// configuration with only `type` (and the IPAM type) swapped. Results must have the same shape
/// and the containers the same reachability.
final class SideBySideTests: CNIKernelTestCase {
    let reference = "/usr/lib/cni/bridge"

    /// The result with the values that legitimately differ (MACs, the random host veth name,
    /// the addresses handed out) replaced by placeholders.
    func normalized(_ r: JSON) -> JSON {
        guard var o = r.objectValue else { return r }
        if let itfs = o["interfaces"]?.arrayValue {
            o["interfaces"] = .array(itfs.enumerated().map { i, itf in
                var x = itf.objectValue ?? [:]
                if x["mac"] != nil { x["mac"] = "MAC" }
                if i == 1 { x["name"] = "HOSTVETH" }
                if let sb = x["sandbox"]?.stringValue, sb.hasPrefix("/run/netns/cni-sbs-") { x["sandbox"] = "/run/netns/SANDBOX" }
                return .object(x)
            })
        }
        if let ips = o["ips"]?.arrayValue {
            o["ips"] = .array(ips.map { ip in
                var x = ip.objectValue ?? [:]
                x["address"] = "ADDR"
                return .object(x)
            })
        }
        return .object(o)
    }

    func runPair(type: String, binary: String, ipamType: String, tag: String) throws -> (JSON, JSON) {
        let n1 = "cni-sbs-\(tag)1", n2 = "cni-sbs-\(tag)2"
        let c1 = try makeNamespace(n1), c2 = try makeNamespace(n2)
        let cfg = #"{"cniVersion":"1.0.0","name":"sbs","type":"\#(type)","bridge":"cni-sbs0","isGateway":true,"ipMasq":false,"ipam":{"type":"\#(ipamType)","dataDir":"\#(dataDir)","ranges":[[{"subnet":"10.98.0.0/24","gateway":"10.98.0.1"}]],"routes":[{"dst":"0.0.0.0/0"}]}}"#
        var e1 = env("ADD", "sbs-\(tag)1", netns: c1), e2 = env("ADD", "sbs-\(tag)2", netns: c2)
        e1["CNI_PATH"] = "/usr/lib/cni"; e2["CNI_PATH"] = "/usr/lib/cni"
        let r1 = plugin(e1, cfg, binary: binary)
        let r2 = plugin(e2, cfg, binary: binary)
        assertReaches(n1, "10.98.0.1", "\(tag): container pings gateway")
        assertReaches(n1, address(r2), "\(tag): container pings the other container")
        assertReaches(n2, address(r1), "\(tag): and back")
        e1["CNI_COMMAND"] = "DEL"; e2["CNI_COMMAND"] = "DEL"
        plugin(e1, cfg, binary: binary)
        plugin(e2, cfg, binary: binary)
        XCTAssertEqual(try reservations("sbs"), [], "\(tag): reservations released")
        // Only this test's bridge is looked at: other tests' namespaces may still be going away.
        let br = try NetHandle().link(named: InterfaceName("cni-sbs0"))
        XCTAssertEqual(try NetHandle().links().filter { $0.masterIndex == br.index }.map(\.name), [], "\(tag): no port left on the bridge")
        return (r1, r2)
    }

    func testSameShapeAndReachabilityAsDebianBridge() throws {
        try requireComponent(reference, package: "containernetworking-plugins")
        try requireComponent("/usr/lib/cni/host-local", package: "containernetworking-plugins")
        try requirePing()
        let (ref, _) = try runPair(type: "bridge", binary: reference, ipamType: "host-local", tag: "ref")
        let (delegated, _) = try runPair(type: "vethkit-cni", binary: binary, ipamType: "host-local", tag: "hl")
        let (builtin, _) = try runPair(type: "vethkit-cni", binary: binary, ipamType: "vethkit", tag: "vk")
        print("reference bridge result: \(ref.serialized)")
        print("vethkit-cni result:      \(builtin.serialized)")
        XCTAssertEqual(normalized(delegated), normalized(ref), "vethkit-cni + host-local has the reference's shape")
        XCTAssertEqual(normalized(builtin), normalized(ref), "vethkit-cni + built-in IPAM has the reference's shape")
    }
}
