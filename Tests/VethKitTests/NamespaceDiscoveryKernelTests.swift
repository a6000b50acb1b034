import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// `NamespaceInventory.discover` on the real kernel (in the sandbox): namespaces held each way —
/// a process, a thread only, a bind mount outside /run/netns, a bind mount in another mount
/// namespace only, an open descriptor only, a name — each found exactly once with the right
/// names, mounts, processes and hold, cross-checked with `lsns -t net -J`, `readlink` and `stat`;
/// and a user's namespace named like a container's stays a plain name.
final class NamespaceDiscoveryKernelTests: XCTestCase {
    var started: [Process] = []
    var cleanups: [() -> Void] = []

    override func tearDown() {
        for c in cleanups.reversed() { c() }
        for p in started where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        started = []
        cleanups = []
    }

    /// Starts a long-running program; killed (by its pid) at teardown.
    @discardableResult
    func start(_ path: String, _ args: [String], stdout: FileHandle? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = stdout ?? FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        started.append(p)
        return p
    }

    func stop(_ p: Process) {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    func readlinkInode(_ path: String) throws -> UInt64 {
        let t = try FileManager.default.destinationOfSymbolicLink(atPath: path)
        XCTAssertTrue(t.hasPrefix("net:["), t)
        return try XCTUnwrap(UInt64(t.dropFirst(5).dropLast()), t)
    }

    func statID(_ path: String) throws -> NamespaceID {
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0, path)
        return NamespaceID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// A namespace made by `unshare -n sleep`, its process alive until `stop`.
    func newNamespaceProcess() throws -> (Process, NamespaceID) {
        let p = try start("/usr/bin/unshare", ["-n", "sleep", "120"])
        let path = "/proc/\(p.processIdentifier)/ns/net"
        try waitUntil("unshare -n to exec sleep in a namespace of its own", timeout: 5) {
            (try? readlinkInode(path)).map { $0 != currentNamespaceInode() } ?? false
        }
        return (p, try statID(path))
    }

    func one(_ found: [DiscoveredNamespace], _ id: NamespaceID, _ what: String,
             file: StaticString = #filePath, line: UInt = #line) throws -> DiscoveredNamespace {
        let matches = found.filter { $0.id == id }
        XCTAssertEqual(matches.count, 1, "\(what) \(id) found \(matches.count) times", file: file, line: line)
        return try XCTUnwrap(matches.first, file: file, line: line)
    }

    func testNamespacesHeldEachWayFoundOnce() throws {
        try requireKernel()
        let s = uniqueSuffix()
        let tmp = NSTemporaryDirectory() + "h1disc-\(s)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        cleanups.append { try? FileManager.default.removeItem(atPath: tmp) }

        // 1. a process in it
        let (member, memberID) = try newNamespaceProcess()
        // 2. a name
        let name = "h1n-\(s)"
        try ip("netns", "add", name)
        cleanups.append { _ = try? ip("netns", "del", name) }
        let namedID = try statID("/run/netns/\(name)")
        // 3. a bind mount outside /run/netns (in the caller's mount namespace), its process gone
        let (m1, mountID) = try newNamespaceProcess()
        let mountPath = tmp + "/bound net"   // a space: mountinfo writes \040
        XCTAssertTrue(FileManager.default.createFile(atPath: mountPath, contents: nil))
        XCTAssertEqual(try runProcess("/usr/bin/mount", ["--bind", "/proc/\(m1.processIdentifier)/ns/net", mountPath]).status, 0)
        cleanups.append { _ = try? runProcess("/usr/bin/umount", [mountPath]) }
        stop(m1)
        // 4. a bind mount only in ANOTHER mount namespace, held there by a sleeping process
        let (m2, otherMountID) = try newNamespaceProcess()
        let otherPath = tmp + "/other-mntns"
        XCTAssertTrue(FileManager.default.createFile(atPath: otherPath, contents: nil))
        let holder = try start("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/bash", "-c",
                                                      "mount --bind /proc/\(m2.processIdentifier)/ns/net '\(otherPath)' && exec sleep 120"])
        try waitUntil("the other mount namespace's bind mount", timeout: 5) {
            ((try? String(contentsOfFile: "/proc/\(holder.processIdentifier)/mountinfo", encoding: .utf8)) ?? "").contains(otherPath)
        }
        stop(m2)
        // 5. an open descriptor only
        let (m3, fdID) = try newNamespaceProcess()
        let fdHolder = try start("/bin/bash", ["-c", "exec 7</proc/\(m3.processIdentifier)/ns/net; exec sleep 120"])
        try waitUntil("bash to hold fd 7 and exec sleep", timeout: 5) {
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(fdHolder.processIdentifier)/fd/7")) ?? "").hasPrefix("net:[")
                && ((try? String(contentsOfFile: "/proc/\(fdHolder.processIdentifier)/comm", encoding: .utf8)) ?? "") == "sleep\n"
        }
        stop(m3)
        // lsns, run before the thread's process renames itself (lsns 2.38 writes invalid JSON for a
        // comm with a newline), agrees for every namespace with a process: inode, count, first pid.
        let lsns = try runProcess("/usr/bin/lsns", ["-t", "net", "-J", "--list"])
        XCTAssertEqual(lsns.status, 0, lsns.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lsns.stdout.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(obj["namespaces"] as? [[String: Any]])
        // 6. a thread only: python's second thread unshares (and the process gets a hostile comm)
        var threadID: NamespaceID?
        var threadTID: Int32?
        var threadPID: Int32?
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") {
            let out = tmp + "/tid"
            XCTAssertTrue(FileManager.default.createFile(atPath: out, contents: nil))
            let py = try start("/usr/bin/python3", ["-c", """
                import ctypes, threading, time
                libc = ctypes.CDLL(None, use_errno=True)
                libc.prctl(15, b"h1\\nx\\\\y")
                def t():
                    if libc.unshare(0x40000000) != 0:
                        print("ERR", ctypes.get_errno(), flush=True); return
                    print(threading.get_native_id(), flush=True)
                    time.sleep(120)
                threading.Thread(target=t, daemon=True).start()
                time.sleep(120)
                """], stdout: try FileHandle(forWritingTo: URL(fileURLWithPath: out)))
            try waitUntil("python's thread to unshare", timeout: 10) {
                ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").hasSuffix("\n")
            }
            let text = try String(contentsOfFile: out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let tid = try XCTUnwrap(Int32(text), text)
            threadTID = tid
            threadPID = py.processIdentifier
            threadID = try statID("/proc/\(py.processIdentifier)/task/\(tid)/ns/net")
        }

        let found = try NamespaceInventory.discover()

        XCTAssertEqual(Set(found.map(\.id)).count, found.count, "a namespace listed twice")
        XCTAssertTrue(found[0].isCallers)
        XCTAssertEqual(found[0].id, try statID("/proc/thread-self/ns/net"))
        XCTAssertEqual(found.filter(\.isCallers).count, 1)
        XCTAssertEqual(Array(found.dropFirst().map(\.id)), found.dropFirst().map(\.id).sorted())

        let m = try one(found, memberID, "the unshare -n process's")
        XCTAssertEqual(m.processes.first?.pid, member.processIdentifier)
        XCTAssertEqual(m.processes.first?.hold, .member)
        XCTAssertEqual(m.processes.first?.command, "sleep")
        XCTAssertEqual(m.processes.first?.uid, 0)
        XCTAssertEqual(m.memberCount, 1)
        XCTAssertEqual(m.owners.first, .process(pid: member.processIdentifier, command: "sleep"))

        let n = try one(found, namedID, "the named")
        XCTAssertEqual(n.names.map(\.rawValue), [name])
        XCTAssertTrue(n.mounts.contains { $0.path == "/run/netns/\(name)" && $0.isInCallersMountNamespace })
        XCTAssertEqual(n.openPaths.first, "/run/netns/\(name)")
        XCTAssertTrue(n.isHeldOnlyByMounts)
        XCTAssertEqual(n.owners, [])

        let b = try one(found, mountID, "the bind-mounted")
        XCTAssertEqual(b.names, [])
        // in the caller's mount namespace once (the other mount namespace, copied from ours
        // after the mount, has it too)
        XCTAssertEqual(b.mounts.filter(\.isInCallersMountNamespace).map(\.path), [mountPath])
        XCTAssertEqual(b.mounts.filter { !$0.isInCallersMountNamespace }.map(\.viaPID), [holder.processIdentifier])
        XCTAssertTrue(b.isHeldOnlyByMounts)
        XCTAssertEqual(b.openPaths.first, mountPath)

        let o = try one(found, otherMountID, "the other mount namespace's")
        XCTAssertEqual(o.mounts.count, 1)
        XCTAssertEqual(o.mounts.first?.path, otherPath)
        XCTAssertEqual(o.mounts.first?.isInCallersMountNamespace, false)
        XCTAssertEqual(o.mounts.first?.viaPID, holder.processIdentifier)
        XCTAssertEqual(o.mounts.first?.mountNamespace, try XCTUnwrap(UInt64(
            try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(holder.processIdentifier)/ns/mnt").dropFirst(5).dropLast())))
        XCTAssertEqual(o.openPaths, ["/proc/\(holder.processIdentifier)/root\(otherPath)"])
        XCTAssertTrue(o.isHeldOnlyByMounts)

        let f = try one(found, fdID, "the fd-held")
        XCTAssertEqual(f.memberCount, 0)
        XCTAssertEqual(f.holderCount, 1)
        XCTAssertEqual(f.processes, [NamespaceProcess(pid: fdHolder.processIdentifier, command: "sleep", uid: 0, hold: .fileDescriptor(7))])
        XCTAssertEqual(f.openPaths, ["/proc/\(fdHolder.processIdentifier)/fd/7"])
        XCTAssertEqual(f.owners, [.process(pid: fdHolder.processIdentifier, command: "sleep")])

        if let threadID, let threadTID, let threadPID {
            let t = try one(found, threadID, "the thread's")
            XCTAssertEqual(t.memberCount, 1)
            XCTAssertEqual(t.processes.map(\.hold), [.thread(threadTID)])
            XCTAssertEqual(t.processes.first?.pid, threadPID)
            XCTAssertEqual(t.processes.first?.command, "h1\nx\\y", "comm with a newline and a backslash, unescaped")
            XCTAssertEqual(t.openPaths, ["/proc/\(threadPID)/task/\(threadTID)/ns/net"])
        }

        // Every one opens through its paths, as itself, without the caller moving.
        let before = currentNamespaceInode()
        for id in [memberID, namedID, mountID, otherMountID, fdID] + (threadID.map { [$0] } ?? []) {
            let ns = try XCTUnwrap(found.first { $0.id == id })
            XCTAssertEqual(try NamespaceInventory.open(ns).identity(), id)
        }
        XCTAssertEqual(currentNamespaceInode(), before)

        var checked = 0
        for row in rows {
            guard let ino = (row["ns"] as? NSNumber)?.uint64Value, let pid = (row["pid"] as? NSNumber)?.int32Value,
                  let nprocs = (row["nprocs"] as? NSNumber)?.intValue,
                  ino == memberID.inode else { continue }
            let d = try XCTUnwrap(found.first { $0.id.inode == ino }, "lsns's \(ino)")
            XCTAssertEqual(d.memberCount, nprocs, "\(ino)")
            XCTAssertEqual(d.processes.first?.pid, pid, "\(ino)")
            checked += 1
        }
        XCTAssertEqual(checked, 1, "lsns lists the unshare -n namespace")
        // and readlink of the member's ns/net is the inode found, stat of the mount the device
        XCTAssertEqual(try readlinkInode("/proc/\(member.processIdentifier)/ns/net"), memberID.inode)
        XCTAssertEqual(try statID(mountPath), mountID)
        XCTAssertEqual(mountID.device, memberID.device, "one nsfs device for every namespace")
    }

    func testLookAlikeNameIsNamedNotAContainer() throws {
        try requireKernel()
        // what podman and CNI call theirs: netns-<uuid>, cni-<uuid>
        let names = ["netns-\(UUID().uuidString.lowercased())", "cni-\(UUID().uuidString.lowercased())"]
        for n in names {
            try ip("netns", "add", n)
            cleanups.append { _ = try? ip("netns", "del", n) }
        }
        let found = try NamespaceInventory.discover()
        for n in names {
            let id = try statID("/run/netns/\(n)")
            let d = try one(found, id, n)
            XCTAssertEqual(d.names.map(\.rawValue), [n])
            XCTAssertEqual(d.owners, [], "owner invented for \(n)")
            XCTAssertEqual(d.memberCount + d.holderCount, 0)
        }
        // and nothing was changed: both still there, iproute2 still sees them
        let list = try ip("netns", "list")
        for n in names { XCTAssertTrue(list.contains(n), n) }
    }

    /// A real podman container (podman 4.3 as scripts/cni-podman.sh runs it: CNI backend,
    /// cgroups disabled, vfs storage on a tmpfs, a busybox rootfs; `--network none`): discovery
    /// names it podman with the id and name `podman inspect` reports, through its conmon.
    func testPodmanContainerIsOwner() throws {
        try requireKernel()
        for tool in ["/usr/bin/podman", "/usr/bin/crun", "/usr/bin/conmon", "/bin/busybox"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) missing: apt-get install --no-install-recommends podman busybox-static")
        }
        let work = NSTemporaryDirectory() + "h1-podman-\(uniqueSuffix())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        cleanups.append { try? FileManager.default.removeItem(atPath: work) }
        let out = work + "/out"
        XCTAssertTrue(FileManager.default.createFile(atPath: out, contents: nil))
        // In a mount namespace of its own: tmpfs on the storage, /var/lib/cni and /dev/shm; the
        // container runs until `done` appears, then is removed.
        let script = """
            set -u
            W=\(work)/w; mkdir -p $W && mount -t tmpfs h1w $W || exit 1
            if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then umount /sys/fs/cgroup/unified; fi
            mkdir -p /var/lib/cni && mount -t tmpfs h1cni /var/lib/cni && mount -t tmpfs h1shm /dev/shm || exit 1
            mkdir -p $W/rootfs/bin $W/rootfs/proc $W/rootfs/sys $W/rootfs/dev $W/rootfs/etc $W/rootfs/tmp $W/root $W/run $W/tmp $W/net.d
            cp /bin/busybox $W/rootfs/bin/busybox
            printf '%s\\n' '[containers]' 'log_driver = "k8s-file"' 'cgroups = "disabled"' \\
              'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]' '[network]' 'network_backend = "cni"' \\
              "network_config_dir = \\"$W/net.d\\"" '[engine]' 'cgroup_manager = "cgroupfs"' 'events_logger = "file"' \\
              "events_logfile_path = \\"$W/events.log\\"" 'runtime = "crun"' "tmp_dir = \\"$W/tmp\\"" > $W/containers.conf
            export CONTAINERS_CONF=$W/containers.conf
            P="podman --root $W/root --runroot $W/run --storage-driver vfs"
            $P run -d --name h1web --network none --rootfs $W/rootfs /bin/busybox sleep 120 >/dev/null 2>$W/err || { echo "FAIL $(cat $W/err)"; exit 1; }
            echo "READY $($P inspect --format '{{.Id}} {{.State.Pid}}' h1web)"
            while [ ! -e \(work)/done ]; do sleep 0.1; done
            $P rm -f -t 0 h1web >/dev/null 2>&1
            umount $W
            echo GONE
            """
        let p = try start("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/bash", "-c", script],
                          stdout: try FileHandle(forWritingTo: URL(fileURLWithPath: out)))
        cleanups.append {
            FileManager.default.createFile(atPath: work + "/done", contents: nil)
            let deadline = Date().addingTimeInterval(20)
            while p.isRunning && Date() < deadline { usleep(50_000) }
        }
        func output() -> String { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" }
        try waitUntil("podman run -d to start the container", timeout: 60) { output().contains("\n") }
        let line = output().split(separator: "\n").first.map(String.init) ?? ""
        guard line.hasPrefix("READY ") else {
            if line.contains("Operation not permitted") || line.contains("permission denied") { throw XCTSkip("podman cannot run here: \(line)") }
            return XCTFail("podman: \(line)")
        }
        let fields = line.split(separator: " ")
        XCTAssertEqual(fields.count, 3, line)
        let id = String(fields[1]), pid = try XCTUnwrap(Int32(fields[2]), line)
        let nsID = try statID("/proc/\(pid)/ns/net")
        let found = try NamespaceInventory.discover()
        let d = try one(found, nsID, "the podman container's")
        XCTAssertEqual(d.owners.first, .podman(containerID: id, name: "h1web"))
        XCTAssertEqual(d.processes.first?.pid, pid)
        XCTAssertEqual(d.memberCount, 1)
    }
}
