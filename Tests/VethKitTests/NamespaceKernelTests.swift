import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// Named namespaces on the real kernel: iproute2 compatibility both ways, teardown, and the
/// promise that the caller's thread never changes namespace.
final class NamespaceKernelTests: XCTestCase {
    /// Deletes the namespace when the test ends, passed or failed (no-op if already gone).
    func cleanUp(_ name: NamespaceName) {
        addTeardownBlock { if NetworkNamespace.exists(name) { try? NetworkNamespace.delete(name) } }
    }

    func testCreateListDeleteIsIproute2Compatible() throws {
        try requireKernel()
        let name = try NamespaceName("vk-ns-\(uniqueSuffix())")
        cleanUp(name)
        let before = currentNamespaceInode()
        let ns = try NetworkNamespace.create(name)
        XCTAssertEqual(currentNamespaceInode(), before, "creating a namespace moved the calling thread")
        XCTAssertNotEqual(try ns.inode(), before)
        XCTAssertTrue(try NetworkNamespace.list().contains(name))
        XCTAssertTrue(NetworkNamespace.exists(name))
        XCTAssertTrue(try ip("netns", "list").contains(name.rawValue), "iproute2 does not see it")
        // iproute2 can work inside it.
        try ip("-n", name.rawValue, "link", "add", "d0", "type", "bridge")
        XCTAssertEqual(try NetHandle(named: name).link(named: InterfaceName("d0")).kind, "bridge")
        XCTAssertThrowsError(try NetworkNamespace.create(name)) { XCTAssertTrue("\($0)".contains("EEXIST"), "\($0)") }
        try NetworkNamespace.delete(name)
        XCTAssertFalse(try NetworkNamespace.list().contains(name))
        XCTAssertFalse(try ip("netns", "list").contains(name.rawValue))
        XCTAssertThrowsError(try NetworkNamespace.delete(name)) { XCTAssertTrue($0 is NotFound) }
    }

    func testSeesNamespacesMadeByIproute2() throws {
        try requireKernel()
        let name = "vk-ip-\(uniqueSuffix())"
        try ip("netns", "add", name)
        defer { _ = try? ip("netns", "del", name) }
        XCTAssertTrue(try NetworkNamespace.list().map(\.rawValue).contains(name))
        let h = try NetHandle(named: NamespaceName(name))
        XCTAssertEqual(try h.links().map(\.name), ["lo"])
    }

    /// Needs no privilege and no sandbox (it only opens a path under /run/netns), so it runs
    /// everywhere; BadInputTests proves the same through vethctl as uid 65534.
    func testOpeningAnUnknownNamespaceIsNotFound() throws {
        let name = "vk-none-\(uniqueSuffix())"
        XCTAssertThrowsError(try NetworkNamespace.open(NamespaceName(name))) { e in
            XCTAssertTrue(e is NotFound, "\(type(of: e)): \(e)")
            XCTAssertTrue("\(e)".contains(name), "\(e) does not name \(name)")
        }
        XCTAssertFalse(NetworkNamespace.exists(try NamespaceName(name)))
    }

    func testSysctlIsWrittenInsideTheNamespaceOnly() throws {
        try requireKernel()
        let name = try NamespaceName("vk-sys-\(uniqueSuffix())")
        let ns = try NetworkNamespace.create(name)
        cleanUp(name)
        let outside = try Sysctl.read("net.ipv4.ip_forward")
        try ns.setSysctl("net.ipv4.ip_forward", outside == "1" ? "0" : "1")
        XCTAssertEqual(try ns.run { try Sysctl.read("net.ipv4.ip_forward") }, outside == "1" ? "0" : "1")
        XCTAssertEqual(try Sysctl.read("net.ipv4.ip_forward"), outside)
        XCTAssertThrowsError(try Sysctl.path(of: "net/../../etc/passwd")) { e in
            XCTAssertTrue(e is InvalidInput, "\(type(of: e)): \(e)")
            XCTAssertTrue("\(e)".contains("net/../../etc/passwd"), "\(e)")
        }
    }

    func testThreadNamespaceIsUntouchedByHandles() throws {
        try requireKernel()
        let name = try NamespaceName("vk-th-\(uniqueSuffix())")
        let before = currentNamespaceInode()
        let ns = try NetworkNamespace.create(name)
        cleanUp(name)
        let h = try NetHandle(namespace: ns)
        try h.addLink(.bridge(InterfaceName("dx")))
        XCTAssertEqual(currentNamespaceInode(), before)
        XCTAssertNil(try NetHandle().linkIfPresent(named: InterfaceName("dx")), "the link landed in the caller's namespace")
    }
}
