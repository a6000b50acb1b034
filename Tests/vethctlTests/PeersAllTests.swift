import Foundation
import VethKitTestSupport
import XCTest

/// `peers --all` and `who` for namespaces held each way (issue 10's first test): a process made
/// with `unshare -n`, a bind mount outside /run/netns, an fd of a sleeping process, a name, a
/// VethKit topology; each with a veth to the test's namespace. Every pair is mapped both ways and
/// checked against `ip -j link` on both sides and `stat` of the namespace.
final class PeersAllTests: XCTestCase {
    let v = Vethctl()
    var fixture = InventoryFixture()

    override func setUpWithError() throws {
        try requireKernel()
        fixture = InventoryFixture()
        addTeardownBlock { [fixture] in fixture.tearDown() }
    }

    func allKinds() throws -> [HeldNamespace] {
        [try fixture.unshared(), try fixture.bindMounted(), try fixture.fdHeld(), try fixture.namedOne(), try fixture.topology()]
    }

    /// Checks one end object of the JSON against what the test made.
    func checkEnd(_ e: [String: Any]?, ifname: String, label: String, identity: (device: UInt64, inode: UInt64), ifindex: Int,
                  _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(e?["ifname"] as? String, ifname, what, file: file, line: line)
        XCTAssertEqual(e?["netns"] as? String, label, what, file: file, line: line)
        XCTAssertEqual(int(e?["ifindex"]), ifindex, what, file: file, line: line)
        let id = jsonIdentity(e?["id"])
        XCTAssertEqual(id?.device, identity.device, what, file: file, line: line)
        XCTAssertEqual(id?.inode, identity.inode, what, file: file, line: line)
        XCTAssertNotNil(e?["up"] as? Bool, what, file: file, line: line)
        XCTAssertTrue(e?.keys.contains("owner") == true, what, file: file, line: line)
    }

