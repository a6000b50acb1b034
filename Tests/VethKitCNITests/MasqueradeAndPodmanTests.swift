import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

final class MasqueradeKernelTests: CNIKernelTestCase {
    /// The Firewall API itself, in another namespace (NetworkNamespace.run): install, replace,
    /// list owners, exact removal, idempotent removal.
    func testInstallRemoveInNamespace() throws {
        try requireNFTables()
        _ = try makeNamespace("cni-nat")
        let ns = try NetworkNamespace.open(NamespaceName("cni-nat"))
        try Masquerade.install(source: try IPNetwork("10.60.0.0/24"), excluding: try IPNetwork("10.60.0.0/24"), owner: "test:a", in: ns)
        try Masquerade.install(source: try IPNetwork("10.61.0.0/24"), owner: "test:b", in: ns)
        try Masquerade.install(source: try IPNetwork("10.62.0.0/24"), owner: "test:b", in: ns)   // replaces b's rule
        try Masquerade.install(source: try IPNetwork("fd60::/64"), owner: "test:c", in: ns)
        XCTAssertEqual(Set(try Masquerade.owners(in: ns)), ["test:a", "test:b", "test:c"])
        XCTAssertFalse(try Masquerade.owners().contains("test:a"), "nothing in the calling thread's namespace")
        let listing = try NFTables.run("list table inet vethkit", in: ns)
        XCTAssertTrue(listing.contains("ip saddr 10.62.0.0/24 masquerade"), listing)
        XCTAssertFalse(listing.contains("10.61.0.0"), "re-install replaced the owner's rule")
        XCTAssertTrue(listing.contains("ip saddr 10.60.0.0/24 ip daddr != 10.60.0.0/24 masquerade"), listing)
        try Masquerade.remove(owner: "test:b", in: ns)
        try Masquerade.remove(owner: "test:b", in: ns)
        XCTAssertEqual(Set(try Masquerade.owners(in: ns)), ["test:a", "test:c"])
        XCTAssertThrowsError(try Masquerade.install(source: try IPNetwork("10.0.0.0/8"), owner: "bad owner \"x\"", in: ns)) {
            XCTAssertTrue($0 is InvalidInput, "an owner with spaces and quotes is refused as invalid input: \($0)")
        }
        XCTAssertThrowsError(try Masquerade.install(source: try IPNetwork("10.0.0.0/8"), excluding: try IPNetwork("fd00::/8"), owner: "x", in: ns)) {
            XCTAssertTrue($0 is InvalidInput, "an exclusion of the other family is refused as invalid input: \($0)")
        }
        XCTAssertEqual(Set(try Masquerade.owners(in: ns)), ["test:a", "test:c"], "refused installs changed nothing")
    }

    /// ipMasq really translates: the "outside" namespace has no route back to the container
    /// subnet, so the container reaches it only when its packets leave with the host's address.
    func testIPMasqTranslatesTraffic() throws {
        try requireNFTables()
        try requirePing()
        let cpath = try makeNamespace("cni-masq-c")
        _ = try makeNamespace("cni-masq-out")
        let out = try NetworkNamespace.open(NamespaceName("cni-masq-out"))
        let host = try NetHandle()
        try host.addLink(LinkSpec(LinkAttributes(name: try InterfaceName("masq-up")), kind: Veth(peer: LinkAttributes(name: try InterfaceName("masq-o"), namespace: out))))
        addTeardownBlock { try? NetHandle().deleteLink(.name(InterfaceName("masq-up"))) }
        try host.addAddress(try IPNetwork("10.250.0.1/30"), to: .name(InterfaceName("masq-up")))
        try host.setLink(.name(InterfaceName("masq-up")), LinkChange(up: true))
        let oh = try NetHandle(namespace: out)
        try oh.addAddress(try IPNetwork("10.250.0.2/30"), to: .name(InterfaceName("masq-o")))
        try oh.setLink(.name(InterfaceName("masq-o")), LinkChange(up: true))
        try oh.setLink(.name(InterfaceName("lo")), LinkChange(up: true))

        let noMasq = conf(name: "kmasq", bridge: "cnim0", subnet: "10.99.0.0/24")
        plugin(env("ADD", "m1", netns: cpath), noMasq)
        assertUnreachable("cni-masq-c", "10.250.0.2", "without ipMasq (the reply has no way back)")
        plugin(env("DEL", "m1", netns: cpath), noMasq)

        let masq = conf(name: "kmasq", bridge: "cnim0", subnet: "10.99.0.0/24", extra: #","ipMasq":true"#)
        plugin(env("ADD", "m1", netns: cpath), masq)
        assertReaches("cni-masq-c", "10.250.0.2", "with ipMasq the container reaches the outside")
        assertReaches("cni-masq-c", "10.99.0.1", "traffic inside the subnet still flows")
        plugin(env("DEL", "m1", netns: cpath), masq)
        XCTAssertEqual(try masqueradeOwners("kmasq"), [], "DEL removed the masquerade chain")
    }
}

/// A real runtime: scripts/cni-podman.sh (podman 4.3, CNI backend) against the built binary.
final class PodmanTests: CNIKernelTestCase {
    func testPodmanDrivesVethkitCNI() throws {
        for tool in ["/usr/bin/podman", "/usr/bin/crun", "/usr/bin/jq", "/bin/busybox"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) missing: apt-get install --no-install-recommends podman busybox-static jq")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/cni-podman.sh").path
        let (status, out, err) = try DelegatedIPAM.spawn(script, arguments: [binary],
            environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "VETHKIT_SANDBOX=1", "HOME=/root"], stdin: [])
        let text = String(decoding: out + err, as: UTF8.self)
        if status == 77 { throw XCTSkip("podman test skipped: \(text)") }
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("RESULT fails=0"), text)
        XCTAssertFalse(text.contains("FAIL"), text)
    }
}
