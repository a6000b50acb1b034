import Foundation
import VethKit
import XCTest

/// `NamespaceInventory.discover` over a fake /proc tree in a temporary directory (no root, no
/// kernel): every source, dedupe, ordering, counts, sampling, open paths, owners, and processes
/// that vanish or hold hostile names.
final class InventoryFakeProcTests: FakeProcTestCase {
    func testEverySourceOnceCallerFirstThenByID() throws {
        try caller(mountinfo: nsfsLine(600, 600, runDir + "/h1named") + nsfsLine(601, 200, runDir + "/web")
                   + nsfsLine(602, 200, "/tmp/also-web") + nsfsLine(603, 600, runDir + "/h1alias"))
        try process(20, net: 200, cgroup: "0::/machine.slice/libpod-\(id64).scope/container\n", ppid: 19)
        try write(proc + "/19/cmdline", "/usr/bin/conmon\0-c\0\(id64)\0-n\0web\0")
        try process(21, net: 200)
        try process(30, net: 100, threads: [31: 300, 32: 300, 33: 100])
        try process(40, net: 100, fds: [0: "/dev/null", 3: "net:[400]", 4: "socket:[77]", 5: "net:[400]", 6: "net:[100]"])
        try process(41, net: 200, fds: [7: "net:[400]"])
        try process(45, net: 400)   // a member of 400 that also... holds nothing
        try process(46, net: 100, fds: [3: "net:[200]"])   // holder of 200, not member
        // another mount namespace (901), read once through its lowest pid
        try process(50, net: 100, mnt: 901)
        try process(51, net: 100, mnt: 901)
        try write(proc + "/50/mountinfo", nsfsLine(700, 500, "/run/docker/netns/abc"))
        try write(proc + "/51/mountinfo", nsfsLine(701, 501, "/never/read"))
        // mount namespace 902: its first process has gone (no mountinfo), the second answers
        try process(80, net: 100, mnt: 902)
        try process(81, net: 100, mnt: 902)
        try write(proc + "/81/mountinfo", nsfsLine(702, 500, "/x/dup-of-500") + nsfsLine(703, 200, "/run/netns/web"))

        let found = try NamespaceInventory.discover(options: options())
        XCTAssertEqual(found.map(\.id.inode), [100, 200, 300, 400, 500, 600], "\(found.map(\.id))")
        XCTAssertTrue(found.allSatisfy { $0.id.device == 4 })
        XCTAssertEqual(found.map(\.isCallers), [true, false, false, false, false, false])
        let ns = Dictionary(uniqueKeysWithValues: found.map { ($0.id.inode, $0) })

        let c = try XCTUnwrap(ns[100])
        XCTAssertEqual(c.memberCount, 8)   // 10 30 40 46 50 51 80 81
        XCTAssertEqual(c.holderCount, 0)
        XCTAssertEqual(c.processes.map(\.pid), [10, 30, 40, 46, 50])
        XCTAssertEqual(c.owners, [], "the caller's namespace is the host's")

        let web = try XCTUnwrap(ns[200])
        XCTAssertEqual(web.names.map(\.rawValue), ["web"])
        XCTAssertEqual(web.mounts.map(\.path), ["/run/netns/web", "/tmp/also-web", runDir + "/web"])
        XCTAssertEqual(web.mounts.map(\.isInCallersMountNamespace), [false, true, true])
        XCTAssertEqual(web.mounts.first?.viaPID, 81)
        XCTAssertEqual(web.memberCount, 3)   // 20 21 41
        XCTAssertEqual(web.holderCount, 1)   // 46
        XCTAssertEqual(web.processes.map(\.pid), [20, 21, 41, 46])
        XCTAssertEqual(web.processes.last?.hold, .fileDescriptor(3))
        XCTAssertEqual(web.openPaths, [runDir + "/web", "/tmp/also-web", "\(proc)/81/root/run/netns/web",
                                       "\(proc)/20/ns/net", "\(proc)/21/ns/net", "\(proc)/41/ns/net", "\(proc)/46/fd/3"])
        XCTAssertEqual(web.owners.first, .podman(containerID: id64, name: "web"))

        let thr = try XCTUnwrap(ns[300])
        XCTAssertEqual(thr.memberCount, 1, "two threads of one process count once")
        XCTAssertEqual(thr.processes.map(\.hold), [.thread(31)])
        XCTAssertEqual(thr.openPaths, ["\(proc)/30/task/31/ns/net"])
        XCTAssertEqual(thr.owners, [.process(pid: 30, command: "p30")])

        let fdns = try XCTUnwrap(ns[400])
        XCTAssertEqual(fdns.memberCount, 1)
        XCTAssertEqual(fdns.holderCount, 2, "pid 40 holds it twice: one holder")
        XCTAssertEqual(fdns.processes.map(\.hold), [.member, .fileDescriptor(3), .fileDescriptor(7)])
        XCTAssertEqual(fdns.processes.map(\.pid), [45, 40, 41])

        let mnt = try XCTUnwrap(ns[500])
        XCTAssertEqual(mnt.mounts.map(\.path), ["/run/docker/netns/abc", "/x/dup-of-500"])
        XCTAssertEqual(mnt.mounts.map(\.mountNamespace), [901, 902])
        XCTAssertEqual(mnt.mounts.map(\.viaPID), [50, 81])
        XCTAssertTrue(mnt.isHeldOnlyByMounts)
        XCTAssertEqual(mnt.owners, [])
        XCTAssertEqual(mnt.openPaths, ["\(proc)/50/root/run/docker/netns/abc", "\(proc)/81/root/x/dup-of-500"])
        XCTAssertNil(ns[501], "mount namespace 901 was read twice")

        let named = try XCTUnwrap(ns[600])
        XCTAssertEqual(named.names.map(\.rawValue), ["h1alias", "h1named"])
        XCTAssertEqual(named.openPaths, [runDir + "/h1alias", runDir + "/h1named"])
        XCTAssertEqual(named.owners, [], "a name alone is nobody's container")
    }

