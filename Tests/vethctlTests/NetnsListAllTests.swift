import Foundation
import VethKitTestSupport
import XCTest

/// `netns list --all`: every network namespace, however it is held, with the documented JSON keys;
/// cross-checked with `lsns -t net -J --list` (which sees only those with processes) and `stat`.
final class NetnsListAllTests: XCTestCase {
    let v = Vethctl()
    static let keys: Set<String> = ["id", "label", "here", "names", "mounts", "processes", "members", "holders",
                                    "owners", "topology", "orphan", "links", "error"]

    func testListsEveryHolderWithStableKeys() throws {
        try requireKernel()
        let fixture = InventoryFixture()
        addTeardownBlock { fixture.tearDown() }
        let made = [try fixture.unshared(), try fixture.bindMounted(), try fixture.fdHeld(), try fixture.namedOne()]
        let r = try v.run(["netns", "list", "--all", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let list = try parseJSONArray(r.stdout)
        for ns in list { XCTAssertEqual(Set(ns.keys), Self.keys, "keys of \(ns["label"] ?? "?")") }
        let here = namespaceIdentity("/proc/thread-self/ns/net")
        XCTAssertEqual(list.filter { $0["here"] as? Bool == true }.count, 1)
        let first = try XCTUnwrap(list.first)
        XCTAssertEqual(jsonIdentity(first["id"])?.inode, here.inode, "the caller's namespace comes first")
        XCTAssertEqual(first["label"] as? String, "here")
        XCTAssertEqual(Set(list.compactMap { jsonIdentity($0["id"])?.inode }).count, list.count, "each namespace once")
        for m in made {
            let id = namespaceIdentity(m.path)
            let ns = try XCTUnwrap(list.first { jsonIdentity($0["id"])?.inode == id.inode && jsonIdentity($0["id"])?.device == id.device }, m.kind)
            XCTAssertEqual(ns["label"] as? String, m.label, m.kind)
            XCTAssertEqual(int(ns["links"]), 2, "\(m.kind): lo and the veth end")
            XCTAssertTrue(ns["error"] is NSNull, m.kind)
            XCTAssertEqual(ns["orphan"] as? Bool, false, m.kind)
            let mounts = ns["mounts"] as? [[String: Any]] ?? []
            if let path = m.mount ?? m.name.map({ "/run/netns/\($0)" }) {
                let mount = mounts.first { $0["path"] as? String == path }
                XCTAssertEqual(mount?["inCallersMountNamespace"] as? Bool, true, "\(m.kind): \(mounts)")
                XCTAssertNotNil(int(mount?["viaPID"]), m.kind)
                XCTAssertNotNil(int(mount?["mountNamespace"]), m.kind)
            } else {
                XCTAssertEqual(mounts.count, 0, "\(m.kind): \(mounts)")
            }
            let processes = ns["processes"] as? [[String: Any]] ?? []
            XCTAssertEqual(processes.map { int($0["pid"]) }, m.pid.map { [Int($0)] } ?? [], m.kind)
            XCTAssertEqual(processes.first?["hold"] as? String, m.hold, m.kind)
        }
        // lsns: every namespace with a process is listed by both, with the same inode.
        let l = try runProcess("/usr/bin/lsns", ["-t", "net", "-J", "--list"])
        XCTAssertEqual(l.status, 0, l.stderr)
        let doc = try parseJSONObject(l.stdout)
        let lsns = Set((doc["namespaces"] as? [[String: Any]] ?? []).compactMap { ($0["ns"] as? NSNumber)?.uint64Value })
        let ours = Set(list.compactMap { jsonIdentity($0["id"])?.inode })
        XCTAssertGreaterThan(lsns.count, 1)
        // A namespace lsns saw may have lost its last process between the two runs: allow a few.
        XCTAssertLessThanOrEqual(lsns.subtracting(ours).count, 3, "lsns lists namespaces vethctl missed: \(lsns.subtracting(ours))")
        XCTAssertTrue(ours.contains(namespaceIdentity(made[0].path).inode))
        XCTAssertTrue(lsns.contains(namespaceIdentity(made[0].path).inode), "lsns sees the unshare -n process")
        XCTAssertFalse(lsns.contains(namespaceIdentity(made[1].path).inode), "lsns does not see a namespace held by a mount only")

        // Text: a row per namespace, with its label and its processes.
        let text = try v.ok("netns", "list", "--all")
        XCTAssertTrue(text.hasPrefix("NETNS "), text)
        for m in made {
            let row = text.split(separator: "\n").first { $0.hasPrefix("net:[\(namespaceIdentity(m.path).inode)] ") }
            XCTAssertTrue(row?.contains(m.label) == true, "\(m.kind): \(String(describing: row))")
            if let pid = m.pid { XCTAssertTrue(row?.contains("\(pid) sleep") == true, "\(m.kind): \(String(describing: row))") }
        }
        // Without --all: only names, as before (ip's JSON).
        let named = try parseJSONArray(try v.ok("netns", "list", "--json"))
        XCTAssertTrue(named.contains { $0["name"] as? String == made[3].name })
        XCTAssertFalse(named.contains { $0["label"] != nil })
    }

    /// A topology node carries `topology`; --all needs no privilege to refuse bad flags.
    func testTopologyNodeAndFlags() throws {
        let bad = try runUnprivileged(v.path, ["netns", "list", "--all", "--bogus"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        try requireKernel()
        let fixture = InventoryFixture()
        addTeardownBlock { fixture.tearDown() }
        let t = try fixture.topology()
        let list = try parseJSONArray(try v.ok("netns", "list", "--all", "--json"))
        let ns = list.first { ($0["names"] as? [String])?.contains(t.name ?? "") == true }
        XCTAssertEqual(ns?["topology"] as? String, t.topology)
        XCTAssertEqual(ns?["label"] as? String, t.label)
        XCTAssertEqual(list.first?["topology"] is NSNull, true, "the caller's namespace is no node")
    }
}
