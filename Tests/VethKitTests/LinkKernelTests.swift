import CLinuxUAPI
import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// Links on the real kernel, each read back through VethKit and cross-checked with `ip -j`.
final class LinkKernelTests: XCTestCase {
    var here: NetHandle!
    var created: [InterfaceName] = []
    var namespaces: [NamespaceName] = []

    override func setUpWithError() throws {
        try requireKernel()
        here = try NetHandle()
    }

    override func tearDownWithError() throws {
        for n in created { try? here?.deleteLink(.name(n)) }
        for n in namespaces { try? NetworkNamespace.delete(n) }
        // Host ends whose peers were in a deleted namespace vanish asynchronously: wait for them,
        // so the next test starts from a settled host.
        if here != nil { try waitUntilLinksGone(created.map(\.rawValue)) }
    }

    func name(_ prefix: String) -> InterfaceName {
        let n = try! InterfaceName(String((prefix + uniqueSuffix()).prefix(15)))
        created.append(n)
        return n
    }

    func newNamespace() throws -> NetworkNamespace {
        let n = try NamespaceName("vk-l-\(uniqueSuffix())")
        namespaces.append(n)
        return try NetworkNamespace.create(n)
    }

    func testVethPairIsLinkedBothWays() throws {
        let a = name("va"), b = name("vb")
        try here.addLink(.veth(a, peer: b))
        let la = try here.link(named: a), lb = try here.link(named: b)
        XCTAssertEqual(la.kind, "veth")
        XCTAssertEqual(la.linkIndex, lb.index, "\(a)'s peer index")
        XCTAssertEqual(lb.linkIndex, la.index, "\(b)'s peer index")
        let j = try ipJSON("-d", "link", "show", a.rawValue)
        XCTAssertEqual(j.first?["ifindex"] as? Int, Int(la.index))
        XCTAssertEqual(j.first?["link"] as? String, b.rawValue)
        XCTAssertEqual((j.first?["linkinfo"] as? [String: Any])?["info_kind"] as? String, "veth")
        // Deleting either end removes both.
        try here.deleteLink(.name(b))
        XCTAssertNil(try here.linkIfPresent(named: a))
        XCTAssertTrue(try ipJSON("link", "show", "type", "veth").filter { ($0["ifname"] as? String) == a.rawValue }.isEmpty)
    }

    func testPeerCreatedStraightInANamespaceInOneRequest() throws {
        let ns = try newNamespace()
        let a = name("vh"), b = name("vc")
        try here.addLink(.veth(a, peer: b, peerNamespace: ns))
        XCTAssertNil(try here.linkIfPresent(named: b), "the peer \(b) was created in the host, not in the namespace")
        let inside = try NetHandle(namespace: ns).link(named: b)
        let outside = try here.link(named: a)
        XCTAssertEqual(outside.linkIndex, inside.index)
        XCTAssertNotNil(outside.linkNetnsID)
        XCTAssertEqual(try here.namespaceID(of: ns), outside.linkNetnsID)
        let j = try ipJSON("-n", ns.name!.rawValue, "link", "show", b.rawValue)
        XCTAssertEqual(j.count, 1)
    }

    func testBothEndsStraightIntoTwoOtherNamespaces() throws {
        let ns1 = try newNamespace(), ns2 = try newNamespace()
        var attrs = LinkAttributes(name: try InterfaceName("left0"), namespace: ns1, up: true)
        attrs.mtu = 1400
        var peer = LinkAttributes(name: try InterfaceName("right0"), namespace: ns2, up: true)
        peer.mtu = 1400
        try here.addLink(LinkSpec(attrs, kind: Veth(peer: peer)))
        XCTAssertNil(try here.linkIfPresent(named: InterfaceName("left0")), "left0 was created in the host")
        let l = try NetHandle(namespace: ns1).link(named: InterfaceName("left0"))
        let r = try NetHandle(namespace: ns2).link(named: InterfaceName("right0"))
        XCTAssertEqual(l.mtu, 1400)
        XCTAssertEqual(r.mtu, 1400)
        XCTAssertEqual(l.linkIndex, r.index)
        XCTAssertTrue(l.isUp && r.isUp)
        let pairs = try PeerMap.discover()
        let pair = try XCTUnwrap(pairs.first { $0.end.name == "left0" || $0.end.name == "right0" })
        XCTAssertEqual(Set([pair.end.namespace, pair.peer?.namespace]), Set([ns1.name, ns2.name]))
    }