    func testPodmanWithoutCgroupsFromConmon() throws {
        try caller(mountinfo: "")
        let other = String(repeating: "c3", count: 32)
        try process(25, net: 250, ppid: 24)
        try write(proc + "/24/cmdline", "/usr/bin/conmon\0--api-version\0001\0-c\0\(id64)\0-n\0db\0--exit-command\0/usr/bin/podman\0")
        try process(26, net: 260, ppid: 23)   // CRI-O's conmon: not podman
        try write(proc + "/23/cmdline", "conmon\0-c\0\(other)\0-n\0k8s_x\0")
        try process(27, net: 270, ppid: 10)   // an ordinary parent
        let found = try NamespaceInventory.discover(options: options())
        let ns = Dictionary(uniqueKeysWithValues: found.map { ($0.id.inode, $0) })
        XCTAssertEqual(ns[250]?.owners, [.podman(containerID: id64, name: "db")])
        XCTAssertEqual(ns[260]?.owners, [.process(pid: 26, command: "p26")])
        XCTAssertEqual(ns[270]?.owners, [.process(pid: 27, command: "p27")])
    }

    /// podman passes K8S_POD_NAMESPACE and K8S_POD_NAME (the container's name) to its CNI
    /// plugins, and libcni caches them: with podman known from the cgroup, they name the podman
    /// container; only without a runtime owner do they make a Kubernetes pod.
    func testPodmansCNIArgsAreNotAPod() throws {
        try caller(mountinfo: "")
        try process(30, net: 330, cgroup: "0::/machine.slice/libpod-\(id64).scope\n")
        try write(root + "/cni/results/podnet-\(id64)-eth0", """
            {"kind":"cniCacheV1","containerId":"\(id64)","ifName":"eth0","networkName":"podnet",
             "cniArgs":[["IgnoreUnknown","1"],["K8S_POD_NAMESPACE","web"],["K8S_POD_NAME","web"],["K8S_POD_INFRA_CONTAINER_ID","\(id64)"]]}
            """)
        let found = try NamespaceInventory.discover(options: options())
        let ns = Dictionary(uniqueKeysWithValues: found.map { ($0.id.inode, $0) })
        XCTAssertEqual(ns[330]?.owners, [.podman(containerID: id64, name: "web"), .cni(containerID: id64, network: "podnet", ifname: "eth0")])
    }

