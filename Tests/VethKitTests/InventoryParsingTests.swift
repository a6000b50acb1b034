@testable import VethKit
import XCTest

/// The /proc and CNI formats discovery reads: mountinfo lines, ns link targets, status, stat,
/// conmon's command line, libcni's result cache and vethkit-cni's netns records.
final class InventoryParsingTests: XCTestCase {
    func testNamespaceLinkTargets() {
        XCTAssertEqual(ProcFiles.namespaceInode(Array("net:[4026531840]".utf8), type: "net"), 4026531840)
        XCTAssertEqual(ProcFiles.namespaceInode(Array("mnt:[4026531841]".utf8), type: "mnt"), 4026531841)
        for bad in ["mnt:[4026531841]", "net:[]", "net:[12", "net:[12]x", "net:[1a]", "net:4026531840", "socket:[123]",
                    "/dev/null", "net:[99999999999999999999999]", "", "net", "anon_inode:[eventfd]"] {
            XCTAssertNil(ProcFiles.namespaceInode(Array(bad.utf8), type: "net"), bad)
        }
    }

    func testMountInfoFindsNsfsNetMountsOnly() {
        let text = """
        22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        612 29 0:4 net:[4026532248] /run/netns/h1a rw shared:300 - nsfs nsfs rw
        613 29 0:4 net:[4026532317] /run/docker/netns/1c0ffee rw - nsfs nsfs rw
        614 29 0:4 mnt:[4026532999] /tmp/mntns rw - nsfs nsfs rw
        615 29 0:4 net:[4026532400] /tmp/with\\040space\\012and\\134back rw master:4 - nsfs nsfs rw
        616 29 0:21 /net:[4026532401] /tmp/not-nsfs rw - tmpfs tmpfs rw
        617 29 259:65600 net:[4026532402] /tmp/bigdev rw - nsfs nsfs rw
        garbage line
        618 29 0:4 net:[4026532403]
        """
        let e = MountInfoScan.parse(Array(text.utf8))
        XCTAssertEqual(e.map(\.path), ["/run/netns/h1a", "/run/docker/netns/1c0ffee", "/tmp/with space\nand\\back", "/tmp/bigdev"])
        XCTAssertEqual(e.map(\.inode), [4026532248, 4026532317, 4026532400, 4026532402])
        XCTAssertEqual(e[0].device, 4)   // makedev(0, 4)
        // glibc's makedev(259, 65600): minor's high bits go to bits 20+
        XCTAssertEqual(e[3].device, (259 << 8) | (65600 & 0xff) | ((65600 & ~0xff) << 12))
    }

    func testMountInfoSurvivesHostileBytes() {
        var bytes = Array("700 29 0:4 net:[4026532500] /tmp/".utf8)
        bytes += [0xFF, 0xFE, 0x01, 0x1B] + Array("\\377\\1\\9x rw - nsfs nsfs rw\n".utf8)
        bytes += Array(repeating: 0x20, count: 5000) + [0x0A] + Array(repeating: 0x41, count: 70000)
        let e = MountInfoScan.parse(bytes)
        XCTAssertEqual(e.count, 1)
        XCTAssertEqual(e.first?.inode, 4026532500)
        XCTAssertTrue(e.first?.path.hasPrefix("/tmp/") == true)
        XCTAssertTrue(e.first?.path.hasSuffix("\\1\\9x") == true, e.first?.path ?? "")
        XCTAssertEqual(MountInfoScan.unescape(ArraySlice(Array("a\\0400\\".utf8))), "a 0\\")
    }

    func testStatusFields() {
        let status = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4242\nPPid:\t4100\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\n"
        XCTAssertEqual(ProcessDetails.realUID(status: Array(status.utf8)), 1000)
        XCTAssertEqual(ProcessDetails.field(status: Array(status.utf8), "\nPPid:"), 4100)
        XCTAssertNil(ProcessDetails.realUID(status: Array("Name:\tx\nGid:\t0\n".utf8)))
        XCTAssertNil(ProcessDetails.realUID(status: Array("Name:\tx\nUid:\t99999999999\n".utf8)))
        XCTAssertNil(ProcessDetails.realUID(status: Array("Name:\tx\nUid:\t\n".utf8)))
        // a comm cannot fake a field: it is on the first line, and a newline in it is escaped
        XCTAssertNil(ProcessDetails.field(status: Array("Name:\tUid:\t5\n".utf8), "\nUid:"))
    }

    func testStatusNameUnescaped() {
        XCTAssertEqual(ProcessDetails.command(status: Array("Name:\ta\\nb\\\\c\\x\nUid:\t0\n".utf8)), "a\nb\\c\\x")
        XCTAssertEqual(ProcessDetails.command(status: Array("Name:\tsleep\n".utf8)), "sleep")
        XCTAssertEqual(ProcessDetails.command(status: Array("Name:\tend\\".utf8)), "end\\")
        XCTAssertEqual(ProcessDetails.command(status: Array("Uid:\t0\n".utf8)), "")
    }

