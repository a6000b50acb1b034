import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

/// CRI kernel tests: Debian's containerd 1.6 as the CNI client kubelet drives (RunPodSandbox,
/// PodSandboxStatus, StopPodSandbox, RemovePodSandbox through scripts/cri/cri.py), one containerd
/// per test class (Tests/Support/Containerd.swift), in the sandbox. Every plugin in its
/// /opt/cni/bin is a wrapper that logs each call (verb, container id, netns, ifname, type, exit
/// status) to cni.log before passing the status on; the real binaries are the built vethkit-cni
/// and Debian's containernetworking-plugins (/usr/lib/cni). Skipped, with the reason, where
/// containerd, crun or python3-grpcio cannot run.
class CRITestCase: XCTestCase {
    nonisolated(unsafe) private static var started: [ObjectIdentifier: (Containerd, CRIClient)] = [:]
    var containerd: Containerd!
    var cri: CRIClient!
    var pluginBinary = ""
    nonisolated(unsafe) private static var networkCounter = 0
    static let work = Containerd.workDirectory
    static let referencePlugins = ["bridge", "host-local", "loopback", "portmap"]
    /// True: vethkit-cni is installed as `loopback` too (containerd's loopback network of every pod).
    class var vethkitServesLoopback: Bool { false }

    override func setUpWithError() throws {
        try requireKernel()
        if let reason = Containerd.unavailableReason() { throw XCTSkip("containerd CRI test: \(reason)") }
        for p in CRITestCase.referencePlugins { try requireComponent("/usr/lib/cni/\(p)", package: "containernetworking-plugins") }
        try requirePing()
        guard let b = VethKitCNITests.pluginBinary() else { throw XCTSkip("vethkit-cni binary not built (swift build --product vethkit-cni)") }
        pluginBinary = b
        let key = ObjectIdentifier(type(of: self))
        if let (c, client) = CRITestCase.started[key] {
            containerd = c; cri = client
        } else {
            let c = try Containerd()
            try installPlugins(c)
            cri = try CRIClient(c)
            containerd = c
            CRITestCase.started[key] = (c, cri)
        }
        addTeardownBlock { [self] in self.removeAllPods() }
    }

    override class func tearDown() {
        // The client and containerd end here, by PID and reaped: XCTest keeps the test case
        // instances (and so these objects) alive until the process exits.
        if let (c, client) = started.removeValue(forKey: ObjectIdentifier(self)) {
            client.close()
            c.stop()
        }
        super.tearDown()
    }

    /// Real binaries in $W/real, logging wrappers (one shell line around each call) in /opt/cni/bin.
    private func installPlugins(_ c: Containerd) throws {
        let real = c.path(CRITestCase.work + "/real")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        let sources = [("vethkit-cni", pluginBinary)] + CRITestCase.referencePlugins.map { p in
            (p, p == "loopback" && Self.vethkitServesLoopback ? pluginBinary : "/usr/lib/cni/\(p)")
        }
        for (name, source) in sources {
            try FileManager.default.copyItem(atPath: source, toPath: real + "/" + name)
            let wrapper = """
                #!/bin/sh
                \(CRITestCase.work)/real/\(name) "$@"; rc=$?
                echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME \(name) rc=$rc" >>\(CRITestCase.work)/cni.log
                exit $rc

                """
            let path = c.path("/opt/cni/bin/" + name)
            try wrapper.write(toFile: path, atomically: false, encoding: .utf8)
            chmod(path, 0o755)
        }
    }

    /// Stops and removes every sandbox containerd still has (a test's leftovers, failed or not).
    func removeAllPods() {
        for id in (try? cri.pods()) ?? [] {
            try? cri.stopPod(id)
            try? cri.removePod(id)
        }
    }

    // MARK: networks

    /// A CNI network as the tests configure it (a fresh name per installation).
    struct Network {
        var name: String, bridge: String, subnet: String, gateway: String, mainType: String, conflist: String
        var prefix: String { String(gateway.dropLast()) }   // "10.88.0." of gateway "10.88.0.1"
    }

    func uniqueName(_ base: String) -> String {
        CRITestCase.networkCounter += 1
        return "\(base)\(CRITestCase.networkCounter)"
    }

    /// vethkit-cni (built-in IPAM in /var/lib/cni/networks), optionally followed by portmap.
    func vethkitNetwork(version: String = "1.0.0", extra: String = "", portmap: Bool = false, base: String = "vk") -> Network {
        let name = uniqueName(base)
        let chain = portmap ? #", { "type": "portmap", "capabilities": { "portMappings": true } }"# : ""
        let conflist = """
            { "cniVersion": "\(version)", "name": "\(name)",
              "plugins": [ { "type": "vethkit-cni", "bridge": "vkc0", "isGateway": true\(extra),
                  "ipam": { "type": "vethkit", "dataDir": "/var/lib/cni/networks",
                            "ranges": [[{ "subnet": "10.88.0.0/24", "gateway": "10.88.0.1" }]], "routes": [{ "dst": "0.0.0.0/0" }] } }\(chain) ] }
            """
        return Network(name: name, bridge: "vkc0", subnet: "10.88.0.0/24", gateway: "10.88.0.1", mainType: "vethkit-cni", conflist: conflist)
    }