    func testSampleIsBoundedCountsExact() throws {
        try caller(mountinfo: "")
        for pid: Int32 in 100..<160 { try process(pid, net: 777, fds: pid % 2 == 0 ? [:] : [9: "net:[778]"]) }
        for pid: Int32 in 200..<230 { try process(pid, net: 100, fds: [4: "net:[777]"]) }
        let found = try NamespaceInventory.discover(options: options(sample: 3))
        let n = try XCTUnwrap(found.first { $0.id.inode == 777 })
        XCTAssertEqual(n.memberCount, 60)
        XCTAssertEqual(n.holderCount, 30)
        XCTAssertEqual(n.processes.map(\.pid), [100, 101, 102])
        let h = try XCTUnwrap(found.first { $0.id.inode == 778 })
        XCTAssertEqual(h.memberCount, 0)
        XCTAssertEqual(h.holderCount, 30)
        XCTAssertEqual(h.processes.map(\.hold), [.fileDescriptor(9), .fileDescriptor(9), .fileDescriptor(9)])
    }

    func testVanishedAndHostileProcesses() throws {
        try caller(mountinfo: nsfsLine(600, 600, runDir + "/evil\\012name\\040x") + "600 29 0:4 net:[601] /truncated")
        try process(20, net: 200, comm: [0xFF, 0x1B, 0x5B, 0x32, 0x4A, 0x0A, 0x5C, 0x07])
        // pid 21: gone between the listing and the status read (no status, no comm)
        try process(21, net: 200)
        try FileManager.default.removeItem(atPath: proc + "/21/status")
        // pid 22: gone before its ns link was read: only an empty directory
        try FileManager.default.createDirectory(atPath: proc + "/22", withIntermediateDirectories: true)
        // pid 23: a garbage link target, a link longer than any buffer
        try link(proc + "/23/ns/net", String(repeating: "x", count: 3000))
        try process(24, net: 200, fds: [1: "net:[" + String(repeating: "9", count: 40) + "]"])
        // non-numeric entries of /proc are not processes
        try FileManager.default.createDirectory(atPath: proc + "/sys", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: proc + "/99999999999", withIntermediateDirectories: true)
        let found = try NamespaceInventory.discover(options: options())
        XCTAssertEqual(found.map(\.id.inode), [100, 200, 600])
        let n = try XCTUnwrap(found.first { $0.id.inode == 200 })
        XCTAssertEqual(n.memberCount, 3, "counted from the scan: 20, 21, 24")
        XCTAssertEqual(n.processes.map(\.pid), [20, 24], "21 vanished before its status was read")
        XCTAssertEqual(n.processes.first?.command, "\u{FFFD}\u{1B}[2J\n\\\u{07}")
        XCTAssertEqual(found.last?.names.map(\.rawValue), ["evil\nname x"])
    }

    /// The orphan rules' holder check reads the same scan: members, thread members and
    /// descriptor holders by pid, a process whose status is gone still counted (never missed).
    func testHoldersFromTheSameScan() throws {
        try caller(mountinfo: "")
        try process(20, net: 200)
        try process(21, net: 200)
        try FileManager.default.removeItem(atPath: proc + "/21/status")   // exiting: counted anyway
        try process(30, net: 300, threads: [31: 200])
        try process(40, net: 300, fds: [7: "net:[200]", 3: "net:[200]", 4: "/dev/null"])
        try process(50, net: 300, fds: [3: "net:[301]"])
        let id = NamespaceID(device: 4, inode: 200)
        let all = NamespaceHolders.find(id, procRoot: proc, limit: 10)
        XCTAssertEqual(all.map(\.pid), [20, 21, 30, 40])
        XCTAssertEqual(all.map(\.hold), [.member, .member, .thread(31), .fileDescriptor(3)])
        XCTAssertEqual(all.map(\.command), ["p20", "", "p30", "p40"])
        XCTAssertEqual(NamespaceHolders.find(id, procRoot: proc).map(\.pid), [20], "limit 1: the first member")
        XCTAssertEqual(NamespaceHolders.find(NamespaceID(device: 4, inode: 301), procRoot: proc).map(\.hold), [.fileDescriptor(3)])
        XCTAssertEqual(NamespaceHolders.find(NamespaceID(device: 4, inode: 999), procRoot: proc), [])
    }

