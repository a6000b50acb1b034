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
    /// fails and says so), that STATUS counts it and `vethctl orphans` lists it, and that
    /// `vethctl orphans --remove` releases it.
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
        // Visible: STATUS (cniVersion 1.1.0) counts it on stderr, `vethctl orphans` lists it (inside
        // containerd's mount namespace, where the store is) ...
        let status = try containerd.enter(["/usr/bin/env", "CNI_COMMAND=STATUS", "CNI_PATH=/opt/cni/bin",
                                           CRITestCase.work + "/real/vethkit-cni"], input: try pluginConfig(net, version: "1.1.0"))
        XCTAssertEqual(status.status, 0, status.stdout + status.stderr)
        XCTAssertTrue(status.stderr.contains("network \(net.name): 1 of 1 reservations") && status.stderr.contains("no live network namespace"),
                      "STATUS counts the leak: \(status.stderr)")
        let vethctl = productPath("vethctl")
        let listed = try containerd.enter([vethctl, "orphans", "--data-dir", "/var/lib/cni/networks", "--json"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let orphans = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])?["orphans"] as? [[String: Any]] ?? []
        let ours = orphans.filter { $0["network"] as? String == net.name }
        XCTAssertEqual(ours.count, 1, listed.stdout)
        XCTAssertEqual(ours.first?["containerID"] as? String, cid, listed.stdout)
        XCTAssertEqual((ours.first?["addresses"] as? [String] ?? []).map { String($0.split(separator: "/")[0]) }, leaked, listed.stdout)
        XCTAssertTrue((ours.first?["netns"] as? String ?? "").hasPrefix("/proc/"), "ctr's CNI_NETNS is /proc/PID/ns/net: \(listed.stdout)")
        // ... and removable.
        let removed = try containerd.enter([vethctl, "orphans", "--data-dir", "/var/lib/cni/networks", "--remove"])
        XCTAssertEqual(removed.status, 0, removed.stdout + removed.stderr)
        XCTAssertEqual(reservations(net), [], "vethctl orphans --remove released the leaked reservation")
        let again = try containerd.enter([vethctl, "orphans", "--data-dir", "/var/lib/cni/networks", "--json"])
        XCTAssertFalse(again.stdout.contains(cid), "nothing left to list: \(again.stdout)")
    }

    /// The first plugin's configuration as libcni passes it (cniVersion and name added).
    func pluginConfig(_ net: Network, version: String? = nil) throws -> String {
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(net.conflist.utf8)) as? [String: Any])
        var p = try XCTUnwrap((o["plugins"] as? [[String: Any]])?.first)
        p["cniVersion"] = version ?? o["cniVersion"]
        p["name"] = o["name"]
        return String(decoding: try JSONSerialization.data(withJSONObject: p), as: UTF8.self)
    }
}
