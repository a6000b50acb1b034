import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// The kernel-feature probes (Tests/Support/KernelFeatures.swift) and the features slim kernels
/// lack: on such a kernel the dummy, vlan and netem tests skip, naming what is missing; under
/// Debian's stock kernel (scripts/vmtest) they create the objects, read them back through VethKit
/// and `ip -j`/`tc -j`, and send packets through them.
final class KernelFeatureTests: XCTestCase {
    var namespaces: [NamespaceName] = []

    override func tearDownWithError() throws {
        for n in namespaces where NetworkNamespace.exists(n) { try? NetworkNamespace.delete(n) }
    }

    func newNamespace() throws -> NetworkNamespace {
        let n = try NamespaceName("vk-kf-\(uniqueSuffix())")
        namespaces.append(n)
        return try NetworkNamespace.create(n)
    }

    /// Two namespaces joined by a veth `a0` — `b0`, both ends up.
    func vethBetweenTwoNamespaces() throws -> (NetworkNamespace, NetworkNamespace) {
        let left = try newNamespace(), right = try newNamespace()
        let a = try InterfaceName("a0"), b = try InterfaceName("b0")
        try NetHandle(namespace: left).addLink(LinkSpec(LinkAttributes(name: a, up: true),
                                                        kind: Veth(peer: LinkAttributes(name: b, namespace: right, up: true))))
        return (left, right)
    }

    func testProbesTellPresentFromMissing() throws {
        try requireKernel()
        // What every kernel the suite runs on has (the suite's own veth and bridge tests need them).
        XCTAssertEqual(try KernelFeatures.linkKind("veth"), .present)
        XCTAssertEqual(try KernelFeatures.linkKind("bridge"), .present)
        XCTAssertEqual(try KernelFeatures.qdisc("pfifo"), .present)
        // Kinds the kernel has but refuses without options (no parent: EINVAL) are present too.
        XCTAssertEqual(try KernelFeatures.linkKind("macvlan"), .present)
        XCTAssertEqual(try KernelFeatures.qdisc("tbf"), .present)
        // A kind no kernel has: the kernel's own refusal is what the skip message quotes.
        guard case .missing(let why) = try KernelFeatures.linkKind("vknosuchkind") else {
            return XCTFail("an unknown link kind was reported present")
        }
        XCTAssertTrue(why.contains("EOPNOTSUPP"), why)
        guard case .missing(let qwhy) = try KernelFeatures.qdisc("vknosuchqdisc") else {
            return XCTFail("an unknown qdisc was reported present")
        }
        XCTAssertTrue(qwhy.contains("ENOENT"), qwhy)
        // The probe agrees with iproute2 on the kind the slim kernel lacks and Debian's has.
        let ns = try newNamespace()
        let r = try runProcess("/usr/sbin/ip", ["-n", ns.name!.rawValue, "link", "add", "d9", "type", "dummy"])
        XCTAssertEqual(try KernelFeatures.linkKind("dummy") == .present, r.status == 0, "ip link add type dummy: \(r.stderr)")
        let q = try runProcess("/usr/sbin/tc", ["-n", ns.name!.rawValue, "qdisc", "add", "dev", "lo", "root", "netem"])
        XCTAssertEqual(try KernelFeatures.qdisc("netem") == .present, q.status == 0, "tc qdisc add … netem: \(q.stderr)")
        // The probes leave nothing behind.
        XCTAssertFalse(try NetworkNamespace.list().contains { $0.rawValue.hasPrefix("vk-probe-") })
    }

    func testSkipMessageNamesTheMissingFeature() throws {
        try requireKernel()
        XCTAssertThrowsError(try requireLinkKind("vknosuchkind")) { error in
            let text = "\((error as? XCTSkip)?.message ?? "\(error)")"
            XCTAssertTrue(text.contains("lacks the vknosuchkind link kind"), text)
            XCTAssertTrue(text.contains("scripts/vmtest"), text)
        }
        XCTAssertThrowsError(try requireQdisc("vknosuchqdisc")) { error in
            let text = "\((error as? XCTSkip)?.message ?? "\(error)")"
            XCTAssertTrue(text.contains("lacks the vknosuchqdisc qdisc"), text)
        }
    }

