import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// kubelet's pod sandbox path through containerd's CRI plugin, vethkit-cni and Debian's
/// bridge + host-local side by side.
final class CRIPodTests: CRITestCase {
    func testVethkitPodLifecycle() throws { try checkLifecycle(vethkitNetwork()) }
    func testBridgeHostLocalPodLifecycle() throws { try checkLifecycle(bridgeNetwork()) }

    func testVethkitTenPodsInParallel() throws { try checkParallel(vethkitNetwork()) }
    func testBridgeHostLocalTenPodsInParallel() throws { try checkParallel(bridgeNetwork()) }

    /// A conflist of each version containerd 1.6's libcni speaks works unchanged.
    func testVethkitConflistVersions() throws {
        for version in ["0.3.1", "0.4.0", "1.0.0"] {
            let net = vethkitNetwork(version: version)
            try install(net)
            let id = try cri.runPod("ver-\(version.replacingOccurrences(of: ".", with: ""))")
            let st = try cri.status(id)
            let ip = st["ip"] as? String ?? ""
            XCTAssertTrue(ip.hasPrefix(net.prefix), "cniVersion \(version): pod IP \(ip)")
            XCTAssertEqual(try podAddresses(netnsPath(st)), [ip], "cniVersion \(version)")
            XCTAssertEqual(pingFromPod(netnsPath(st), net.gateway), .reply, "cniVersion \(version): pod → gateway")
            try cri.stopPod(id)
            try cri.removePod(id)
            XCTAssertEqual(calls(id).filter { $0.hasSuffix("vethkit-cni") }, ["ADD:vethkit-cni", "DEL:vethkit-cni", "DEL:vethkit-cni"],
                           "cniVersion \(version): ADD, DEL at Stop, DEL again at Remove")
            XCTAssertEqual(reservations(net), [], "cniVersion \(version)")
            XCTAssertEqual(try bridgePorts(net.bridge), [], "cniVersion \(version)")
        }
    }

