import VethKitJSON
import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

/// Leaks runtimes leave (`ctr run -d --cni`, then kill and rm, never sends DEL): ADD records
/// CNI_NETNS and its nsfs identity; STATUS still succeeds and says on stderr how many
/// reservations have no live network namespace.
final class OrphanStatusKernelTests: CNIKernelTestCase {
    /// (status, stdout, stderr) of one plugin run.
    func run(_ env: [String: String], _ stdin: String) throws -> (Int32, String, String) {
        let (rc, out, err) = try DelegatedIPAM.spawn(binary, environment: env.map { "\($0.key)=\($0.value)" }, stdin: Array(stdin.utf8))
        return (rc, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    func status(_ cfg: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let (rc, out, err) = try run(env("STATUS"), cfg)
        XCTAssertEqual(rc, 0, "STATUS reports, it does not fail: \(out)", file: file, line: line)
        XCTAssertEqual(out, "", "nothing on stdout", file: file, line: line)
        return err
    }

    func testStatusCountsReservationsWhoseNetnsIsGone() throws {
        let cfg = conf(name: "korph", bridge: "cniorph", subnet: "10.74.0.0/24", version: "1.1.0")
        let a = try makeNamespace("cni-orph-a"), b = try makeNamespace("cni-orph-b"), c = try makeNamespace("cni-orph-c")
        for (id, ns) in [("a", a), ("b", b), ("c", c)] { plugin(env("ADD", id, netns: ns), cfg) }
        XCTAssertEqual(try status(cfg), "", "every namespace is alive: STATUS is silent")

        // The record: our mark, the path, the nsfs identity ADD opened.
        let store = try XCTUnwrap(IPAMStore.existing(dataDir: dataDir, network: "korph"))
        let rec = try XCTUnwrap(store.record(of: .init(containerID: "a", ifname: "eth0")), "ADD wrote a netns record")
        XCTAssertEqual(rec.path, a)
        XCTAssertEqual(rec.inode, try NetworkNamespace.open(path: a).inode())
        XCTAssertEqual(rec.liveness, .live)

        try deleteNamespaces([NamespaceName("cni-orph-b")])
        XCTAssertTrue(try status(cfg).contains("1 of 3 reservations (1 attachment) have no live network namespace"))
        // A new namespace under the same name is not the one ADD saw (other inode): gone too.
        try deleteNamespaces([NamespaceName("cni-orph-c")])
        _ = try makeNamespace("cni-orph-c")
        XCTAssertTrue(try status(cfg).contains("2 of 3 reservations"))

        // ctr's path: /proc/PID/ns/net of a process that then dies.
        let holder = try XCTUnwrap(startHolder(), "unshare -n sleep")
        plugin(env("ADD", "ctr", netns: "/proc/\(holder)/ns/net"), cfg)
        XCTAssertTrue(try status(cfg).contains("2 of 4 reservations"), "the process is alive")
        kill(holder, SIGKILL)
        var st: Int32 = 0
        waitpid(holder, &st, 0)
        XCTAssertTrue(try status(cfg).contains("3 of 4 reservations"), "its /proc path is gone with it")

        // An older reservation (no record, an empty marker) is never judged.
        try "old\r\neth0".write(toFile: "\(dataDir)/korph/10.74.0.200", atomically: false, encoding: .utf8)
        FileManager.default.createFile(atPath: "\(dataDir)/korph/" + IPAMStore.markerName(.init(containerID: "old", ifname: "eth0")), contents: Data())
        XCTAssertTrue(try status(cfg).contains("3 of 5 reservations"))
        // A planted record naming another attachment (or a hash collision) is not trusted.
        try "planted\r\neth0".write(toFile: "\(dataDir)/korph/10.74.0.201", atomically: false, encoding: .utf8)
        let other = NetnsRecord(attachment: .init(containerID: "other", ifname: "eth0"), path: "/run/netns/none", device: 1, inode: 2)
        FileManager.default.createFile(atPath: "\(dataDir)/korph/" + IPAMStore.markerName(.init(containerID: "planted", ifname: "eth0")), contents: Data(other.bytes))
        XCTAssertTrue(try status(cfg).contains("3 of 6 reservations"), "the planted reservation is not judged")
        // DEL of an orphan: one fewer.
        plugin(env("DEL", "b", netns: nil), cfg)
        XCTAssertTrue(try status(cfg).contains("2 of 5 reservations"))
    }

    /// Pool exhausted by orphans: STATUS is 50 as before, and the details say why.
    func testExhaustionByOrphansSaysSo() throws {
        let cfg = conf(name: "korpx", bridge: "cniorpx", subnet: "10.74.1.0/29", version: "1.1.0")
        var names: [NamespaceName] = []
        for i in 0..<5 {
            plugin(env("ADD", "x\(i)", netns: try makeNamespace("cni-orpx\(i)")), cfg)
            names.append(try NamespaceName("cni-orpx\(i)"))
        }
        try deleteNamespaces(names)
        let (rc, out, _) = try run(env("STATUS"), cfg)
        XCTAssertEqual(rc, 1)
        let e = json(out)
        XCTAssertEqual(e["code"], 50)
        XCTAssertTrue(e["details"]?.stringValue?.contains("5 of 5 reservations (5 attachments) have no live network namespace") ?? false, out)
    }

    /// A process in a namespace of its own (`unshare -n sleep 60`); its pid.
    func startHolder() -> pid_t? {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/usr/bin/unshare"), strdup("-n"), strdup("/bin/sleep"), strdup("60"), nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, "/usr/bin/unshare", nil, nil, argv, environ) == 0 else { return nil }
        addTeardownBlock { kill(pid, SIGKILL); var st: Int32 = 0; waitpid(pid, &st, 0) }
        // Wait until it is in its own namespace (unshare has run).
        let mine = (try? NetworkNamespace.current().inode()) ?? 0
        for _ in 0..<200 {
            if let ns = try? NetworkNamespace.open(path: "/proc/\(pid)/ns/net"), let ino = try? ns.inode(), ino != mine { return pid }
            usleep(5000)
        }
        return nil
    }
}
