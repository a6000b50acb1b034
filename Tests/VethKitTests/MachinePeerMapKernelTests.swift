import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// MachinePeerMap.scan on real namespaces (sandbox): pairs across the caller's namespace, named
/// ones, a process-held one and between two other namespaces; unreachable peers; namespaces that
/// are gone; reading changes nothing. Cross-checked with `ip -j link` (link_index, link_netnsid)
/// and `ip netns list-id`. Names start with h2.
final class MachinePeerMapKernelTests: XCTestCase {
    override func setUpWithError() throws { try requireKernel() }

    // MARK: helpers

    /// A named namespace of the test's own (deleted at teardown).
    func namedNamespace(_ tag: String) throws -> String {
        let n = "h2\(tag)\(uniqueSuffix())"
        try ip("netns", "add", n)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", n]) }
        return n
    }

    /// A namespace only a process is in (`unshare -n sleep`), killed at teardown: its pid.
    func processNamespace() throws -> Int32 {
        let p = try BackgroundProcess("/usr/bin/unshare", ["-n", "sleep", "120"])
        addTeardownBlock { p.stop() }
        let pid = p.process.processIdentifier
        let mine = currentNamespaceInode()
        try waitUntil("unshare -n has made its namespace") {
            var st = stat()
            return stat("/proc/\(pid)/ns/net", &st) == 0 && UInt64(st.st_ino) != mine
        }
        return pid
    }

    func discovered(_ path: String, callers: Bool = false) throws -> DiscoveredNamespace {
        let ns = try NetworkNamespace.open(path: path)
        return DiscoveredNamespace(id: try ns.identity(), isCallers: callers, openPaths: [path])
    }

    func caller() throws -> DiscoveredNamespace { try discovered("/proc/self/ns/net", callers: true) }
    func named(_ n: String) throws -> DiscoveredNamespace { try discovered("/run/netns/\(n)") }

    /// `ip -j link` in a namespace: by name, by pid (nsenter), or the caller's (nil).
    func ipLinks(_ name: String? = nil, pid: Int32? = nil) throws -> [[String: Any]] {
        if let name { return try ipJSON("-n", name, "link", "show") }
        if let pid {
            let r = try runProcess("/usr/bin/nsenter", ["-t", "\(pid)", "-n", "/usr/sbin/ip", "-j", "link", "show"])
            XCTAssertEqual(r.status, 0, r.stderr)
            return try parseJSONArray(r.stdout)
        }
        return try ipJSON("link", "show")
    }

    func ipLink(_ ifname: String, in links: [[String: Any]]) throws -> [String: Any] {
        try XCTUnwrap(links.first { $0["ifname"] as? String == ifname }, "\(ifname) not in ip -j link")
    }

    func pair(_ map: MachinePeerMap, end: String, in ns: NamespaceID) throws -> MachineVethPair {
        try XCTUnwrap(map.pairs.first { $0.end.name == end && $0.end.namespace == ns },
                      "no pair with end \(end) in \(ns): \(map.pairs.map { "\($0.end.name)@\($0.end.namespace)" })")
    }

    // MARK: tests

