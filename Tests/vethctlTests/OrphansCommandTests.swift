import Foundation
import VethKit
import VethKitCNI
import VethKitTestSupport
import XCTest

/// `vethctl orphans`: CNI reservations whose network namespace is gone, listed and released —
/// only what vethkit-cni made, never through a symlink, never another plugin's store, never a
/// user's veth, never a live attachment, also while ADDs run concurrently.
final class OrphansCommandTests: XCTestCase {
    let vethctl = Vethctl()
    let plugin = productPath("vethkit-cni")
    var dataDir = ""
    var namespaces: [String] = []

    override func setUpWithError() throws {
        try requireKernel()
        dataDir = "/run/vethkit/orphans-\(uniqueSuffix())"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        addTeardownBlock { [dataDir] in try? FileManager.default.removeItem(atPath: dataDir) }
    }

    override func tearDown() {
        for n in namespaces { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", n]) }
    }

    func netns(_ name: String) throws -> String {
        try ip("netns", "add", name)
        namespaces.append(name)
        return "/run/netns/\(name)"
    }

    func conf(_ network: String, _ subnet: String, extra: String = "") -> String {
        #"{"cniVersion":"1.1.0","name":"\#(network)","type":"vethkit-cni","bridge":"br-\#(network)","isGateway":true\#(extra),"ipam":{"type":"vethkit","dataDir":"\#(dataDir)","subnet":"\#(subnet)"}}"#
    }

    @discardableResult
    func cni(_ cmd: String, _ id: String, _ netns: String?, _ cfg: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        var env = ["CNI_COMMAND": cmd, "CNI_CONTAINERID": id, "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni", "PATH": "/usr/sbin:/usr/bin:/bin"]
        if let netns { env["CNI_NETNS"] = netns }
        let r = try runProcess(plugin, [], input: cfg, environment: env)
        XCTAssertEqual(r.status, 0, "\(cmd) \(id): \(r.stdout)", file: file, line: line)
        return r.stdout
    }

    func orphans(_ extra: String...) throws -> (status: Int32, list: [[String: Any]], doc: [String: Any], stderr: String) {
        let r = try vethctl.run(["orphans", "--data-dir", dataDir, "--json"] + extra)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout + r.stderr)
        return (r.status, doc["orphans"] as? [[String: Any]] ?? [], doc, r.stderr)
    }