    func testSetEveryAttributeAndReadItBack() throws {
        let a = name("vs"), b = name("vp"), br = name("br")
        try here.addLink(.veth(a, peer: b))
        try here.addLink(.bridge(br))
        let mac = try MACAddress("02:11:22:33:44:55")
        let renamed = name("vr")
        try here.setLink(.name(a), LinkChange(mtu: 1280, address: mac, alias: "seed end", group: 77,
                                              master: .set(.name(br))))
        // Renamed while down: before Linux 6.2 the kernel refuses to rename an up link (EBUSY).
        try here.setLink(.name(a), LinkChange(name: renamed))
        try here.setLink(.name(renamed), LinkChange(up: true))
        let l = try here.link(named: renamed)
        XCTAssertEqual(l.mtu, 1280)
        XCTAssertEqual(l.address, mac)
        XCTAssertEqual(l.alias, "seed end")
        XCTAssertEqual(l.group, 77)
        XCTAssertEqual(l.masterIndex, try here.link(named: br).index)
        XCTAssertTrue(l.isUp)
        let j = try XCTUnwrap(ipJSON("link", "show", renamed.rawValue).first)
        XCTAssertEqual(j["mtu"] as? Int, 1280)
        XCTAssertEqual(j["address"] as? String, "02:11:22:33:44:55")
        XCTAssertEqual(j["ifalias"] as? String, "seed end")
        XCTAssertEqual(j["group"] as? String, "77")
        XCTAssertEqual(j["master"] as? String, br.rawValue)
        try here.setLink(.name(renamed), LinkChange(up: false, master: .nomaster))
        let after = try here.link(named: renamed)
        XCTAssertNil(after.masterIndex)
        XCTAssertFalse(after.isUp)
    }

    func testMoveToNamespace() throws {
        let ns = try newNamespace()
        let a = name("vm"), b = name("vn")
        try here.addLink(.veth(a, peer: b))
        try here.setLink(.name(b), LinkChange(namespace: ns))
        XCTAssertNil(try here.linkIfPresent(named: b))
        XCTAssertNotNil(try NetHandle(namespace: ns).linkIfPresent(named: b))
    }

    func testGroupDeleteRemovesTheWholeGroupOnly() throws {
        let keep = name("keep")
        created += (0..<20).map { try! InterfaceName("g\($0)a") }
        try here.addLink(.bridge(keep))
        var specs: [LinkSpec] = []
        for i in 0..<20 {
            var s = LinkSpec.veth(try InterfaceName("g\(i)a"), peer: try InterfaceName("g\(i)b"))
            s.attributes.group = 4242
            specs.append(s)
        }
        var batch = NetworkBatch()
        for s in specs { batch.addLink(s) }
        let results = try here.perform(batch)
        XCTAssertEqual(results.count, 20)
        XCTAssertTrue(results.allSatisfy { if case .success = $0 { true } else { false } }, "\(results)")
        XCTAssertEqual(try here.links().filter { $0.group == 4242 }.count, 20)  // the peers stay in group 0
        try here.deleteLinks(group: 4242)
        let left = try here.links().map(\.name).filter { $0.range(of: "^g[0-9]+[ab]$", options: .regularExpression) != nil }
        XCTAssertEqual(left, [], "group 4242 not deleted")
        XCTAssertNotNil(try here.linkIfPresent(named: keep), "the bridge outside the group was deleted")
    }

    func testBatchReportsEachRefusalInOrder() throws {
        let a = name("vb")
        var batch = NetworkBatch()
        batch.addLink(.bridge(a))
        batch.addLink(.bridge(a))
        let results = try here.perform(batch)
        guard case .success = results[0], case .failure(let e) = results[1] else {
            return XCTFail("expected success then EEXIST: \(results)")
        }
        XCTAssertEqual(e.errno, .fileExists)
    }

    func testKernelRefusalCarriesErrnoNameAndExtendedAck() throws {
        let a = name("vk")
        try here.addLink(.bridge(a))
        XCTAssertThrowsError(try here.addLink(.bridge(a))) { e in
            XCTAssertEqual((e as? KernelError)?.errno, .fileExists)
            XCTAssertTrue("\(e)".hasPrefix("File exists (EEXIST)"), "\(e)")
        }
        // A route to an unreachable gateway: the kernel explains in its extended ACK.
        XCTAssertThrowsError(try here.addRoute(Route(destination: try IPNetwork("10.77.0.0/16"), gateway: IPAddress("203.0.113.9")))) { e in
            let k = e as? KernelError
            XCTAssertEqual(k?.errno.name, "ENETUNREACH")
            XCTAssertNotNil(k?.message, "no extended ACK text")
        }
    }

    func testUnknownLinkIsNotFound() throws {
        XCTAssertThrowsError(try here.link(named: InterfaceName("nope\(uniqueSuffix())"))) { XCTAssertEqual(($0 as? NotFound)?.kind, .link, "\($0)") }
        XCTAssertThrowsError(try here.deleteLink(.name(InterfaceName("nope\(uniqueSuffix())")))) { XCTAssertEqual(($0 as? NotFound)?.kind, .link, "\($0)") }
    }

