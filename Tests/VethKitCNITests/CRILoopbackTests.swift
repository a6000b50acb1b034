import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// vethkit-cni installed as containerd's `loopback` too (Loopback.swift): every pod's `lo` is up
/// (127.0.0.1 answers inside), the pod network works beside it, and Stop/Remove clear both.
final class CRILoopbackTests: CRITestCase {
    override class var vethkitServesLoopback: Bool { true }

    func testVethkitCNIAsLoopbackUnderContainerd() throws {
        let net = vethkitNetwork(base: "vklo")
        try install(net)
        let id = try cri.runPod("lo-a")
        let st = try cri.status(id)
        let ns = netnsPath(st)
        let ip = st["ip"] as? String ?? ""
        XCTAssertTrue(ip.hasPrefix(net.prefix), "pod IP \(ip)")
        XCTAssertEqual(calls(id).sorted(), ["ADD:loopback", "ADD:vethkit-cni"])
        let lo = try runProcess("/usr/bin/nsenter", ["--net=\(ns)", "/usr/sbin/ip", "-j", "link", "show", "lo"])
        let flags = try parseJSONArray(lo.stdout).first?["flags"] as? [String] ?? []
        XCTAssertTrue(flags.contains("UP"), "the pod's lo is up: \(flags)")
        XCTAssertEqual(pingFromPod(ns, "127.0.0.1"), .reply, "127.0.0.1 answers inside the pod")
        XCTAssertEqual(pingFromPod(ns, net.gateway), .reply, "pod → gateway")
        try cri.stopPod(id)
        try cri.removePod(id)
        XCTAssertEqual(calls(id).filter { $0.hasPrefix("DEL:loopback") }.count, 2, "DEL of the loopback network at Stop and Remove: \(calls(id))")
        XCTAssertEqual(calls(id).filter { $0.contains("rc=") }, [], "every call succeeded")
        XCTAssertEqual(reservations(net), [])
        XCTAssertEqual(try bridgePorts(net.bridge), [])
        XCTAssertEqual(cacheEntries(id), [], "no libcni cache entry left")
    }
}
