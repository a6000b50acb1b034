import Foundation
import VethKitTestSupport
import XCTest

/// A network namespace a test made, held one particular way, with a veth whose other end
/// (`hostEnd`) is in the test's own namespace.
struct HeldNamespace {
    var kind: String
    var hostEnd: String
    var peer: String
    /// A path that opens it (for nsenter and stat).
    var path: String
    /// The label `peers --all` and `who` must print for it.
    var label: String
    var pid: Int32? = nil
    var hold: String? = nil
    var name: String? = nil
    var mount: String? = nil
    var topology: String? = nil
}

/// Makes namespaces held each way (a process made with `unshare -n`, a bind mount outside
/// /run/netns, an fd of a sleeping process, a name, a VethKit topology), each with a veth to the
/// test's namespace, and removes everything in `tearDown()` (registered by the test case).
final class InventoryFixture {
    let s = uniqueSuffix()
    private var processes: [Process] = []
    private var cleanups: [() -> Void] = []
    private let vethctl = Vethctl()

    func tearDown() {
        for p in processes where p.isRunning { p.terminate(); p.waitUntilExit() }
        for c in cleanups.reversed() { c() }
    }

    /// Starts `argv` and waits until its comm is `comm` (after unshare/exec).
    func start(_ argv: [String], comm: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        processes.append(p)
        let pid = p.processIdentifier
        waitUntil("pid \(pid) to be \(comm)") {
            ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines) == comm
        }
        return p
    }

    func named(_ base: String) throws -> String {
        let name = base
        try ip("netns", "add", name)
        cleanups.append { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", name]) }
        return name
    }

    func veth(_ host: String, _ peer: String, netns: String) throws {
        try ip("link", "add", host, "type", "veth", "peer", "name", peer, "netns", netns)
        try ip("link", "set", host, "up")
        cleanups.append { _ = try? runProcess("/usr/sbin/ip", ["link", "del", host]) }
    }

    /// A process made with `unshare -n` (sleep): the namespace has no name, only its member.
    func unshared() throws -> HeldNamespace {
        let p = try start(["/usr/bin/unshare", "-n", "/bin/sleep", "600"], comm: "sleep")
        let pid = p.processIdentifier
        try veth("h3u\(s)", "h3u\(s)p", netns: String(pid))
        return HeldNamespace(kind: "unshare", hostEnd: "h3u\(s)", peer: "h3u\(s)p", path: "/proc/\(pid)/ns/net",
                             label: "pid \(pid) (sleep)", pid: pid, hold: "member")
    }

    /// A bind mount under /run/vethkit (the sandbox's private tmpfs), its /run/netns name removed.
    func bindMounted() throws -> HeldNamespace {
        let tmp = try named("h3bt\(s)")
        try veth("h3b\(s)", "h3b\(s)p", netns: tmp)
        let target = "/run/vethkit/h3bind-\(s)"
        XCTAssertTrue(FileManager.default.createFile(atPath: target, contents: nil))
        let r = try runProcess("/usr/bin/mount", ["--bind", "/run/netns/\(tmp)", target])
        XCTAssertEqual(r.status, 0, r.stderr)
        cleanups.append {
            _ = try? runProcess("/usr/bin/umount", [target])
            try? FileManager.default.removeItem(atPath: target)
        }
        try ip("netns", "del", tmp)
        return HeldNamespace(kind: "bind mount", hostEnd: "h3b\(s)", peer: "h3b\(s)p", path: target,
                             label: "mount \(target)", mount: target)
    }

    /// Only an open descriptor (fd 3, opened as /proc/PID/ns/net of a process that then exits)
    /// of a sleeping process keeps it.
    func fdHeld() throws -> HeldNamespace {
        let maker = try start(["/usr/bin/unshare", "-n", "/bin/sleep", "600"], comm: "sleep")
        try veth("h3f\(s)", "h3f\(s)p", netns: String(maker.processIdentifier))
        let p = try start(["/bin/bash", "-c", "exec 3</proc/\(maker.processIdentifier)/ns/net; exec /bin/sleep 600"], comm: "sleep")
        let pid = p.processIdentifier
        waitUntil("fd 3 of \(pid)") { FileManager.default.fileExists(atPath: "/proc/\(pid)/fd/3") }
        maker.terminate()
        maker.waitUntilExit()
        return HeldNamespace(kind: "fd", hostEnd: "h3f\(s)", peer: "h3f\(s)p", path: "/proc/\(pid)/fd/3",
                             label: "pid \(pid) (sleep)", pid: pid, hold: "fd")
    }

    /// A user's named namespace.
    func namedOne() throws -> HeldNamespace {
        let name = try named("h3n\(s)")
        try veth("h3n\(s)", "h3n\(s)p", netns: name)
        return HeldNamespace(kind: "named", hostEnd: "h3n\(s)", peer: "h3n\(s)p", path: "/run/netns/\(name)",
                             label: name, name: name)
    }

    /// A VethKit topology `h3t<s>` brought up by `vethctl up`: node n1, a veth to the host.
    func topology() throws -> HeldNamespace {
        let t = "h3t\(s)"
        let file = NSTemporaryDirectory() + "h3-topo-\(s).yaml"
        try """
        name: \(t)
        nodes:
          host: {}
          n1: {}
        links:
          - endpoints: [{node: n1, name: eth0, addresses: [10.143.1.2/24]}, {node: host, name: \(t)h, addresses: [10.143.1.1/24]}]
        """.write(toFile: file, atomically: true, encoding: .utf8)
        cleanups.append { [vethctl] in
            _ = try? vethctl.run(["down", t])
            try? FileManager.default.removeItem(atPath: file)
        }
        let r = try vethctl.run(["up", file, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        return HeldNamespace(kind: "topology", hostEnd: "\(t)h", peer: "eth0", path: "/run/netns/\(t)-n1",
                             label: "\(t)-n1", name: "\(t)-n1", topology: t)
    }
}

/// The nsfs identity of `path` (as `stat` reports it).
func namespaceIdentity(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> (device: UInt64, inode: UInt64) {
    var st = stat()
    guard stat(path, &st) == 0 else {
        XCTFail("stat \(path): errno \(errno)", file: file, line: line)
        return (0, 0)
    }
    return (UInt64(st.st_dev), UInt64(st.st_ino))
}

/// `ip -j link show dev NAME` inside the namespace at `path` (nil: here).
func ipLink(_ name: String, in path: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    let r = path.map { try? runProcess("/usr/bin/nsenter", ["--net=\($0)", "/usr/sbin/ip", "-j", "link", "show", "dev", name]) }
        ?? (try? runProcess("/usr/sbin/ip", ["-j", "link", "show", "dev", name]))
    let result = try XCTUnwrap(r, file: file, line: line)
    XCTAssertEqual(result.status, 0, "ip link show \(name): \(result.stderr)", file: file, line: line)
    return try XCTUnwrap(parseJSONArray(result.stdout).first, file: file, line: line)
}

/// Decodes one JSON object.
func parseJSONObject(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text.prefix(300))", file: file, line: line)
}

/// A JSON id object's (device, inode).
func jsonIdentity(_ value: Any?) -> (device: UInt64, inode: UInt64)? {
    guard let o = value as? [String: Any], let d = (o["device"] as? NSNumber)?.uint64Value, let i = (o["inode"] as? NSNumber)?.uint64Value else { return nil }
    return (d, i)
}

func int(_ v: Any?) -> Int? { (v as? NSNumber)?.intValue }