    func testDummyIsCreatedReadBackAndDeleted() throws {
        try requireLinkKind("dummy")
        let ns = try newNamespace(), h = try NetHandle(namespace: ns)
        let d = try InterfaceName("dm0")
        try h.addLink(.dummy(d))
        try h.bringUp(d)
        try h.bringUp(InterfaceName("lo"))
        try h.addAddress(IPNetwork("10.77.0.1/24"), to: .name(d))
        XCTAssertEqual(try h.link(named: d).kind, "dummy")
        let j = try ipJSON("-n", ns.name!.rawValue, "-d", "link", "show", "dm0")
        XCTAssertEqual((j.first?["linkinfo"] as? [String: Any])?["info_kind"] as? String, "dummy")
        XCTAssertEqual(try h.addresses(link: .name(d)).map { "\($0.network)" }.filter { !$0.hasPrefix("fe80:") }, ["10.77.0.1/24"])
        // A dummy answers for its own addresses: a real packet through the namespace's stack.
        XCTAssertEqual(ping(from: ns.name!.rawValue, "10.77.0.1"), .reply)
        try h.deleteLink(.name(d))
        XCTAssertNil(try h.linkIfPresent(named: d))
        XCTAssertTrue(try ipJSON("-n", ns.name!.rawValue, "link", "show", "type", "dummy").isEmpty)
    }

    func testVlanOverAVethCarriesPackets() throws {
        try requireLinkKind("vlan")
        try requirePing()
        let (left, right) = try vethBetweenTwoNamespaces()
        for (ns, parent, address) in [(left, "a0", "10.78.0.1/24"), (right, "b0", "10.78.0.2/24")] {
            let n = ns.name!.rawValue
            try ip("-n", n, "link", "add", "link", parent, "name", "\(parent).10", "type", "vlan", "id", "10")
            try ip("-n", n, "addr", "add", address, "dev", "\(parent).10")
            try ip("-n", n, "link", "set", "\(parent).10", "up")
        }
        let vlan = try NetHandle(namespace: left).link(named: InterfaceName("a0.10"))
        XCTAssertEqual(vlan.kind, "vlan")
        XCTAssertEqual(vlan.linkIndex, try NetHandle(namespace: left).link(named: InterfaceName("a0")).index)
        let data = (try ipJSON("-n", left.name!.rawValue, "-d", "link", "show", "a0.10").first?["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any]
        XCTAssertEqual(data?["id"] as? Int, 10)
        XCTAssertEqual(data?["protocol"] as? String, "802.1Q")
        XCTAssertEqual(ping(from: left.name!.rawValue, "10.78.0.2", count: 2), .reply)
        // Tagged frames only: with the far vlan gone, the same address is unreachable.
        try ip("-n", right.name!.rawValue, "link", "del", "b0.10")
        XCTAssertEqual(ping(from: left.name!.rawValue, "10.78.0.2", count: 1, wait: 1), .noReply)
    }

    func testNetemDelaysPackets() throws {
        try requireQdisc("netem")
        try requirePing()
        let (left, right) = try vethBetweenTwoNamespaces()
        try NetHandle(namespace: left).addAddress(IPNetwork("10.79.0.1/24"), to: .name(InterfaceName("a0")), noDAD: true)
        try NetHandle(namespace: right).addAddress(IPNetwork("10.79.0.2/24"), to: .name(InterfaceName("b0")), noDAD: true)
        let n = left.name!.rawValue
        let tc = try runProcess("/usr/sbin/tc", ["-n", n, "qdisc", "add", "dev", "a0", "root", "netem", "delay", "40ms"])
        XCTAssertEqual(tc.status, 0, tc.stderr)
        let q = try parseJSONArray(try runProcess("/usr/sbin/tc", ["-n", n, "-j", "qdisc", "show", "dev", "a0"]).stdout)
        XCTAssertEqual(q.first?["kind"] as? String, "netem")
        let r = try runProcess("/usr/sbin/ip", ["netns", "exec", n, "/usr/bin/ping", "-4", "-c", "3", "-i", "0.2", "-W", "2", "10.79.0.2"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        // "rtt min/avg/max/mdev = 40.3/40.5/40.9/0.2 ms": every echo waited the 40 ms netem adds.
        let line = r.stdout.split(separator: "\n").first { $0.contains("min/avg/max") } ?? ""
        let fields = line.split(separator: "=").last?.split(separator: "/").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? []
        let minimum = try XCTUnwrap(fields.first, "no rtt line in: \(r.stdout)")
        XCTAssertGreaterThanOrEqual(minimum, 39.0, line.description)
    }
}
