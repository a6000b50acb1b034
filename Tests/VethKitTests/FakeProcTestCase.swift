import Foundation
import VethKit
import XCTest

/// A fake /proc tree (and run, CNI and docker directories) in a temporary directory, for
/// `NamespaceInventory.discover` without root or a kernel: processes with their ns links,
/// threads, descriptors, status and cgroup, and the caller's mountinfo.
class FakeProcTestCase: XCTestCase {
    var root = ""
    var proc: String { root + "/proc" }
    var runDir: String { root + "/run/netns" }
    let id64 = "8f2c1b9d3e4a5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "vk-fakeproc-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: proc, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func link(_ path: String, _ target: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertEqual(symlink(target, path), 0, path)
    }

    func write(_ path: String, _ text: String) throws { try write(path, Array(text.utf8)) }
    func write(_ path: String, _ bytes: [UInt8]) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)), path)
    }

    /// A process: its ns links, task/ with extra threads, fd/ links, status, cgroup, stat.
    func process(_ pid: Int32, net: UInt64, mnt: UInt64 = 900, comm: [UInt8]? = nil, uid: UInt32 = 0,
                 threads: [Int32: UInt64] = [:], fds: [Int32: String] = [:], cgroup: String = "0::/\n", ppid: Int32 = 1) throws {
        let d = "\(proc)/\(pid)"
        try link(d + "/ns/net", "net:[\(net)]")
        try link(d + "/ns/mnt", "mnt:[\(mnt)]")
        try link("\(d)/task/\(pid)/ns/net", "net:[\(net)]")
        for (tid, n) in threads { try link("\(d)/task/\(tid)/ns/net", "net:[\(n)]") }
        try FileManager.default.createDirectory(atPath: d + "/fd", withIntermediateDirectories: true)
        for (fd, t) in fds { try link("\(d)/fd/\(fd)", t) }
        // status's Name: is comm with the kernel's escapes (newline → \n, backslash → \\)
        var name: [UInt8] = []
        for b in comm ?? Array("p\(pid)".utf8) { name += b == 0x0A ? [0x5C, 0x6E] : b == 0x5C ? [0x5C, 0x5C] : [b] }
        try write(d + "/status", Array("Name:\t".utf8) + name + Array("\nUmask:\t0022\nPPid:\t\(ppid)\nUid:\t\(uid)\t\(uid)\t\(uid)\t\(uid)\n".utf8))
        try write(d + "/cgroup", cgroup)
    }

    func nsfsLine(_ id: Int, _ ino: UInt64, _ path: String) -> String {
        "\(id) 29 0:4 net:[\(ino)] \(path) rw shared:\(id) - nsfs nsfs rw\n"
    }

    func options(sample: Int = 5) -> NamespaceInventory.Options {
        .init(procRoot: proc, runDirectories: [runDir, root + "/var/run/netns"], processSample: sample,
              cniResultsDirectory: root + "/cni/results", cniNetworksDirectories: [root + "/cni/networks"], nsfsDevice: 4,
              dockerDataDirectory: root + "/docker")
    }

    /// The caller (pid 10, in net 100, mnt 900) and its mountinfo.
    func caller(mountinfo: String) throws {
        try process(10, net: 100)
        try link(proc + "/thread-self/ns/net", "net:[100]")
        try link(proc + "/thread-self/ns/mnt", "mnt:[900]")
        try write(proc + "/thread-self/mountinfo", "22 1 0:21 / / rw - ext4 /dev/sda1 rw\n" + mountinfo)
        try link(proc + "/self/ns/net", "net:[100]")
    }
}