    func testConmonCommandLine() throws {
        let id = String(repeating: "8f2c", count: 16)
        func cmd(_ a: [String]) -> [UInt8] { Array(a.joined(separator: "\0").utf8) + [0] }
        let args = ["/usr/bin/conmon", "--api-version", "1", "-c", id, "-u", id, "-r", "/usr/bin/crun", "-b", "/x", "-n", "web",
                    "--exit-dir", "/e", "--exit-command", "/usr/bin/podman", "--exit-command-arg", "--root"]
        let c = try XCTUnwrap(ProcessDetails.conmon(cmdline: cmd(args)))
        XCTAssertEqual(c.containerID, id)
        XCTAssertEqual(c.name, "web")
        XCTAssertTrue(c.podman)
        let crio = try XCTUnwrap(ProcessDetails.conmon(cmdline: cmd(["conmon", "--cid", id, "--name", "k8s_POD_x", "--exit-dir", "/e"])))
        XCTAssertEqual(crio.name, "k8s_POD_x")
        XCTAssertFalse(crio.podman, "CRI-O's conmon has no podman exit command")
        XCTAssertNil(ProcessDetails.conmon(cmdline: cmd(["/usr/bin/bash", "-c", id, "-n", "web"])))
        XCTAssertNil(ProcessDetails.conmon(cmdline: cmd(["conmon", "-c", "short", "-n", "web"])))
        XCTAssertNil(ProcessDetails.conmon(cmdline: cmd(["conmon", "-n", "web", "-c"])))
        XCTAssertNil(ProcessDetails.conmon(cmdline: [0xFF, 0x00, 0x00]))
        XCTAssertEqual(ProcessDetails.conmon(cmdline: cmd(["conmon", "-c", id, "-n", ""]))?.name, nil as String?)
    }

    func testCNIResultCacheEntry() throws {
        let entry = """
        {"kind":"cniCacheV1","containerId":"c0ffee0123456789c0ffee0123456789c0ffee0123456789c0ffee0123456789",
         "config":"eyJjbmlWZXJzaW9uIjoiMS4wLjAifQ==","ifName":"eth0","networkName":"podnet","netns":"/var/run/netns/cni-1234",
         "cniArgs":[["IgnoreUnknown","1"],["K8S_POD_NAMESPACE","default"],["K8S_POD_NAME","nginx-7d9"],["K8S_POD_UID","0b1e-22"]],
         "result":{"cniVersion":"1.0.0","interfaces":[]}}
        """
        let a = try XCTUnwrap(CNIState.parseCacheEntry(Array(entry.utf8)))
        XCTAssertEqual(a.containerID, "c0ffee0123456789c0ffee0123456789c0ffee0123456789c0ffee0123456789")
        XCTAssertEqual(a.ifname, "eth0")
        XCTAssertEqual(a.network, "podnet")
        XCTAssertEqual(a.netnsPath, "/var/run/netns/cni-1234")
        XCTAssertEqual(a.podNamespace, "default")
        XCTAssertEqual(a.podName, "nginx-7d9")
        XCTAssertEqual(a.podUID, "0b1e-22")
        XCTAssertNil(CNIState.parseCacheEntry(Array(#"{"kind":"cniCacheV2","containerId":"x"}"#.utf8)))
        XCTAssertNil(CNIState.parseCacheEntry(Array(#"{"kind":"cniCacheV1","containerId":""}"#.utf8)))
        XCTAssertNil(CNIState.parseCacheEntry(Array(#"{"kind":"cniCacheV1","#.utf8)))
        XCTAssertNil(CNIState.parseCacheEntry([0xFF, 0x00, 0x7B]))
        // cniArgs of odd shapes are ignored, not fatal
        let odd = try XCTUnwrap(CNIState.parseCacheEntry(Array(#"{"kind":"cniCacheV1","containerId":"x","cniArgs":[["K8S_POD_NAME"],[1,2],"s"]}"#.utf8)))
        XCTAssertNil(odd.podName)
    }

    func testVethkitCNIRecord() throws {
        let text = "vethkit-cni netns record 1\ncontainer abc123\nifname eth0\nnetns /run/netns/cni-x\nnsfs 4 4026532999\n"
        let a = try XCTUnwrap(CNIState.parseRecord(Array(text.utf8)))
        XCTAssertEqual(a.containerID, "abc123")
        XCTAssertEqual(a.ifname, "eth0")
        XCTAssertEqual(a.netnsPath, "/run/netns/cni-x")
        XCTAssertEqual(a.namespace, NamespaceID(device: 4, inode: 4026532999))
        XCTAssertNil(CNIState.parseRecord([]))
        XCTAssertNil(CNIState.parseRecord(Array(text.dropLast().utf8)))
        XCTAssertNil(CNIState.parseRecord(Array(text.replacingOccurrences(of: "record 1", with: "record 2").utf8)))
        XCTAssertNil(CNIState.parseRecord(Array(text.replacingOccurrences(of: "nsfs 4 ", with: "nsfs x ").utf8)))
        XCTAssertNil(CNIState.parseRecord(Array((text + "extra\n").utf8)))
    }

    func testRunDirectoriesDedupeSamePlace() throws {
        let dirs = NamedNamespaces.distinctDirectories(["/tmp", "/tmp/", "/tmp/../tmp", "/nonexistent-h1/netns", "/nonexistent-h1/netns/"])
        XCTAssertEqual(dirs, ["/tmp", "/nonexistent-h1/netns"])
        XCTAssertEqual(NamedNamespaces.name(ofMountPoint: "/run/netns/a b\u{1}", directories: ["/run/netns"])?.rawValue, "a b\u{1}")
        XCTAssertNil(NamedNamespaces.name(ofMountPoint: "/run/netns/a/b", directories: ["/run/netns"]))
        XCTAssertNil(NamedNamespaces.name(ofMountPoint: "/run/netnsx", directories: ["/run/netns"]))
        XCTAssertNil(NamedNamespaces.name(ofMountPoint: "/run/netns/", directories: ["/run/netns"]))
        XCTAssertNil(NamedNamespaces.name(ofMountPoint: "/run/netns/..", directories: ["/run/netns"]))
    }
}
