import VethKit
import XCTest

/// The namespace-orphan rule on values (no kernel): runtime places, and every condition of
/// ``NamespaceOrphans/verdict(_:evidence:options:now:)`` (docs/orphans.md).
final class NamespaceOrphanRuleTests: XCTestCase {
    func testRuntimePlaces() {
        XCTAssertEqual(RuntimeNamespacePaths.classify("/run/docker/netns/1a2b3c4d5e6f"), .runtime("docker", name: "1a2b3c4d5e6f"))
        XCTAssertEqual(RuntimeNamespacePaths.classify("/run/netns/cni-1234-5678"), .runtime("cni", name: "cni-1234-5678"))
        XCTAssertEqual(RuntimeNamespacePaths.classify("/var/run/netns/netns-ab"), .runtime("podman", name: "netns-ab"))
        XCTAssertEqual(RuntimeNamespacePaths.classify("/run/user/1000/netns/netns-x"), .runtime("podman-rootless", name: "netns-x"))
        XCTAssertEqual(RuntimeNamespacePaths.classify("/run/containerd/netns/abc"), .runtime("containerd", name: "abc"))
        // A user's names and near misses.
        for p in ["/run/netns/h4-user", "/run/netns/cni-", "/run/netns/cnifoo", "/run/docker/netns", "/run/docker/netns/x/y",
                  "/run/user/alice/netns/n", "/run/user//netns/n", "/tmp/run/docker/netns/x", "/run/netns/netns"] {
            XCTAssertNotEqual(RuntimeNamespacePaths.classify(p), .runtime("docker", name: String(p.split(separator: "/").last ?? "")), p)
            if case .runtime = RuntimeNamespacePaths.classify(p) { XCTFail("\(p) judged a runtime's place") }
        }
        // A runtime's directory with a name no runtime makes: not judged.
        for p in ["/run/docker/netns/a\u{1}b", "/run/docker/netns/.hidden", "/run/docker/netns/a b", "/run/netns/cni-\u{7f}",
                  "/run/docker/netns/" + String(repeating: "a", count: 129), "/run/docker/netns/é"] {
            XCTAssertEqual(RuntimeNamespacePaths.classify(p), .oddName(p.contains("/run/netns/") ? "cni" : "docker"), p)
        }
    }

    func ns(_ mounts: [String], members: Int = 0, holders: Int = 0, owners: [NamespaceOwner] = [], callers: Bool = false) -> DiscoveredNamespace {
        DiscoveredNamespace(id: NamespaceID(device: 4, inode: 99),
                            mounts: mounts.map { NamespaceMount(path: $0, mountNamespace: 1, viaPID: 1, isInCallersMountNamespace: false) },
                            memberCount: members, holderCount: holders, owners: owners, isCallers: callers)
    }

    func testVerdict() {
        let none = ContainerEvidence(texts: ["0::/system.slice/ssh.service", "conmon -c 0123456789abcdef --exit-dir"])
        let opts = NamespaceOrphans.Options(minimumAge: 0)
        func orphan(_ n: DiscoveredNamespace, _ e: ContainerEvidence? = nil) -> Bool {
            if case .success = NamespaceOrphans.verdict(n, evidence: e ?? none, options: opts) { return true }
            return false
        }
        XCTAssertTrue(orphan(ns(["/run/docker/netns/deadbeef0001", "/run/netns/cni-aaaa-bbbb"])))
        XCTAssertFalse(orphan(ns(["/run/docker/netns/deadbeef0001"], members: 1)), "a process is in it")
        XCTAssertFalse(orphan(ns(["/run/docker/netns/deadbeef0001"], holders: 1)), "a process holds it")
        XCTAssertFalse(orphan(ns(["/run/docker/netns/deadbeef0001", "/run/netns/mine"])), "a user's name too")
        XCTAssertFalse(orphan(ns(["/run/docker/netns/a\u{1}"])), "an odd name")
        XCTAssertFalse(orphan(ns([])), "no mount")
        XCTAssertFalse(orphan(ns(["/run/docker/netns/deadbeef0001"], callers: true)), "the caller's")
        XCTAssertFalse(orphan(ns(["/run/docker/netns/0123456789abcdef"])), "a process names it")
        XCTAssertFalse(orphan(ns(["/run/docker/netns/deadbeef0001"], owners: [.podman(containerID: "f00", name: nil)])), "an owner")
        XCTAssertTrue(orphan(ns(["/run/docker/netns/deadbeef0001"], owners: [.cni(containerID: "feedfacefeedface", network: "n", ifname: "eth0")])),
                      "a CNI record of a container named nowhere")
        XCTAssertFalse(orphan(ns(["/run/docker/netns/deadbeef0001"], owners: [.cni(containerID: "0123456789abcdef", network: "n", ifname: "eth0")])),
                       "a CNI record of a container a process names")
        XCTAssertFalse(orphan(ns(["/run/netns/cni-x"])), "a name shorter than 8 bytes is always 'named'")
        // The minimum age: unknown (no mount readable here) → not an orphan.
        if case .success = NamespaceOrphans.verdict(ns(["/run/docker/netns/deadbeef0001"]), evidence: none) { XCTFail("age unknown, judged anyway") }
    }
}
