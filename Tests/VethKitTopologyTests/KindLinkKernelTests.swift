import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

/// Kind links in topology files on a real kernel (scripts/sandbox): VXLAN and MACVLAN, which this
/// machine's kernel has (VLAN, IPVLAN and dummy: KindLinkVMTests). Real packets across each kind,
/// read back through VethKit and `ip -j -d`, a user's links made with `ip` first untouched,
/// rollback and teardown leaving nothing.
final class KindLinkKernelTests: XCTestCase {
    func example(_ name: String) throws -> Topology { try Topology.load(repoRoot + "/examples/\(name).yaml") }

    override func setUpWithError() throws {
        try requireKernel()
        addTeardownBlock {
            for name in ["overlay", "vlans", "kk"] { _ = try? Applier.down(name: name) }
            for l in ["ovmv0", "kku0", "kkmv"] { _ = try? runProcess("/usr/sbin/ip", ["link", "del", l]) }
        }
    }

    func testVXLANAndMACVLANExampleUpCheckShowDown() throws {
        try requirePing()
        let t = try example("vxlan-macvlan")
        // The user's own veth pair and a macvlan on it (made with ip) are never touched.
        try ip("link", "add", "kku0", "type", "veth", "peer", "name", "kku1")
        try ip("link", "add", "kkmv", "link", "kku0", "type", "macvlan", "mode", "private")
        let userBefore = try ipLinks(nil).filter { ["kku0", "kku1", "kkmv"].contains($0.key) }.mapValues(ipKind)
        let r = try Applier.up(t)
        print(r.summary)
        let report = try Checker.run(t)
        print(report.table)
        XCTAssertTrue(report.passed, report.table)
        // Probes across each kind (the default claims), and system ping agrees.
        for why in ["vxlan b/vx0 -> a/vx0", "vxlan a/vx0 -> b/vx0", "macvlan b/mv0 -> a/mv0", "macvlan a/mv0 -> b/mv0", "macvlan a/eth2 -> host/ovmv0"] {
            XCTAssertTrue(report.outcomes.contains { $0.claim.reason == why && $0.error == nil && $0.rtt != nil }, "\(why):\n\(report.table)")
        }
        XCTAssertEqual(ping(from: "overlay-a", "10.52.0.2"), .reply, "across the VXLAN")
        XCTAssertEqual(ping(from: "overlay-b", "10.61.0.1"), .reply, "across the macvlans")
        // The overlay's packets really went through the VXLAN: its counters moved.
        let vx = try XCTUnwrap(try ipLinks("overlay-a")["vx0"])
        XCTAssertEqual(ipKind(vx), "vxlan id 42 remote 192.168.90.2 local 192.168.90.1 link eth1 port 4789 learning false")
        let stats = try XCTUnwrap(try parseJSONArray(try runProcess("/usr/sbin/ip", ["-n", "overlay-a", "-j", "-s", "link", "show", "vx0"]).stdout).first?["stats64"] as? [String: Any])
        XCTAssertGreaterThan((stats["tx"] as? [String: Any])?["packets"] as? Int ?? 0, 0)
        // The host macvlan carries our mark (alias and group), in ip's own words.
        let mv = try XCTUnwrap(try ipLinks(nil)["ovmv0"])
        XCTAssertEqual(mv["ifalias"] as? String, "vethkit:overlay")
        XCTAssertEqual(ipKind(mv), "macvlan on ova2 mode bridge")
        try assertKindLinksMatchIP(t)
        // A second up changes nothing.
        let again = try Applier.up(t)
        XCTAssertEqual(again.summary, "overlay: no changes", again.plan.text)
        // Someone changes a macvlan's mode behind our back: show marks it, up puts it back in place.
        try ip("-n", "overlay-b", "link", "set", "mv0", "type", "macvlan", "mode", "private")
        let drift = try Shower.show(t)
        XCTAssertFalse(drift.inSync)
        XCTAssertTrue(drift.text.contains("    ~ macvlan b/mv0: mode private -> bridge"), drift.text)
        XCTAssertTrue(drift.json.contains("\"diff\":[\"~ macvlan b/mv0: mode private -> bridge\"]"), drift.json)
        XCTAssertEqual(try Applier.up(t).summary.hasPrefix("overlay: 0 created, 1 changed, 0 removed"), true)
        XCTAssertEqual(ipKind(try XCTUnwrap(try ipLinks("overlay-b")["mv0"])), "macvlan on eth0 mode bridge")
        let d = try Applier.down(name: "overlay", topology: t)
        print(d.summary)
        XCTAssertEqual(try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix("overlay-") }, [])
        let left = try ipLinks(nil)
        XCTAssertNil(left["ovmv0"])
        XCTAssertNil(left["ova2"])
        XCTAssertFalse(left.values.contains { ($0["ifalias"] as? String) == "vethkit:overlay" })
        XCTAssertEqual(left.filter { ["kku0", "kku1", "kkmv"].contains($0.key) }.mapValues(ipKind), userBefore, "the user's links stay as they were")
    }

    func testChangedOptionsReplaceAndStillForward() throws {
        try requirePing()
        let y = try String(contentsOfFile: repoRoot + "/examples/vxlan-macvlan.yaml", encoding: .utf8)
        let t = try Topology.parse(y)
        _ = try Applier.up(t)
        // Another VNI on both sides, another macvlan mode, a new port.
        let editedText = y.replacingOccurrences(of: "id: 42", with: "id: 43")
            .replacingOccurrences(of: "dstport: 4789", with: "dstport: 4790")
            .replacingOccurrences(of: "mv0: {link: eth0, mode: bridge", with: "mv0: {link: eth0, mode: vepa")
        let edited = try Topology.parse(editedText)
        let plan = Planner.plan(edited, live: try LiveReader.read(edited))
        let lines = plan.steps.map(plan.describe)
        XCTAssertTrue(lines.contains { $0.hasPrefix("~ vxlan a/vx0: on eth1, id 42") && $0.hasSuffix("dstport 4790 nolearning (replaced)") }, plan.text)
        XCTAssertTrue(lines.contains("~ macvlan b/mv0: mode bridge -> vepa"), "changed in place:\n\(plan.text)")
        XCTAssertTrue(plan.steps.contains { if case .createKindLink(_, let k, _) = $0 { k.name == "vx0" } else { false } }, plan.text)
        let mvIndex = try XCTUnwrap(try ipLinks("overlay-b")["mv0"]?["ifindex"] as? Int)
        XCTAssertEqual(plan.conflicts, [])
        let r = try Applier.up(edited)
        print(r.plan.text)
        XCTAssertEqual(ipKind(try XCTUnwrap(try ipLinks("overlay-b")["vx0"])), "vxlan id 43 remote 192.168.90.1 local 192.168.90.2 link eth1 port 4790 learning false")
        XCTAssertEqual(ipKind(try XCTUnwrap(try ipLinks("overlay-a")["mv0"])), "macvlan on eth0 mode vepa")
        XCTAssertEqual(try ipLinks("overlay-b")["mv0"]?["ifindex"] as? Int, mvIndex, "the same link, changed in place")
        XCTAssertEqual(ping(from: "overlay-a", "10.52.0.2"), .reply, "across the new VXLAN")
        XCTAssertEqual(try Applier.up(edited).summary, "overlay: no changes")
        // In place too: a vxlan's remote (to one nobody answers: learning is off, so nothing else
        // is learnt and the overlay goes quiet), then its learning.
        let movedText = editedText.replacingOccurrences(of: "remote: 192.168.90.2", with: "remote: 192.168.90.9")
        let moved = try Topology.parse(movedText)
        let p2 = Planner.plan(moved, live: try LiveReader.read(moved))
        XCTAssertEqual(p2.steps.map(p2.describe), ["~ vxlan a/vx0: remote 192.168.90.2 -> 192.168.90.9"], p2.text)
        _ = try Applier.up(moved)
        XCTAssertEqual(ipKind(try XCTUnwrap(try ipLinks("overlay-a")["vx0"])), "vxlan id 43 remote 192.168.90.9 local 192.168.90.1 link eth1 port 4790 learning false")
        XCTAssertEqual(ping(from: "overlay-a", "10.52.0.2", wait: 1), .noReply, "the overlay now sends to 192.168.90.9")
        let learning = try Topology.parse(movedText.replacingOccurrences(of: "dev: eth1, learning: false,\n            addresses: [10.52.0.1/24", with: "dev: eth1, learning: true,\n            addresses: [10.52.0.1/24"))
        let p3 = Planner.plan(learning, live: try LiveReader.read(learning))
        XCTAssertEqual(p3.steps.map(p3.describe), ["~ vxlan a/vx0: nolearning -> learning"], p3.text)
        _ = try Applier.up(learning)
        XCTAssertEqual(ipKind(try XCTUnwrap(try ipLinks("overlay-a")["vx0"])), "vxlan id 43 remote 192.168.90.9 local 192.168.90.1 link eth1 port 4790 learning true")
        // And back: the file is the truth.
        _ = try Applier.up(t)
        try assertKindLinksMatchIP(t)
        _ = try Applier.down(name: "overlay", topology: t)
    }

    func testAUsersLinkOfTheNameIsAConflictAndUpChangesNothing() throws {
        let t = try example("vxlan-macvlan")
        // The user's macvlan called ovmv0 (on their own veth), with the address the file wants.
        try ip("link", "add", "kku0", "type", "veth", "peer", "name", "kku1")
        try ip("link", "add", "ovmv0", "link", "kku0", "type", "macvlan", "mode", "private")
        try ip("addr", "add", "10.62.0.1/24", "dev", "ovmv0")
        let before = try ipLinks(nil).mapValues { "\(ipKind($0)) \($0["ifalias"] ?? "-") \($0["group"] ?? "-") \($0["operstate"] ?? "-")" }
        let beforeAddrs = try ip("-j", "addr", "show", "dev", "ovmv0")
        let plan = Planner.plan(t, live: try LiveReader.read(t))
        XCTAssertEqual(plan.conflicts, ["host link ovmv0 exists and is not vethkit's (alias unset, not \"vethkit:overlay\")"])
        XCTAssertTrue(plan.text.contains("! host link ovmv0"), plan.text)
        XCTAssertThrowsError(try Applier.up(t)) { e in XCTAssertTrue(e is ConflictError, "\(e)") }
        XCTAssertEqual(try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix("overlay-") }, [])
        XCTAssertEqual(try ipLinks(nil).mapValues { "\(ipKind($0)) \($0["ifalias"] ?? "-") \($0["group"] ?? "-") \($0["operstate"] ?? "-")" }, before)
        XCTAssertEqual(try ip("-j", "addr", "show", "dev", "ovmv0"), beforeAddrs)
        // down of a topology that is not up touches nothing either.
        XCTAssertThrowsError(try Applier.down(name: "overlay", topology: t))
        XCTAssertNotNil(try ipLinks(nil)["ovmv0"])
    }

    /// `ip -j` dumps (links with details, addresses, routes) of the host and every namespace.
    func machineDump() throws -> [String: String] {
        // (IPv6 link-local addresses finish DAD in their own time: their `tentative` flag is noise.)
        func clean(_ x: Any) -> Any {
            if let d = x as? [String: Any] {
                var o: [String: Any] = [:]
                for (k, v) in d where k != "tentative" && !k.hasSuffix("_timer") { o[k] = clean(v) }
                return o
            }
            if let a = x as? [Any] { return a.map(clean) }
            return x
        }
        func json(_ args: [String]) throws -> String {
            let r = try runProcess("/usr/sbin/ip", args)
            XCTAssertEqual(r.status, 0, r.stderr)
            let v = try JSONSerialization.jsonObject(with: Data((r.stdout.isEmpty ? "[]" : r.stdout).utf8))
            return String(decoding: try JSONSerialization.data(withJSONObject: clean(v), options: [.sortedKeys]), as: UTF8.self)
        }
        let names = try NetworkNamespace.list().map(\.rawValue)
        var out = ["netns": names.sorted().joined(separator: " ")]
        for ns in [nil] + names.map(Optional.some) {
            let n = ns.map { ["-n", $0] } ?? []
            out["\(ns ?? "host") link"] = try json(n + ["-j", "-d", "link", "show"])
            out["\(ns ?? "host") addr"] = try json(n + ["-j", "addr", "show"])
            out["\(ns ?? "host") route"] = try json(n + ["-j", "-4", "route", "show", "table", "all"])
        }
        return out
    }

    /// A converging `up` that adds kind links in namespaces that exist (a vxlan, macvlans), in a
    /// new namespace, and in the host, fails before each phase, after the last, and in the middle
    /// of the kinds phase (a link of the name the last one needs appears under it): each time the
    /// machine is as it was (`ip -j` dumps), the user's own link made with `ip` first included.
    func testAFaultAnywhereLeavesTheMachineAsItWas() throws {
        let base = """
        name: kk
        nodes:
          host: {}
          a: {}
          b: {}
        links:
          - endpoints: [{node: a, name: eth1, addresses: [192.168.91.1/24]}, {node: b, name: eth1, addresses: [192.168.91.2/24]}]
          - endpoints: [{node: a, name: eth0}, {node: host, name: kkh0}]
        """.replacingOccurrences(of: "  b: {}", with: "  b: {macvlans: {mv2: {link: eth1, mode: bridge}}}")
        let grown = """
        name: kk
        nodes:
          host:
            macvlans: {kkmv0: {link: kkh0, addresses: [10.181.0.1/24]}}
          a:
            vxlans: {vx0: {id: 7, remote: 192.168.91.2, local: 192.168.91.1, dev: eth1, addresses: [10.72.0.1/24]}}
            macvlans: {mv0: {link: eth0, addresses: [10.181.0.2/24]}}
          b:
            vxlans: {vx0: {id: 7, remote: 192.168.91.1, local: 192.168.91.2, dev: eth1, addresses: [10.72.0.2/24]}}
            macvlans: {mv1: {link: eth1, mode: private}, mv2: {link: eth1, mode: vepa}}
          c:
            macvlans: {mv0: {link: eth0, addresses: [10.73.0.2/24]}}
        links:
          - endpoints: [{node: a, name: eth1, addresses: [192.168.91.1/24]}, {node: b, name: eth1, addresses: [192.168.91.2/24]}]
          - endpoints: [{node: a, name: eth0}, {node: host, name: kkh0}]
          - endpoints: [{node: c, name: eth0}, {node: b, name: eth2, addresses: [10.73.0.1/24]}]
        """
        try ip("link", "add", "kku0", "type", "veth", "peer", "name", "kku1")
        try ip("link", "add", "kkmv", "link", "kku0", "type", "macvlan")
        _ = try Applier.up(try Topology.parse(base))
        let t = try Topology.parse(grown)
        let plan = Planner.plan(t, live: try LiveReader.read(t))
        XCTAssertEqual(plan.conflicts, [])
        XCTAssertFalse(plan.steps.contains { $0.symbol == "-" }, plan.text)
        let before = try settled { try machineDump() }
        for phase in Run.phases + [Run.finished] {
            var o = Applier.Options()
            o.faultInjection = { if $0 == phase { throw InvalidInput("test", $0, "injected failure") } }
            XCTAssertThrowsError(try Applier.up(t, options: o)) { e in
                guard let f = e as? ApplyError else { return XCTFail("\(phase): \(e)") }
                XCTAssertEqual(f.rollbackErrors, [], phase)
                if phase == Run.finished {
                    let undone = f.undone.map(\.description)
                    for what in ["macvlan options of b/mv2", "host link kkmv0", "link a/vx0", "link a/mv0", "link b/vx0", "link b/mv1", "namespace kk-c"] {
                        XCTAssertTrue(undone.contains(what), "\(what) undone: \(undone)")
                    }
                }
            }
            let after = try machineDump()
            for k in Set(before.keys).union(after.keys).sorted() { XCTAssertEqual(after[k], before[k], "fault before \(phase): \(k)") }
        }
        // A kernel refusal in the middle of the kinds phase: b/mv1 (the last) is taken by someone
        // else's link once the phase started; what the phase made before it is rolled back.
        var o = Applier.Options()
        o.faultInjection = { if $0 == "kinds" { _ = try ip("-n", "kk-b", "link", "add", "mv1", "type", "veth", "peer", "name", "mv1p") } }
        XCTAssertThrowsError(try Applier.up(t, options: o)) { e in
            guard let f = e as? ApplyError else { return XCTFail("\(e)") }
            XCTAssertTrue(f.step.hasPrefix("+ macvlan b/mv1"), f.step)
            XCTAssertTrue("\(f)".contains("File exists"), "\(f)")
            XCTAssertEqual(f.rollbackErrors, [])
        }
        var after = try machineDump()
        // The only difference: the pair that appeared in kk-b.
        XCTAssertTrue(after["kk-b link"]!.contains("\"mv1p\""))
        try ip("-n", "kk-b", "link", "del", "mv1")
        after = try machineDump()
        for k in Set(before.keys).union(after.keys).sorted() { XCTAssertEqual(after[k], before[k], "mid-phase refusal: \(k)") }
        // Without faults: up, check (vxlan and macvlan pings), down; the user's links stay.
        _ = try Applier.up(t)
        let report = try Checker.run(t)
        XCTAssertTrue(report.passed, report.table)
        _ = try Applier.down(name: "kk", topology: t)
        let left = try ipLinks(nil)
        XCTAssertNotNil(left["kkmv"])
        XCTAssertNotNil(left["kku0"])
        XCTAssertNil(left["kkmv0"])
        XCTAssertEqual(try NetworkNamespace.list().map(\.rawValue).filter { $0.hasPrefix("kk-") }, [])
    }
}
