import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// What containerd's CRI does when ADD fails, and a cniVersion its libcni does not speak.
final class CRIFailureTests: CRITestCase {
    /// Regression (issue 13): containerd rolls a refused ADD back with a DEL of the same
    /// configuration; vethkit-cni refused that DEL for the same field, so the sandbox stayed
    /// SANDBOX_UNKNOWN and every Stop and Remove failed while the configuration was loaded.
    func testRefusedAddVlanLeavesASandboxThatStopAndRemoveClear() throws {
        try checkRefusedAdd(vethkitNetwork(extra: #", "vlan": 5"#, base: "vkvlan"), message: "vlan")
    }

    /// The same with an MTU no link can have (above 65535).
    func testRefusedAddImpossibleMTULeavesASandboxThatStopAndRemoveClear() throws {
        try checkRefusedAdd(vethkitNetwork(extra: #", "mtu": 100000"#, base: "vkmtu"), message: "mtu")
    }

    /// An MTU below Ethernet's minimum of 68 (refused by the configuration check, as the kernel would).
    func testRefusedAddMTUBelowTheMinimumLeavesASandboxThatStopAndRemoveClear() throws {
        try checkRefusedAdd(vethkitNetwork(extra: #", "mtu": 10"#, base: "vkmtu10"), message: "mtu")
    }

    func checkRefusedAdd(_ net: Network, message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try install(net)
        let before = Set(loggedContainers())
        XCTAssertThrowsError(try cri.runPod("refused"), "RunPodSandbox must fail", file: file, line: line) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("failed to setup network for sandbox") && text.contains("vethkit-cni") && text.contains(message),
                          "kubelet sees the plugin's refusal: \(text)", file: file, line: line)
        }
        let ids = loggedContainers().filter { !before.contains($0) }
        XCTAssertEqual(ids.count, 1, "one sandbox had plugin calls: \(ids)", file: file, line: line)
        guard let id = ids.first else { return }
        let c = calls(id)
        XCTAssertTrue(c.contains("ADD:vethkit-cni(rc=1)"), "the refused ADD: \(c)", file: file, line: line)
        XCTAssertTrue(c.contains("DEL:vethkit-cni"), "containerd's rollback DEL succeeded: \(c)", file: file, line: line)
        XCTAssertEqual(try bridgePorts(net.bridge), [], "no veth left by the refused ADD", file: file, line: line)
        XCTAssertEqual(reservations(net), [], "no reservation left by the refused ADD", file: file, line: line)
        // The defect left the sandbox listed (SANDBOX_UNKNOWN) and every Stop and Remove failing while
        // the configuration was loaded. Now the rollback DEL succeeds and containerd drops the
        // sandbox itself; Stop and Remove of its id (a kubelet may retry them) succeed or say NOT_FOUND,
        // which kubelet takes as done.
        XCTAssertFalse(try cri.pods().contains(id), "containerd dropped the failed sandbox (\(containerd.log(last: 5)))", file: file, line: line)
        for (what, call) in [("StopPodSandbox", cri.stopPod), ("RemovePodSandbox", cri.removePod)] {
            do { try call(id) } catch let e as CRIError where e.code == "NOT_FOUND" {} catch {
                XCTFail("\(what) with the refused configuration loaded: \(error)", file: file, line: line)
            }
        }
        XCTAssertEqual(try cri.pods(), [], "no sandbox left", file: file, line: line)
        let netnsFiles = (try? FileManager.default.contentsOfDirectory(atPath: containerd.path("/var/run/netns"))) ?? []
        XCTAssertEqual(netnsFiles, [], "no netns file left", file: file, line: line)
        XCTAssertEqual(cacheEntries(id), [], "no libcni cache entry left", file: file, line: line)
    }

    /// containerd 1.6's libcni knows results up to 1.0.0: a 1.1.0 conflist fails RunPodSandbox with
    /// its message, and the rollback leaves nothing (vethkit-cni speaks 1.1.0, so its DEL works).
    func testConflist110IsRejectedByContainerd16AndLeavesNothing() throws {
        let net = vethkitNetwork(version: "1.1.0", base: "vk110")
        try install(net)
        let before = Set(loggedContainers())
        var text = ""
        XCTAssertThrowsError(try cri.runPod("v110")) { text = "\($0)" }
        print("containerd 1.6 on a cniVersion 1.1.0 conflist: \(text)")
        XCTAssertTrue(text.contains("1.1.0"), "containerd names the version it refuses: \(text)")
        let ids = loggedContainers().filter { !before.contains($0) }
        XCTAssertEqual(ids.count, 1, "one sandbox had plugin calls: \(ids)")
        // The ADD itself succeeded; libcni refused its result, and containerd's rollback DEL (also 1.1.0) worked.
        XCTAssertEqual(ids.first.map(calls)?.filter { $0.hasSuffix("vethkit-cni") }, ["ADD:vethkit-cni", "DEL:vethkit-cni"])
        for id in ids {
            try? cri.stopPod(id)
            try? cri.removePod(id)
        }
        XCTAssertEqual(try cri.pods(), [], "no sandbox left")
        XCTAssertEqual(reservations(net), [])
        XCTAssertEqual(try bridgePorts(net.bridge), [])
    }
}

/// Pod port mappings (PodSandboxConfig.port_mappings) through the reference portmap plugin chained
/// after vethkit-cni: a real TCP connection to the host port reaches a listener in the pod.
final class CRIPortMappingTests: CRITestCase {
    func testPortMappingThroughPortmapAfterVethkit() throws {
        try requireComponent("/usr/sbin/iptables", package: "iptables")
        let net = vethkitNetwork(portmap: true, base: "vkpm")
        try install(net)
        let id = try cri.runPod("ports", ports: [(8080, 18080)])
        let st = try cri.status(id)
        let ns = netnsPath(st)
        XCTAssertEqual(calls(id).sorted(), ["ADD:loopback", "ADD:portmap", "ADD:vethkit-cni"])
        // A listener in the pod's namespace (busybox nc): answers one connection with a line, records
        // the line it got back, closes.
        let got = NSTemporaryDirectory() + "vethkit-cri-nc-\(UInt32.random(in: 0...UInt32.max))"
        let listener = try BackgroundProcess("/usr/bin/nsenter", ["--net=\(ns)", "/bin/sh", "-c",
                                                                 "/bin/busybox nc -l -p 8080 -e /bin/sh -c 'echo pong-from-pod; read l; echo \"$l\" > \(got)'"])
        addTeardownBlock { listener.stop(); try? FileManager.default.removeItem(atPath: got) }
        XCTAssertTrue(try waitUntil("the pod's listener on :8080") { try listening(ns, port: 8080) })
        XCTAssertFalse(try connect(net.gateway, 18081).contains("pong"), "an unmapped host port reaches nothing")
        let reply = try connect(net.gateway, 18080)
        XCTAssertTrue(reply.contains("pong-from-pod"), "host port 18080 → pod :8080 (DNAT by portmap): \(reply)")
        XCTAssertTrue(waitUntil("the listener to record the request") {
            ((try? String(contentsOfFile: got, encoding: .utf8)) ?? "").contains("ping-from-host")
        })
        let rules = try runProcess("/usr/sbin/iptables-save", ["-t", "nat"]).stdout
        XCTAssertTrue(rules.contains(id), "portmap's DNAT rule names the sandbox")
        try cri.stopPod(id)
        XCTAssertFalse(try runProcess("/usr/sbin/iptables-save", ["-t", "nat"]).stdout.contains(id), "Stop removed portmap's rules")
        XCTAssertTrue(calls(id).contains("DEL:portmap") && calls(id).contains("DEL:vethkit-cni"), "\(calls(id))")
        try cri.removePod(id)
        XCTAssertEqual(reservations(net), [])
        XCTAssertEqual(try bridgePorts(net.bridge), [])
    }

    private func listening(_ ns: String, port: Int) throws -> Bool {
        let r = try runProcess("/usr/bin/nsenter", ["--net=\(ns)", "/bin/busybox", "netstat", "-ltn"])
        return r.stdout.contains(":\(port) ")
    }

    /// Connects from the sandbox's host namespace, sends a line, returns what came back.
    private func connect(_ address: String, _ port: Int) throws -> String {
        try runProcess("/bin/sh", ["-c", "echo ping-from-host | /bin/busybox nc -w 1 \(address) \(port)"], timeout: 30).stdout
    }
}