    /// Container evidence: each process's cgroup and command line, its first 64 KiB only, never
    /// through a symbolic link.
    func testContainerEvidenceIsBounded() throws {
        try process(20, net: 200, cgroup: "0::/machine.slice/libpod-\(id64).scope\n")
        try write(proc + "/20/cmdline", Array("conmon\0-c\0early-id-1234\0".utf8) + [UInt8](repeating: 0x61, count: 70_000) + Array("late-id-5678".utf8))
        try process(21, net: 200)
        try write(root + "/elsewhere", "linked-id-9012")
        try link(proc + "/21/cmdline", root + "/elsewhere")
        let e = ContainerEvidence.collect(procRoot: proc)
        XCTAssertTrue(e.mentions(id64), "from the cgroup")
        XCTAssertTrue(e.mentions("early-id-1234"), "a long command line is read, its start")
        XCTAssertFalse(e.mentions("late-id-5678"), "past 64 KiB: not read")
        XCTAssertFalse(e.mentions("linked-id-9012"), "a symbolic link is not followed")
    }

    func testCNIStateOwners() throws {
        try caller(mountinfo: nsfsLine(600, 600, runDir + "/cni-0b1e") + nsfsLine(601, 601, runDir + "/netns-2f1c")
                   + nsfsLine(602, 602, runDir + "/cni-lookalike"))
        let pause = String(repeating: "ab", count: 32)
        try process(20, net: 300, cgroup: "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b1e6a2c_77f3.slice/cri-containerd-\(pause).scope\n")
        try process(21, net: 301, cgroup: "0::/system.slice/nginx.service\n")
        try write(root + "/cni/results/k8s-pod-network-\(pause)-eth0", """
            {"kind":"cniCacheV1","containerId":"\(pause)","ifName":"eth0","networkName":"k8s-pod-network",
             "cniArgs":[["K8S_POD_NAMESPACE","default"],["K8S_POD_NAME","nginx-7d9"]]}
            """)
        try write(root + "/cni/results/podnet-c1-eth0", """
            {"kind":"cniCacheV1","containerId":"c1","ifName":"eth0","networkName":"podnet","netns":"\(runDir)/netns-2f1c"}
            """)
        try write(root + "/cni/results/junk", "{not json")
        try write(root + "/cni/results/other-c9-eth0", #"{"kind":"cniCacheV1","containerId":"c9","netns":"/run/netns/gone"}"#)
        try write(root + "/cni/networks/vknet/.a-0123abcd", "vethkit-cni netns record 1\ncontainer ctr-7\nifname eth1\nnetns /anywhere\nnsfs 4 600\n")
        try write(root + "/cni/networks/vknet/.a-bad", "vethkit-cni netns record 1\ncontainer ctr-8\n")
        try write(root + "/cni/networks/vknet/10.141.0.2", "ctr-7\r\neth1")
        let found = try NamespaceInventory.discover(options: options())
        let ns = Dictionary(uniqueKeysWithValues: found.map { ($0.id.inode, $0) })
        XCTAssertEqual(ns[300]?.owners, [.kubernetes(podUID: "0b1e6a2c-77f3", namespace: "default", pod: "nginx-7d9", containerID: pause),
                                         .cni(containerID: pause, network: "k8s-pod-network", ifname: "eth0")])
        XCTAssertEqual(ns[301]?.owners, [.systemdUnit("nginx.service")])
        XCTAssertEqual(ns[600]?.owners, [.cni(containerID: "ctr-7", network: "vknet", ifname: "eth1")], "by the recorded identity")
        XCTAssertEqual(ns[601]?.owners, [.cni(containerID: "c1", network: "podnet", ifname: "eth0")], "by the CNI_NETNS path")
        XCTAssertEqual(ns[602]?.owners, [], "a look-alike name is not a container")
        XCTAssertEqual(ns[602]?.names.map(\.rawValue), ["cni-lookalike"])
    }

    func testUnlistableProcRootThrows() {
        XCTAssertThrowsError(try NamespaceInventory.discover(options: .init(procRoot: root + "/nope", nsfsDevice: 4))) {
            XCTAssertTrue("\($0)".contains("opendir \(self.root)/nope"), "\($0)")
        }
    }
}