    func files(_ network: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "\(dataDir)/\(network)").filter { !$0.hasPrefix(".tmp") }.sorted()
    }

    func testListsAndRemovesOnlyOrphans() throws {
        let cfg = conf("korp1", "10.75.0.0/24")
        let live = try netns("orp-live"), gone = try netns("orp-gone"), held = try netns("orp-held")
        try cni("ADD", "live", live, cfg)
        try cni("ADD", "gone", gone, cfg)
        try cni("ADD", "held", held, cfg)
        // "held": its namespace file is removed but a process keeps the namespace (and our veth) alive.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        holder.arguments = ["netns", "exec", "orp-held", "sleep", "60"]
        try holder.run()
        addTeardownBlock { holder.terminate() }
        usleep(200_000)
        try ip("netns", "del", "orp-gone")
        try ip("netns", "del", "orp-held")
        // "gone"'s host veth vanished with its namespace; a user's veth (made with `ip`) now has its name.
        let goneVeth = try hostVeth("gone", "korp1")
        try waitUntilLinksGone([goneVeth])
        try ip("link", "add", goneVeth, "type", "veth", "peer", "name", "orp-user-p")
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", goneVeth]) }
        let userBefore = try ip("-j", "-d", "link", "show", "dev", goneVeth)
        // Another plugin's store, a symlink to a store, garbage and huge files: never touched.
        try FileManager.default.createDirectory(atPath: "\(dataDir)/hostlocal", withIntermediateDirectories: true)
        try "x\r\neth0".write(toFile: "\(dataDir)/hostlocal/10.75.9.2", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: "\(dataDir)/linked", withDestinationPath: "\(dataDir)/korp1")
        try "garbage".write(toFile: "\(dataDir)/korp1/10.75.0.250", atomically: false, encoding: .utf8)
        FileManager.default.createFile(atPath: "\(dataDir)/korp1/10.75.0.251", contents: Data(count: 20 << 20))
        try "not a store".write(toFile: "\(dataDir)/README", atomically: false, encoding: .utf8)
        // Debian's host-local's own store in the same dataDir (when installed).
        var hostLocalFiles: [String]? = nil
        if FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/host-local") {
            let hl = #"{"cniVersion":"1.0.0","name":"hlnet","type":"host-local","ipam":{"type":"host-local","dataDir":"\#(dataDir)","subnet":"10.75.8.0/24"}}"#
            let r = try runProcess("/usr/lib/cni/host-local", [], input: hl, environment: [
                "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "hl1", "CNI_NETNS": live, "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"])
            XCTAssertEqual(r.status, 0, r.stdout)
            hostLocalFiles = try files("hlnet")
        }

        let (rc, list, doc, _) = try orphans("--data-dir", dataDir)   // a repeated --data-dir is scanned once
        XCTAssertEqual(rc, 0)
        XCTAssertEqual(list.map { $0["containerID"] as? String ?? "" }.sorted(), ["gone", "held"])
        let g = try XCTUnwrap(list.first { $0["containerID"] as? String == "gone" })
        XCTAssertEqual(g["kind"] as? String, "cni-reservation")
        XCTAssertEqual(g["network"] as? String, "korp1")
        XCTAssertEqual(g["ifname"] as? String, "eth0")
        XCTAssertEqual(g["netns"] as? String, gone)
        XCTAssertEqual((g["addresses"] as? [String])?.count, 1)
        XCTAssertNotNil(g["ageSeconds"] as? Int)
        XCTAssertEqual(doc["unjudged"] as? Int, 2, "the garbage and the huge file")
        let skipped = (doc["skipped"] as? [String] ?? []).joined(separator: "\n")
        XCTAssertTrue(skipped.contains("hostlocal: not a vethkit-cni store"), skipped)
        XCTAssertTrue(skipped.contains("linked: a symbolic link, not followed"), skipped)
        if hostLocalFiles != nil { XCTAssertTrue(skipped.contains("hlnet: not a vethkit-cni store"), skipped) }
        let text = try vethctl.run(["orphans", "--data-dir", dataDir])
        XCTAssertTrue(text.stdout.hasPrefix("KIND "), text.stdout)
        XCTAssertTrue(text.stdout.contains("cni-reservation  korp1"), text.stdout)
        XCTAssertTrue(text.stderr.contains("2 orphans; 2 reservations not judged"), text.stderr)

        let heldVeth = try hostVeth("held", "korp1")
        XCTAssertTrue(try ip("-j", "link", "show").contains("\"\(heldVeth)\""), "the held namespace keeps our veth")
        let before = try files("korp1")
        let removed = try orphans("--remove")
        XCTAssertEqual(removed.status, 0, removed.stderr)
        let h = try XCTUnwrap(removed.list.first { $0["containerID"] as? String == "held" })
        XCTAssertTrue((h["removed"] as? String ?? "").contains("deleted veth \(heldVeth)"), "\(h)")
        XCTAssertFalse(try ip("-j", "link", "show").contains("\"\(heldVeth)\""), "our veth is gone")
        XCTAssertEqual(try ip("-j", "-d", "link", "show", "dev", goneVeth), userBefore, "the user's veth of that name is untouched")
        let after = try files("korp1")
        XCTAssertEqual(before.count - after.count, 4, "two reservations and two markers released: \(before) → \(after)")
        XCTAssertTrue(after.contains("10.75.0.250") && after.contains("10.75.0.251"), "unjudged files stay")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dataDir)/hostlocal"), ["10.75.9.2"], "another plugin's directory untouched")
        if let before = hostLocalFiles { XCTAssertEqual(try files("hlnet"), before, "host-local's own store untouched (not even a lock file added)") }
        XCTAssertEqual(try orphans().list.count, 0, "nothing left to remove")
        try cni("DEL", "live", live, cfg)   // the live one was kept
    }

    /// ADDs running while `--remove` releases orphans: the store lock serialises them; every ADD
    /// succeeds with a distinct address and keeps it, every orphan is released.
    func testConcurrentAddsWhileRemoving() throws {
        let cfg = conf("korp2", "10.75.1.0/24")
        for i in 0..<10 {
            try cni("ADD", "o\(i)", try netns("orp-o\(i)"), cfg)
            try ip("netns", "del", "orp-o\(i)")
        }
        let paths = try (0..<20).map { try netns("orp-n\($0)") }
        final class Box: @unchecked Sendable { var outs = [String](repeating: "", count: 20); let l = NSLock() }
        let box = Box()
        let group = DispatchGroup()
        let bin = plugin
        DispatchQueue.global().async(group: group) {
            DispatchQueue.concurrentPerform(iterations: 20) { i in
                let env = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "n\(i)", "CNI_IFNAME": "eth0", "CNI_NETNS": paths[i], "CNI_PATH": "/usr/lib/cni"]
                let r = try? runProcess(bin, [], input: cfg, environment: env)
                box.l.lock(); box.outs[i] = r?.status == 0 ? r!.stdout : "failed: \(r?.stdout ?? "")"; box.l.unlock()
            }
        }
        let removed = try orphans("--remove")
        group.wait()
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertEqual(removed.list.count, 10)
        XCTAssertEqual(box.outs.filter { $0.hasPrefix("failed") }, [])
        let addresses = box.outs.compactMap { out -> String? in
            guard let j = try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any] else { return nil }
            return ((j["ips"] as? [[String: Any]])?.first?["address"] as? String)?.components(separatedBy: "/").first
        }
        XCTAssertEqual(Set(addresses).count, 20, "20 distinct addresses")
        let left = try files("korp2").filter { !$0.hasPrefix(".") && $0.contains(".") && $0.first!.isNumber }
        XCTAssertEqual(Set(left), Set(addresses), "exactly the 20 live attachments hold an address")
        XCTAssertEqual(try orphans().list.count, 0)
        for i in 0..<20 { try cni("DEL", "n\(i)", nil, cfg) }
    }

    func testHostileDataDirs() throws {
        for bad in ["relative", "/a/../etc", "/a/./b", "/a\u{1}b"] {
            let r = try vethctl.run(["orphans", "--data-dir", bad])
            XCTAssertEqual(r.status, 2, bad)
            XCTAssertTrue(r.stderr.contains("--data-dir"), r.stderr)
        }
        try FileManager.default.createDirectory(atPath: dataDir + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dataDir + "/link", withDestinationPath: dataDir + "/real")
        let r = try vethctl.run(["orphans", "--data-dir", dataDir + "/link", "--json"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("symbolic link"), r.stdout)
    }

    func hostVeth(_ id: String, _ network: String) throws -> String {
        Naming.hostVeth(network: network, .init(containerID: id, ifname: "eth0")).rawValue
    }
}
