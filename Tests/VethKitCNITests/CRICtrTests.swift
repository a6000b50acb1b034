import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// `ctr run --cni`: ctr's own go-cni call (fixed paths /etc/cni/net.d and /opt/cni/bin, run inside
/// containerd's mount namespace), CNI_CONTAINERID "<namespace>-<id>", CNI_NETNS /proc/PID/ns/net.
final class CRICtrTests: CRITestCase {
    private func run(_ args: [String]) throws -> ProcessResult {
        try containerd.enter(["/usr/bin/timeout", "60", "/usr/bin/ctr", "run", "--cni", "--runc-binary", CRITestCase.work + "/crun-nocg"] + args)
    }

    func testCtrRunRmGetsAddAndDel() throws {
        let net = vethkitNetwork(base: "vkctr")
        try install(net, wait: false)
        let name = "c\(uniqueSuffix())"
        let r = try run(["--rm", Containerd.image, name, "/bin/sh", "-c",
                         "ip -4 -o addr show eth0; ip route; ping -c1 -W2 \(net.gateway) >/dev/null && echo PING_GW_OK"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("inet \(net.prefix)"), "the container has an address of the network: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("default via \(net.gateway) dev eth0"), r.stdout)
        XCTAssertTrue(r.stdout.contains("PING_GW_OK"), "the container reaches its gateway: \(r.stdout)")
        XCTAssertEqual(calls("default-\(name)"), ["ADD:vethkit-cni", "DEL:vethkit-cni"])
        XCTAssertEqual(reservations(net), [])
        XCTAssertEqual(try bridgePorts(net.bridge), [])
    }

    /// The known containerd 1.6 leak: `ctr run -d --cni`, then kill and rm, never sends DEL, so the
    /// reservation stays. The test proves the leak is there (so the day containerd fixes it, this
    /// fails and says so) and removes it with the DEL ctr should have sent.
    func testCtrRunDetachedKillRmLeavesTheReservation() throws {
        let net = vethkitNetwork(base: "vkleak")
        try install(net, wait: false)
        let name = "d\(uniqueSuffix())", cid = "default-\(name)"
        XCTAssertEqual(try run(["-d", Containerd.image, name, "/bin/sleep", "infinity"]).status, 0)
        addTeardownBlock { [self] in
            _ = try? self.containerd.ctr("tasks", "kill", "-s", "KILL", name)
            _ = try? self.containerd.ctr("tasks", "rm", "-f", name)
            _ = try? self.containerd.ctr("containers", "rm", name)
        }
        let leaked = reservations(net)
        XCTAssertEqual(leaked.count, 1, "ADD reserved an address")
        XCTAssertEqual(try containerd.ctr("tasks", "kill", "-s", "KILL", name).status, 0)
        XCTAssertTrue(try waitUntil("task \(name) to stop", timeout: 20) {
            !(try containerd.ctr("tasks", "ls").stdout.split(separator: "\n").contains { $0.hasPrefix(name + " ") && $0.contains("RUNNING") })
        })
        XCTAssertEqual(try containerd.ctr("tasks", "rm", name).status, 0)
        XCTAssertEqual(try containerd.ctr("containers", "rm", name).status, 0)
        XCTAssertEqual(calls(cid), ["ADD:vethkit-cni"], "ctr never sent DEL")
        XCTAssertEqual(reservations(net), leaked, "the reservation leaked (containerd 1.6's known behaviour)")
        XCTAssertEqual(try bridgePorts(net.bridge), [], "the veth went with the container's namespace")
        // The DEL ctr should have sent (without CNI_NETNS, as ctr sends it), inside containerd's mount namespace.
        let conf = try pluginConfig(net)
        let del = try containerd.enter(["/usr/bin/env", "CNI_COMMAND=DEL", "CNI_CONTAINERID=\(cid)", "CNI_IFNAME=eth0",
                                        "CNI_PATH=/opt/cni/bin", CRITestCase.work + "/real/vethkit-cni"], input: conf)
        XCTAssertEqual(del.status, 0, del.stdout)
        XCTAssertEqual(reservations(net), [])
    }

    /// The first plugin's configuration as libcni passes it (cniVersion and name added).
    func pluginConfig(_ net: Network) throws -> String {
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(net.conflist.utf8)) as? [String: Any])
        var p = try XCTUnwrap((o["plugins"] as? [[String: Any]])?.first)
        p["cniVersion"] = o["cniVersion"]
        p["name"] = o["name"]
        return String(decoding: try JSONSerialization.data(withJSONObject: p), as: UTF8.self)
    }
}