    func testPairsAcrossTheCallersNamedProcessHeldAndOtherNamespaces() throws {
        let a = try namedNamespace("a"), b = try namedNamespace("b"), c = try namedNamespace("c")
        let pid = try processNamespace()
        let s = uniqueSuffix()
        let hostA = "h2ha\(s)", hostP = "h2hp\(s)"
        addTeardownBlock {
            for n in [hostA, hostP] { _ = try? runProcess("/usr/sbin/ip", ["link", "del", n]) }
        }
        try ip("link", "add", hostA, "type", "veth", "peer", "name", "eth0", "netns", a)
        try ip("link", "add", hostP, "type", "veth", "peer", "name", "eth0", "netns", "\(pid)")
        try ip("-n", b, "link", "add", "x0", "type", "veth", "peer", "name", "y0", "netns", c)
        try ip("-n", a, "link", "set", "lo", "alias", "vethkit:h2topo")

        let me = try caller(), na = try named(a), nb = try named(b), nc = try named(c)
        let np = try discovered("/proc/\(pid)/ns/net")
        let map = MachinePeerMap.scan([nb, np, me, na, nc])
        XCTAssertEqual(map.failures, [:])
        XCTAssertEqual(Set(map.readings.keys), Set([me.id, na.id, nb.id, nc.id, np.id]))

        // The caller's end is `end`, and the caller's pairs come first.
        let host = try ipLinks()
        let pa = try pair(map, end: hostA, in: me.id)
        let linksA = try ipLinks(a)
        XCTAssertEqual(pa.peer?.namespace, na.id)
        XCTAssertEqual(pa.peer?.name, "eth0")
        XCTAssertEqual(pa.peer?.index, try ipLink("eth0", in: linksA)["ifindex"] as? Int32)
        XCTAssertEqual(pa.peerIndex, try ipLink(hostA, in: host)["link_index"] as? Int32)
        XCTAssertEqual(pa.end.index, try ipLink("eth0", in: linksA)["link_index"] as? Int32)
        let pp = try pair(map, end: hostP, in: me.id)
        let linksP = try ipLinks(pid: pid)
        XCTAssertEqual(pp.peer?.namespace, np.id)
        XCTAssertEqual(pp.peer?.index, try ipLink("eth0", in: linksP)["ifindex"] as? Int32)
        XCTAssertEqual(pp.end.index, try ipLink("eth0", in: linksP)["link_index"] as? Int32)
        let firstOther = map.pairs.firstIndex { $0.end.namespace != me.id } ?? map.pairs.count
        XCTAssertFalse(map.pairs[firstOther...].contains { $0.peer?.namespace == me.id },
                       "a pair with an end in the caller's namespace comes after the others, or has it as peer")
        XCTAssertFalse(map.pairs.contains { $0.peer?.namespace == me.id && $0.end.namespace != me.id })

        // Between two other namespaces: the first given is `end`; the other order gives the other end.
        let bc = try pair(map, end: "x0", in: nb.id)
        XCTAssertEqual(bc.peer?.namespace, nc.id)
        XCTAssertEqual(bc.peer?.name, "y0")
        XCTAssertEqual(bc.peer?.index, try ipLink("y0", in: ipLinks(c))["ifindex"] as? Int32)
        XCTAssertEqual(try ipLink("x0", in: ipLinks(b))["link_index"] as? Int32, bc.peer?.index)
        let reversed = MachinePeerMap.scan([nc, nb])
        let cb = try pair(reversed, end: "y0", in: nc.id)
        XCTAssertEqual(cb.peer?.namespace, nb.id)
        XCTAssertEqual(cb.peer?.name, "x0")

        // Each pair once; readings: link counts and lo's alias as ip sees them.
        let ends = map.pairs.flatMap { [$0.end] + ($0.peer.map { [$0] } ?? []) }
        XCTAssertEqual(ends.count, Set(ends).count, "an end appears twice")
        XCTAssertEqual(map.readings[na.id]?.loopbackAlias, "vethkit:h2topo")
        XCTAssertNil(map.readings[nb.id]?.loopbackAlias)
        XCTAssertEqual(map.readings[na.id]?.linkCount, linksA.count)
        XCTAssertEqual(map.readings[np.id]?.linkCount, linksP.count)
        XCTAssertEqual(map.readings[me.id]?.linkCount, host.count)
        // The same with one worker (the pool is not what finds the pairs).
        let serial = MachinePeerMap.scan([nb, np, me, na, nc], threads: 1)
        XCTAssertEqual(Set(serial.pairs), Set(map.pairs))
    }