    func testEventsAnnounceNewAndDeletedLinks() throws {
        let monitor = try EventMonitor()
        let a = name("ve")
        try here.addLink(.bridge(a))
        try here.deleteLink(.name(a))
        var sawNew = false, sawDel = false
        let deadline = monotonicSeconds() + 5
        while !(sawNew && sawDel) {
            guard let events = try monitor.next(timeout: deadline - monotonicSeconds()) else {
                return XCTFail("no \(sawNew ? "RTM_DELLINK" : "RTM_NEWLINK") event for \(a) within 5 s")
            }
            for e in events {
                if case .newLink(let l) = e, l.name == a.rawValue { sawNew = true }
                if case .deletedLink(let l) = e, l.name == a.rawValue { sawDel = true }
            }
        }
    }

    func testEventWaitTimesOut() throws {
        // Nothing happens in a fresh namespace: the wait gives up (nil), on time.
        let ns = try newNamespace()
        let monitor = try EventMonitor(namespace: ns)
        let start = monotonicSeconds()
        XCTAssertNil(try monitor.next(timeout: 0.3), "an event in an idle namespace")
        let waited = monotonicSeconds() - start
        XCTAssertGreaterThanOrEqual(waited, 0.29, "gave up early")
        XCTAssertLessThan(waited, 2, "did not give up on time")
        // Something does happen: the wait returns it before the timeout.
        try NetHandle(namespace: ns).addLink(.bridge(InterfaceName("evb0")))
        // (A bridge's own forwarding entry, a neighbour event, may come in a datagram before it.)
        var events: [Event] = []
        let deadline = monotonicSeconds() + 5
        while !events.contains(where: { if case .newLink = $0 { true } else { false } }), monotonicSeconds() < deadline {
            events += try XCTUnwrap(monitor.next(timeout: deadline - monotonicSeconds()), "no event for a link created in the namespace: \(events)")
        }
        XCTAssertTrue(events.contains { if case .newLink(let l) = $0 { l.name == "evb0" } else { false } }, "\(events)")
    }

    func testWaitUntilRunningSeesCarrierOnBothEnds() throws {
        let a = name("wr"), b = name("ws")
        var spec = LinkSpec.veth(a, peer: b)
        spec.attributes.up = true
        spec.kind = Veth(peer: LinkAttributes(name: b, up: true))
        try here.addLink(spec)
        XCTAssertEqual(try here.waitUntilRunning([a, b]), [])
        XCTAssertTrue(try here.link(named: a).flags.contains(.running))
        XCTAssertEqual(try ipJSON("link", "show", b.rawValue).first?["operstate"] as? String, "UP")
        // A down end never runs: the wait gives up and names it.
        try here.setLink(.name(b), LinkChange(up: false))
        XCTAssertEqual(try here.waitUntilRunning([b], timeout: 0.2), [b])
    }

    func testChosenIndexesAtCreation() throws {
        let ns = try newNamespace()
        let h = try NetHandle(namespace: ns)
        var a = LinkAttributes(name: try InterfaceName("ia"), index: 4242)
        a.up = true
        try h.addLink(LinkSpec(a, kind: Veth(peer: LinkAttributes(name: try InterfaceName("ib"), index: 4243))))
        XCTAssertEqual(try h.link(index: 4242).name, "ia")
        XCTAssertEqual(try h.link(index: 4243).name, "ib")
        XCTAssertEqual(try ipJSON("-n", ns.name!.rawValue, "link", "show", "ia").first?["ifindex"] as? Int, 4242)
    }

    func testBridgePortSettings() throws {
        let a = name("bp"), b = name("bq"), br = name("bb")
        try here.addLink(.bridge(br))
        try here.addLink(.veth(a, peer: b))
        try here.setLink(.name(a), LinkChange(master: .set(.index(here.link(named: br).index))))
        try here.setBridgePort(index: here.link(named: a).index, BridgePortChange(hairpin: true, learning: false, cost: 42))
        let data = try XCTUnwrap((ipJSON("-d", "link", "show", a.rawValue).first?["linkinfo"] as? [String: Any])?["info_slave_data"] as? [String: Any])
        XCTAssertEqual(data["hairpin"] as? Bool, true)
        XCTAssertEqual(data["learning"] as? Bool, false)
        XCTAssertEqual(data["cost"] as? Int, 42)
        try here.setBridgePort(index: here.link(named: a).index, BridgePortChange(hairpin: false))
        let after = try XCTUnwrap((ipJSON("-d", "link", "show", a.rawValue).first?["linkinfo"] as? [String: Any])?["info_slave_data"] as? [String: Any])
        XCTAssertEqual(after["hairpin"] as? Bool, false)
    }
}
