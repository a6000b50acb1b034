import Foundation
import VethKitTestSupport
import XCTest

/// `vethctl link add/show -d/set` for vlan, ipvlan and dummy, against `ip -j -d`: this machine's
/// kernel lacks them, so this skips here and runs under scripts/vmtest (Debian's 6.1), which picks
/// up every class calling requireLinkKind. (A class of its own so the VM does not also rerun
/// LinkKindCommandTests' macvlan and vxlan tests, ~55 s there.)
final class LinkKindVMCommandTests: LinkKindCommandTestCase {
    func testVlanIpvlanDummyWhereTheKernelHasThem() throws {
        let ns0 = try { () throws -> String in try requireKernel(); return try namespace() }()
        try v.ok("-n", ns0, "link", "add", "p0", "--peer", "p1", "--up")
        var ran = 0
        if (try? requireLinkKind("vlan")) != nil {
            try v.ok("-n", ns0, "link", "add", "p0.10", "--type", "vlan", "--link", "p0", "--id", "10", "--protocol", "802.1ad")
            try assertAgrees(ns0, "p0.10", keys: ["protocol", "id", "flags"])
            XCTAssertTrue(try v.ok("-n", ns0, "link", "show", "-d", "p0.10").contains("vlan protocol 802.1ad id 10 <REORDER_HDR>"))
            try v.ok("-n", ns0, "link", "set", "p0.10", "--loose-binding", "on", "--reorder-hdr", "off")
            XCTAssertEqual(try infoData(ns0, "p0.10")["flags"] as? [String], ["LOOSE_BINDING"])
            try assertAgrees(ns0, "p0.10", keys: ["flags"])
            try v.ok("-n", ns0, "link", "del", "p0.10")
            ran += 1
        }
        if (try? requireLinkKind("ipvlan")) != nil {
            try v.ok("-n", ns0, "link", "add", "ipv0", "--type", "ipvlan", "--link", "p1", "--mode", "l2")
            try assertAgrees(ns0, "ipv0", keys: ["mode", "bridge"])
            try v.ok("-n", ns0, "link", "set", "ipv0", "--mode", "l3s")
            XCTAssertEqual(try infoData(ns0, "ipv0")["mode"] as? String, "l3s")
            ran += 1
        }
        if (try? requireLinkKind("dummy")) != nil {
            try v.ok("-n", ns0, "link", "add", "dm0", "--type", "dummy", "--up")
            XCTAssertTrue(try v.ok("-n", ns0, "link", "show", "-d", "dm0").contains("dummy"))
            ran += 1
        }
        if ran == 0 { throw XCTSkip("kernel \(KernelFeatures.release) lacks vlan, ipvlan and dummy: runs under scripts/vmtest") }
    }
}