    /// Two look-alike pairs (same ifindexes, same back-pointers) between four other namespaces:
    /// each namespace's id must be asked, and the right one picked.
    func testLookAlikePairsBetweenOtherNamespacesAreTold() throws {
        let b = try namedNamespace("b"), c = try namedNamespace("c")
        let b2 = try namedNamespace("b"), c2 = try namedNamespace("c")
        try ip("-n", b, "link", "add", "x0", "type", "veth", "peer", "name", "y0", "netns", c)
        try ip("-n", b2, "link", "add", "x0", "type", "veth", "peer", "name", "y0", "netns", c2)
        let x0 = try ipLink("x0", in: ipLinks(b)), x2 = try ipLink("x0", in: ipLinks(b2))
        XCTAssertEqual(x0["ifindex"] as? Int, x2["ifindex"] as? Int, "the pairs should look alike (same ifindexes)")
        XCTAssertEqual(x0["link_index"] as? Int, x2["link_index"] as? Int)
        let spaces = try [named(b), named(b2), named(c), named(c2)]
        let map = MachinePeerMap.scan(spaces)
        XCTAssertEqual(map.failures, [:])
        XCTAssertEqual(map.pairs.count, 2)
        XCTAssertEqual(try pair(map, end: "x0", in: spaces[0].id).peer?.namespace, spaces[2].id)
        XCTAssertEqual(try pair(map, end: "x0", in: spaces[1].id).peer?.namespace, spaces[3].id)
        let other = MachinePeerMap.scan([spaces[3], spaces[2], spaces[1], spaces[0]])
        XCTAssertEqual(try pair(other, end: "y0", in: spaces[3].id).peer?.namespace, spaces[1].id)
        XCTAssertEqual(try pair(other, end: "y0", in: spaces[2].id).peer?.namespace, spaces[0].id)
    }

    func testPeerInANamespaceNotReadIsNilWithItsIndex() throws {
        let a = try namedNamespace("a"), d = try namedNamespace("d")
        let s = uniqueSuffix()
        let hostD = "h2hd\(s)"
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", hostD]) }
        try ip("link", "add", hostD, "type", "veth", "peer", "name", "eth0", "netns", d)
        try ip("-n", a, "link", "add", "z0", "type", "veth", "peer", "name", "z1", "netns", d)
        let me = try caller(), na = try named(a)
        let map = MachinePeerMap.scan([me, na])
        XCTAssertEqual(map.failures, [:])
        let h = try pair(map, end: hostD, in: me.id)
        XCTAssertNil(h.peer)
        XCTAssertEqual(h.peerIndex, try ipLink(hostD, in: ipLinks())["link_index"] as? Int32)
        let z = try pair(map, end: "z0", in: na.id)
        XCTAssertNil(z.peer)
        XCTAssertEqual(z.peerIndex, try ipLink("z1", in: ipLinks(d))["ifindex"] as? Int32)
    }

    func testNamespacesGoneBeforeTheirReadAreFailuresAndTheRestStands() throws {
        let a = try namedNamespace("a"), e = try namedNamespace("e")
        let s = uniqueSuffix()
        let hostA = "h2ha\(s)", hostP = "h2hp\(s)"
        addTeardownBlock {
            for n in [hostA, hostP] { _ = try? runProcess("/usr/sbin/ip", ["link", "del", n]) }
        }
        try ip("link", "add", hostA, "type", "veth", "peer", "name", "eth0", "netns", a)
        let p = try BackgroundProcess("/usr/bin/unshare", ["-n", "sleep", "120"])
        let pid = p.process.processIdentifier
        try waitUntil("unshare -n has made its namespace") {
            var st = stat()
            return stat("/proc/\(pid)/ns/net", &st) == 0 && UInt64(st.st_ino) != currentNamespaceInode()
        }
        try ip("link", "add", hostP, "type", "veth", "peer", "name", "eth0", "netns", "\(pid)")
        let me = try caller(), na = try named(a), ne = try named(e)
        let np = try discovered("/proc/\(pid)/ns/net")
        // Gone after discovery, before the scan: the process exits, the name is deleted.
        p.stop()
        try ip("netns", "del", e)
        let map = MachinePeerMap.scan([me, np, na, ne])
        XCTAssertEqual(Set(map.failures.keys), Set([np.id, ne.id]))
        XCTAssertTrue(map.failures[np.id]?.contains("net:[\(np.id.inode)]") == true, map.failures[np.id] ?? "")
        XCTAssertEqual(try pair(map, end: hostA, in: me.id).peer?.namespace, na.id)
        XCTAssertNil(map.readings[np.id])
        XCTAssertNotNil(map.readings[na.id])
        // The host end of the gone namespace's veth vanishes with it (asynchronously); while it is
        // still there its peer cannot be anywhere read.
        if let hp = map.pairs.first(where: { $0.end.name == hostP }) { XCTAssertNil(hp.peer) }
    }