    func testPeersAllMapsEveryPairBothWays() throws {
        let made = try allKinds()
        let here = namespaceIdentity("/proc/thread-self/ns/net")
        let r = try v.run(["peers", "--all", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let pairs = try parseJSONArray(r.stdout)
        for m in made {
            let host = try ipLink(m.hostEnd), far = try ipLink(m.peer, in: m.path)
            let hostIndex = try XCTUnwrap(int(host["ifindex"])), farIndex = try XCTUnwrap(int(far["ifindex"]))
            // ip: each end's IFLA_LINK is the other's ifindex.
            XCTAssertEqual(int(host["link_index"]), farIndex, "\(m.kind): ip says the host end's peer is \(farIndex)")
            XCTAssertEqual(int(far["link_index"]), hostIndex, "\(m.kind): ip says the far end's peer is \(hostIndex)")
            let mine = pairs.filter { p in
                let ends = [p["end"], p["peer"]].compactMap { $0 as? [String: Any] }
                return ends.contains { $0["ifname"] as? String == m.hostEnd && jsonIdentity($0["id"])?.inode == here.inode }
            }
            XCTAssertEqual(mine.count, 1, "\(m.kind): the pair of \(m.hostEnd) once in \(r.stdout.prefix(2000))")
            guard let p = mine.first else { continue }
            // The end in the caller's namespace is `end`.
            checkEnd(p["end"] as? [String: Any], ifname: m.hostEnd, label: "here", identity: here, ifindex: hostIndex, "\(m.kind) end")
            checkEnd(p["peer"] as? [String: Any], ifname: m.peer, label: m.label, identity: namespaceIdentity(m.path), ifindex: farIndex, "\(m.kind) peer")
            XCTAssertEqual(int(p["peerIfindex"]), farIndex, m.kind)
            let owner = (p["peer"] as? [String: Any])?["owner"] as? [String: Any]
            switch m.kind {
            case "unshare", "fd":
                XCTAssertEqual(owner?["kind"] as? String, "process", "\(m.kind): \(String(describing: owner))")
                XCTAssertEqual(int(owner?["pid"]), m.pid.map(Int.init))
                XCTAssertEqual(owner?["comm"] as? String, "sleep")
            case "topology":
                XCTAssertEqual(owner?["kind"] as? String, "topology", "\(String(describing: owner))")
                XCTAssertEqual(owner?["topology"] as? String, m.topology)
                XCTAssertEqual(owner?["node"] as? String, "n1")
            default:
                XCTAssertNil(owner, "\(m.kind): nothing owns it: \(String(describing: owner))")
            }
        }
        // Text: the same pairs, with the labels.
        let text = try v.ok("peers", "--all")
        for m in made {
            let row = text.split(separator: "\n").first { $0.contains(" \(m.hostEnd) ") }
            XCTAssertNotNil(row, "\(m.kind): no row for \(m.hostEnd) in\n\(text)")
            XCTAssertTrue(row?.contains(m.label) == true && row?.contains(m.peer) == true, "\(m.kind): \(String(describing: row))")
        }
    }

    /// `who HOST-END` (by name and by ifindex) names the far end, its namespace and its holders;
    /// `who` run inside the far namespace on the far end names the host end back.
    func testWhoAnswersForEveryHostEndAndBack() throws {
        let made = try allKinds()
        let here = namespaceIdentity("/proc/thread-self/ns/net")
        for m in made {
            let host = try ipLink(m.hostEnd), far = try ipLink(m.peer, in: m.path)
            let hostIndex = try XCTUnwrap(int(host["ifindex"])), farIndex = try XCTUnwrap(int(far["ifindex"]))
            for arg in [m.hostEnd, String(hostIndex)] {
                let r = try v.run(["who", arg, "--json"])
                XCTAssertEqual(r.status, 0, "\(m.kind) who \(arg): \(r.stderr)")
                let o = try parseJSONObject(r.stdout)
                checkEnd(o["end"] as? [String: Any], ifname: m.hostEnd, label: "here", identity: here, ifindex: hostIndex, "\(m.kind) who \(arg) end")
                checkEnd(o["peer"] as? [String: Any], ifname: m.peer, label: m.label, identity: namespaceIdentity(m.path), ifindex: farIndex, "\(m.kind) who \(arg) peer")
                XCTAssertTrue(o["error"] is NSNull, "\(String(describing: o["error"]))")
                let ns = try XCTUnwrap(o["namespace"] as? [String: Any], "\(m.kind): namespace")
                XCTAssertEqual(ns["label"] as? String, m.label)
                XCTAssertEqual(jsonIdentity(ns["id"])?.inode, namespaceIdentity(m.path).inode)
                let processes = ns["processes"] as? [[String: Any]] ?? []
                if let pid = m.pid {
                    let p = processes.first { int($0["pid"]) == Int(pid) }
                    XCTAssertEqual(p?["comm"] as? String, "sleep", "\(m.kind): \(processes)")
                    XCTAssertEqual(p?["hold"] as? String, m.hold, "\(m.kind): \(processes)")
                    XCTAssertEqual(int(p?["uid"]), Int(getuid()))
                    if m.hold == "fd" {
                        XCTAssertEqual(int(p?["fd"]), 3)
                        XCTAssertEqual(int(ns["members"]), 0)
                        XCTAssertEqual(int(ns["holders"]), 1)
                    } else {
                        XCTAssertEqual(int(ns["members"]), 1)
                    }
                } else {
                    XCTAssertEqual(processes.count, 0, "\(m.kind): \(processes)")
                    XCTAssertEqual(int(ns["members"]), 0)
                    XCTAssertEqual(int(ns["holders"]), 0)
                }
                let mounts = (ns["mounts"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
                if let mount = m.mount { XCTAssertEqual(mounts, [mount], m.kind) }
                XCTAssertEqual(ns["names"] as? [String], m.name.map { [$0] } ?? [], m.kind)
                if let name = m.name { XCTAssertTrue(mounts.contains("/run/netns/\(name)"), "\(m.kind): \(mounts)") }
                XCTAssertEqual(ns["topology"] as? String, m.topology, m.kind)
            }
            // Text: one line naming the far end, escaped, in its namespace.
            let text = try v.ok("who", m.hostEnd)
            XCTAssertTrue(text.contains("peer       \(m.peer) (ifindex \(farIndex), "), "\(m.kind):\n\(text)")
            XCTAssertTrue(text.contains(") in \(m.label)\n"), "\(m.kind):\n\(text)")
            // Back: vethctl in the far namespace asks about the far end.
            let back = try runProcess("/usr/bin/nsenter", ["--net=\(m.path)", v.path, "who", m.peer, "--json"])
            XCTAssertEqual(back.status, 0, "\(m.kind) back: \(back.stderr)")
            let b = try parseJSONObject(back.stdout)
            let bp = b["peer"] as? [String: Any]
            XCTAssertEqual(bp?["ifname"] as? String, m.hostEnd, "\(m.kind) back")
            XCTAssertEqual(int(bp?["ifindex"]), hostIndex, "\(m.kind) back")
            XCTAssertEqual(jsonIdentity(bp?["id"])?.inode, here.inode, "\(m.kind) back")
            XCTAssertEqual((b["end"] as? [String: Any])?["netns"] as? String, "here", "\(m.kind) back")
            // Back with -n NAME: vethctl stays here, the end asked about is the pair's far end.
            if let name = m.name {
                let o = try parseJSONObject(try v.ok("who", m.peer, "-n", name, "--json"))
                checkEnd(o["end"] as? [String: Any], ifname: m.peer, label: m.label, identity: namespaceIdentity(m.path), ifindex: farIndex, "\(m.kind) -n end")
                checkEnd(o["peer"] as? [String: Any], ifname: m.hostEnd, label: "here", identity: here, ifindex: hostIndex, "\(m.kind) -n peer")
                XCTAssertEqual(int(o["peerIfindex"]), hostIndex)
                XCTAssertEqual((o["namespace"] as? [String: Any])?["here"] as? Bool, true)
            }
        }
    }
}