    /// Debian's bridge + host-local, the reference, same shape.
    func bridgeNetwork(version: String = "1.0.0", portmap: Bool = false) -> Network {
        let name = uniqueName("br")
        let chain = portmap ? #", { "type": "portmap", "capabilities": { "portMappings": true } }"# : ""
        let conflist = """
            { "cniVersion": "\(version)", "name": "\(name)",
              "plugins": [ { "type": "bridge", "bridge": "brc0", "isGateway": true,
                  "ipam": { "type": "host-local", "dataDir": "/var/lib/cni/networks",
                            "ranges": [[{ "subnet": "10.90.0.0/24", "gateway": "10.90.0.1" }]], "routes": [{ "dst": "0.0.0.0/0" }] } }\(chain) ] }
            """
        return Network(name: name, bridge: "brc0", subnet: "10.90.0.0/24", gateway: "10.90.0.1", mainType: "bridge", conflist: conflist)
    }

    /// Makes `net` the only network in /etc/cni/net.d and waits until the CRI plugin loaded it.
    func install(_ net: Network, wait: Bool = true) throws {
        let dir = containerd.path("/etc/cni/net.d")
        try net.conflist.write(toFile: dir + "/.tmp", atomically: false, encoding: .utf8)
        let target = "\(dir)/10-\(net.name).conflist"
        guard rename(dir + "/.tmp", target) == 0 else { throw Containerd.Failure("rename to \(target) failed") }
        for f in try FileManager.default.contentsOfDirectory(atPath: dir) where f.hasSuffix(".conflist") && dir + "/" + f != target {
            try FileManager.default.removeItem(atPath: dir + "/" + f)
        }
        if wait { try cri.waitForNetwork(net.name) }
    }

    // MARK: what the kernel and the files say

    /// The pod's network namespace as the test process reaches it.
    func netnsPath(_ status: [String: Any]) -> String { containerd.path(status["netns"] as? String ?? "/nonexistent") }

    /// The IPv4 addresses on the pod's eth0, read by `ip -j` inside the pod's namespace.
    func podAddresses(_ netns: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let r = try runProcess("/usr/bin/nsenter", ["--net=\(netns)", "/usr/sbin/ip", "-j", "-4", "addr", "show", "dev", "eth0"])
        XCTAssertEqual(r.status, 0, "ip -j addr in \(netns): \(r.stderr)", file: file, line: line)
        return try parseJSONArray(r.stdout).flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }.compactMap { $0["local"] as? String }
    }

    /// The same read through VethKit (a handle opened in the namespace by its path).
    func podAddressesVethKit(_ netns: String) throws -> [String] {
        let h = try NetHandle(namespace: NetworkNamespace.open(path: netns))
        return try h.addresses(link: .name(InterfaceName("eth0"))).filter { $0.network.isIPv4 }.map { "\($0.network.address)" }
    }

    /// A real ping from inside the pod's namespace.
    func pingFromPod(_ netns: String, _ address: String) -> PingOutcome {
        guard let r = try? runProcess("/usr/bin/nsenter", ["--net=\(netns)", "/usr/bin/ping", "-4", "-c", "1", "-W", "2", address]) else {
            return .couldNotRun("nsenter failed to start")
        }
        switch r.status {
        case 0: return .reply
        case 1: return .noReply
        default: return .couldNotRun("ping exited \(r.status): \(r.stderr.prefix(300))")
        }
    }

    /// The veths attached to `bridge` (the pods' host ends), by name.
    func bridgePorts(_ bridge: String) throws -> [String] {
        guard try hostLinkNames().contains(bridge) else { return [] }
        return try ipJSON("link", "show", "master", bridge, "type", "veth").compactMap { $0["ifname"] as? String }.sorted()
    }

    /// The addresses reserved in the network's IPAM store (vethkit and host-local share the layout).
    func reservations(_ net: Network) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: containerd.path("/var/lib/cni/networks/\(net.name)"))) ?? []
        return entries.filter { IPAddress($0) != nil }.sorted()
    }

    /// libcni's cache entries (/var/lib/cni/results) of a sandbox.
    func cacheEntries(_ id: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: containerd.path("/var/lib/cni/results"))) ?? []).filter { $0.contains(id) }
    }

    /// The plugin calls logged for a container id, e.g. ["ADD:loopback", "ADD:vethkit-cni"]; a failed
    /// call is marked "(rc=1)".
    func calls(_ id: String) -> [String] {
        let text = (try? String(contentsOfFile: containerd.path(CRITestCase.work + "/cni.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { l -> String? in
            let f = l.split(separator: " ", omittingEmptySubsequences: false)
            guard f.count >= 6, f[1] == id else { return nil }
            return "\(f[0]):\(f[f.count - 2])" + (f.last == "rc=0" ? "" : "(\(f.last!))")
        }
    }

    /// Sandbox ids for which a plugin was called (in the order of their first call).
    func loggedContainers() -> [String] {
        let text = (try? String(contentsOfFile: containerd.path(CRITestCase.work + "/cni.log"), encoding: .utf8)) ?? ""
        var seen: [String] = []
        for l in text.split(separator: "\n") {
            let f = l.split(separator: " ", omittingEmptySubsequences: false)
            if f.count >= 6, !seen.contains(String(f[1])) { seen.append(String(f[1])) }
        }
        return seen
    }

    func fileExists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }
}