    /// Vanishing during the scan: namespaces deleted while it runs (many, so some deletions land
    /// mid-scan). Each is either read or a failure; nothing throws, and the survivor's pair is found.
    func testNamespacesVanishingDuringTheScan() throws {
        let a = try namedNamespace("a")
        let s = uniqueSuffix()
        let hostA = "h2ha\(s)"
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["link", "del", hostA]) }
        try ip("link", "add", hostA, "type", "veth", "peer", "name", "eth0", "netns", a)
        let doomed = (0..<40).map { "h2v\(s)\($0)" }
        let batch = doomed.map { "netns add \($0)" }.joined(separator: "\n")
        try XCTAssertEqual(runProcess("/usr/sbin/ip", ["-batch", "-"], input: batch + "\n").status, 0)
        addTeardownBlock { for n in doomed { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", n]) } }
        let spaces = try [caller(), named(a)] + doomed.map { try named($0) }
        let script = NSTemporaryDirectory() + "h2-delete-\(s).batch"
        try (doomed.map { "netns del \($0)" }.joined(separator: "\n") + "\n").write(toFile: script, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: script) }
        let deleter = try BackgroundProcess("/usr/sbin/ip", ["-batch", script])
        let map = MachinePeerMap.scan(spaces)
        deleter.stop()
        for d in spaces { XCTAssertTrue((map.readings[d.id] != nil) != (map.failures[d.id] != nil), "\(d.id): neither read nor failed, or both") }
        if map.readings[spaces[1].id] != nil {
            XCTAssertEqual(try pair(map, end: hostA, in: spaces[0].id).peer?.namespace, spaces[1].id)
        }
    }

    /// Reading changes nothing: every link as `ip -j link` shows it, and every namespace's list of
    /// ids (`ip netns list-id`) — RTM_GETNSID must not assign ids for namespaces asked about.
    func testReadingChangesNothing() throws {
        let a = try namedNamespace("a"), b = try namedNamespace("b"), c = try namedNamespace("c")
        let b2 = try namedNamespace("b"), c2 = try namedNamespace("c")
        let s = uniqueSuffix()
        let hostA = "h2ha\(s)", userA = "h2ua\(s)", userB = "h2ub\(s)"
        addTeardownBlock {
            for n in [hostA, userA] { _ = try? runProcess("/usr/sbin/ip", ["link", "del", n]) }
        }
        try ip("link", "add", hostA, "type", "veth", "peer", "name", "eth0", "netns", a)
        // The user's look-alikes: a host pair named like ours, a same-namespace pair in a.
        try ip("link", "add", userA, "type", "veth", "peer", "name", userB)
        try ip("-n", a, "link", "add", "eth1", "type", "veth", "peer", "name", "eth2")
        try ip("-n", b, "link", "add", "x0", "type", "veth", "peer", "name", "y0", "netns", c)
        try ip("-n", b2, "link", "add", "x0", "type", "veth", "peer", "name", "y0", "netns", c2)
        let all = [a, b, c, b2, c2]
        // The caller's namespace is the sandbox's, shared with earlier tests whose links and
        // namespaces are still going away (and whose bridges' timers tick): only this test's own
        // links are compared there, and its nsid list may only shrink, never gain an id.
        func snapshot() throws -> [String] {
            var out = try [hostA, userA, userB].map { try ip("-j", "-d", "link", "show", "dev", $0) }
            for n in all { out += [try ip("-n", n, "-j", "-d", "link", "show"), try ip("-n", n, "netns", "list-id")] }
            return out
        }
        func callersIDs() throws -> Set<Substring> { Set(try ip("netns", "list-id").split(separator: "\n")) }
        let before = try snapshot(), idsBefore = try callersIDs()
        // b has an id for c (given when the pair was made) and none for the caller or b2/c2:
        // the scan asks b about those, and asking must not give b new ids.
        XCTAssertEqual(before[3 + 2 * 1 + 1].split(separator: "\n").count, 1, "ip -n b netns list-id: \(before[6])")
        let map = MachinePeerMap.scan(try [caller()] + all.map { try named($0) })
        XCTAssertEqual(map.failures, [:])
        let after = try snapshot(), idsAfter = try callersIDs()
        XCTAssertEqual(before, after)
        XCTAssertTrue(idsAfter.isSubset(of: idsBefore), "the caller's nsids gained \(idsAfter.subtracting(idsBefore))")
        // The user's pairs are read, not touched.
        // A pair within one namespace: the lower ifindex is `end`.
        let u = try pair(map, end: userB, in: try caller().id)
        XCTAssertEqual(u.peer?.name, userA)
        XCTAssertLessThan(u.end.index, u.peer?.index ?? 0)
        XCTAssertEqual(try pair(map, end: "eth2", in: try named(a).id).peer?.name, "eth1")
    }

    /// MachinePeerMap.discover: discovery and the scan together; a namespace held only by an open
    /// descriptor (found by discovery only, not the scan's quick first list) is read too.
    func testDiscoverMapsEveryDiscoveredNamespace() throws {
        let a = try namedNamespace("a")
        let pid = try processNamespace()
        let s = uniqueSuffix()
        let hostA = "h2ha\(s)", hostP = "h2hp\(s)", hostF = "h2hf\(s)"
        addTeardownBlock {
            for n in [hostA, hostP, hostF] { _ = try? runProcess("/usr/sbin/ip", ["link", "del", n]) }
        }
        try ip("link", "add", hostA, "type", "veth", "peer", "name", "eth0", "netns", a)
        try ip("link", "add", hostP, "type", "veth", "peer", "name", "eth0", "netns", "\(pid)")
        // A namespace held only by a descriptor: made by a process that then exits.
        let maker = try BackgroundProcess("/usr/bin/unshare", ["-n", "sleep", "120"])
        let mpid = maker.process.processIdentifier
        try waitUntil("unshare -n has made its namespace") {
            var st = stat()
            return stat("/proc/\(mpid)/ns/net", &st) == 0 && UInt64(st.st_ino) != currentNamespaceInode()
        }
        let fid = try discovered("/proc/\(mpid)/ns/net").id
        try ip("link", "add", hostF, "type", "veth", "peer", "name", "eth0", "netns", "\(mpid)")
        let holder = try BackgroundProcess("/bin/bash", ["-c", "exec 7</proc/\(mpid)/ns/net; exec sleep 120"])
        addTeardownBlock { holder.stop() }
        let hpid = holder.process.processIdentifier
        try waitUntil("the holder has net:[\(fid.inode)] open") {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(hpid)/fd/7")) == "net:[\(fid.inode)]"
        }
        maker.stop()

        let (found, map) = try MachinePeerMap.discover()
        let me = try XCTUnwrap(found.first)
        XCTAssertTrue(me.isCallers)
        XCTAssertEqual(Set(map.readings.keys).union(map.failures.keys), Set(found.map(\.id)))
        XCTAssertTrue(found.contains { $0.id == fid && $0.holderCount > 0 && $0.memberCount == 0 },
                      "the fd-held namespace was not discovered as such")
        XCTAssertEqual(try pair(map, end: hostA, in: me.id).peer?.namespace, try named(a).id)
        XCTAssertEqual(try pair(map, end: hostP, in: me.id).peer?.namespace, try discovered("/proc/\(pid)/ns/net").id)
        let pf = try pair(map, end: hostF, in: me.id)
        XCTAssertEqual(pf.peer?.namespace, fid)
        XCTAssertEqual(pf.peer?.name, "eth0")
        XCTAssertNil(map.failures[fid])
    }
}