    /// Run two pods, check each, Stop one (nothing of it left, the other untouched), Remove, then the other.
    func checkLifecycle(_ net: Network, file: StaticString = #filePath, line: UInt = #line) throws {
        try install(net)
        let a = try cri.runPod("life-a"), b = try cri.runPod("life-b")
        let sa = try cri.status(a), sb = try cri.status(b)
        XCTAssertEqual(sa["state"] as? String, "SANDBOX_READY", file: file, line: line)
        let ipA = sa["ip"] as? String ?? "", ipB = sb["ip"] as? String ?? ""
        let nsA = netnsPath(sa), nsB = netnsPath(sb)
        XCTAssertTrue(ipA.hasPrefix(net.prefix) && ipB.hasPrefix(net.prefix) && ipA != ipB, "pod IPs \(ipA) \(ipB)", file: file, line: line)
        XCTAssertTrue((sa["netns"] as? String ?? "").hasPrefix("/var/run/netns/cni-"), "netns \(sa["netns"] ?? "")", file: file, line: line)
        XCTAssertEqual(try podAddresses(nsA), [ipA], "PodSandboxStatus's IP is the one on the pod's eth0 (ip -j)", file: file, line: line)
        XCTAssertEqual(try podAddressesVethKit(nsA), [ipA], "… and through VethKit", file: file, line: line)
        XCTAssertEqual(try podAddresses(nsB), [ipB], file: file, line: line)
        XCTAssertEqual(pingFromPod(nsA, net.gateway), .reply, "pod → gateway \(net.gateway)", file: file, line: line)
        XCTAssertEqual(pingFromPod(nsA, ipB), .reply, "pod → other pod \(ipB)", file: file, line: line)
        XCTAssertEqual(pingFromPod(nsA, "10.254.254.254"), .noReply, "nothing answers an address no one has", file: file, line: line)
        XCTAssertEqual(reservations(net), [ipA, ipB].sorted(), file: file, line: line)
        XCTAssertEqual(try bridgePorts(net.bridge).count, 2, "two host veths on \(net.bridge)", file: file, line: line)
        // A user's own veth on the same bridge, made with ip: Stop and Remove must leave it alone.
        let user = "vkuser\(uniqueSuffix())".prefix(15)
        try ip("link", "add", String(user), "type", "veth", "peer", "name", "vkpeer\(uniqueSuffix())".prefix(15).description)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", String(user)]) }
        try ip("link", "set", String(user), "master", net.bridge, "up")
        let expected = net.mainType == "bridge" ? ["ADD:bridge", "ADD:host-local", "ADD:loopback"] : ["ADD:loopback", "ADD:vethkit-cni"]
        XCTAssertEqual(calls(a).sorted(), expected, "RunPodSandbox's plugin calls (loopback and the network may run in parallel)",
                       file: file, line: line)
        XCTAssertFalse(cacheEntries(a).isEmpty, "libcni cached the ADD result of \(a.prefix(12))", file: file, line: line)
        XCTAssertTrue(fileExists(nsA), "netns file \(nsA)", file: file, line: line)

        try cri.stopPod(a)
        XCTAssertEqual(try cri.status(a)["state"] as? String, "SANDBOX_NOTREADY", file: file, line: line)
        XCTAssertTrue(calls(a).contains("DEL:\(net.mainType)"), "Stop sent DEL: \(calls(a))", file: file, line: line)
        XCTAssertEqual(reservations(net), [ipB], "Stop released exactly pod a's address", file: file, line: line)
        XCTAssertEqual(try bridgePorts(net.bridge).count, 2, "Stop removed pod a's veth only", file: file, line: line)
        XCTAssertFalse(fileExists(nsA), "Stop removed the netns file", file: file, line: line)
        XCTAssertEqual(cacheEntries(a), [], "no libcni cache entry of pod a after Stop", file: file, line: line)
        XCTAssertEqual(pingFromPod(nsB, net.gateway), .reply, "pod b still reaches its gateway", file: file, line: line)
        try cri.removePod(a)
        XCTAssertThrowsError(try cri.status(a), file: file, line: line) {
            XCTAssertEqual(($0 as? CRIError)?.code, "NOT_FOUND", "\($0)", file: file, line: line)
        }
        try cri.stopPod(b)
        try cri.removePod(b)
        XCTAssertEqual(reservations(net), [], file: file, line: line)
        XCTAssertEqual(try bridgePorts(net.bridge), [String(user)], "only the user's veth is left on the bridge", file: file, line: line)
        XCTAssertEqual(cacheEntries(b), [], file: file, line: line)
        XCTAssertEqual(try cri.pods(), [], file: file, line: line)
    }

    /// 10 RunPodSandbox at once (kubelet starts pods in parallel): 10 distinct addresses, each on its
    /// pod's eth0; 10 parallel Stop + Remove leave nothing.
    func checkParallel(_ net: Network, file: StaticString = #filePath, line: UInt = #line) throws {
        try install(net)
        let r = try cri.call(["op": "par", "n": 10, "prefix": "par-"])
        let ids = r["ids"] as? [String] ?? []
        XCTAssertEqual(ids.count, 10, file: file, line: line)
        var ips: [String] = []
        for id in ids {
            let st = try cri.status(id)
            let ip = st["ip"] as? String ?? ""
            ips.append(ip)
            XCTAssertEqual(try podAddresses(netnsPath(st)), [ip], "pod \(id.prefix(12))", file: file, line: line)
        }
        XCTAssertEqual(Set(ips).count, 10, "10 distinct addresses: \(ips)", file: file, line: line)
        XCTAssertTrue(ips.allSatisfy { $0.hasPrefix(net.prefix) }, "\(ips)", file: file, line: line)
        XCTAssertEqual(reservations(net), ips.sorted(), file: file, line: line)
        XCTAssertEqual(try bridgePorts(net.bridge).count, 10, file: file, line: line)
        try cri.call(["op": "stoprm", "ids": ids])
        XCTAssertEqual(reservations(net), [], file: file, line: line)
        XCTAssertEqual(try bridgePorts(net.bridge), [], file: file, line: line)
        XCTAssertEqual(ids.flatMap(cacheEntries), [], file: file, line: line)
    }
}
