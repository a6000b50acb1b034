import VethKit
@testable import VethKitTopology
import XCTest

/// The live state a correct `up` of `t` leaves, impairments included.
func convergedWithImpairments(_ t: Topology) -> LiveState {
    var s = converged(t)
    for (node, ifaces) in t.interfacesByNode() {
        for d in ifaces where d.impair != nil {
            guard let k = s.nodes[node]?.interfaces.firstIndex(where: { $0.name == d.name }) else { continue }
            s.nodes[node]!.interfaces[k].egress = .impaired(d.impair!)
        }
    }
    return s
}

/// One impairment from `key value` pairs, through the library's one parser.
func impairment(_ pairs: (String, String)...) throws -> LinkImpairment {
    var i = LinkImpairment()
    for (k, v) in pairs { try i.set(k, v) }
    return i
}

/// `impair` in plans (pure: fake live states): `+` on fresh ends, nothing when converged, `~`
/// when changed or cut, `-` when the file drops it, a user's qdisc a conflict (never a step),
/// a kernel without the qdisc kind said once.
final class ImpairPlannerTests: XCTestCase {
    func example(_ name: String) throws -> Topology { try Topology.load(repoRoot + "/examples/\(name).yaml") }

    func impairLines(_ p: Plan) -> [String] {
        p.steps.filter { if case .impair = $0 { true } else if case .clearImpairment = $0 { true } else { false } }.map(p.describe)
    }

    func testFreshTopologyImpairsEachEndAfterConfiguring() throws {
        let t = try example("impaired")
        let p = Planner.plan(t, live: .empty(for: t))
        let r100 = try impairment(("rate", "100mbit")), r10 = try impairment(("rate", "10mbit"))
        XCTAssertEqual(impairLines(p), ["+ impair h1/eth0 \(r100)", "+ impair h2/eth0 \(r10)", "+ impair r1/eth1 \(r100)"], p.text)
        XCTAssertEqual(p.conflicts, [])
        // After every link and address exists (the impair phase runs after configure).
        let firstImpair = try XCTUnwrap(p.steps.firstIndex { if case .impair = $0 { true } else { false } })
        XCTAssertFalse(p.steps[firstImpair...].contains { if case .addAddress = $0 { true } else if case .createVeth = $0 { true } else { false } })
    }

    func testConvergedHasNoChangesAndDriftIsChanged() throws {
        let t = try example("impaired")
        var live = convergedWithImpairments(t)
        XCTAssertEqual(Planner.plan(t, live: live).text, "impaired: no changes")
        // Someone replaced our qdisc's options, removed one, cut one, left another kind under our handle.
        let r100 = try impairment(("rate", "100mbit")), r10 = try impairment(("rate", "10mbit"))
        func set(_ node: String, _ name: String, _ e: LiveState.Egress?) {
            let k = live.nodes[node]!.interfaces.firstIndex { $0.name == name }!
            live.nodes[node]!.interfaces[k].egress = e
        }
        set("h1", "eth0", .impaired(try impairment(("rate", "50mbit"))))
        set("r1", "eth1", nil)
        set("h2", "eth0", .cut)
        set("r1", "eth2", .other("pfifo"))
        let p = Planner.plan(t, live: live)
        XCTAssertEqual(impairLines(p), [
            "~ impair h1/eth0 \(r100) (was \(try impairment(("rate", "50mbit"))))",
            "~ impair h2/eth0 \(r10) (was cut)",
            "+ impair r1/eth1 \(r100)",
            "- impair r1/eth2 (was pfifo (not an impairment))",
        ], p.text)
        XCTAssertEqual(p.counts.create, 1)
        XCTAssertEqual(p.counts.change, 2)
        XCTAssertEqual(p.counts.remove, 1)
    }

    func testASeedIsComparedOnlyWhereTheKernelReportsOne() throws {
        let t = try example("impaired-netem")
        var live = convergedWithImpairments(t)
        XCTAssertEqual(Planner.plan(t, live: live).text, "netem: no changes")
        let want = try XCTUnwrap(t.links[0].impair)
        func set(_ node: String, _ name: String, _ e: LiveState.Egress?) {
            let k = live.nodes[node]!.interfaces.firstIndex { $0.name == name }!
            live.nodes[node]!.interfaces[k].egress = e
        }
        // A kernel without TCA_NETEM_PRNG_SEED (6.1) reports none: the rest is compared.
        var noSeed = want
        noSeed.seed = nil
        set("h1", "eth0", .impaired(noSeed))
        XCTAssertEqual(Planner.plan(t, live: live).text, "netem: no changes")
        // Another seed (someone's tc, or a kernel's random one): changed.
        var other = want
        other.seed = 8
        set("h1", "eth0", .impaired(other))
        XCTAssertEqual(Planner.plan(t, live: live).steps.count, 1)
        // Without a seed the rest still counts.
        var slower = noSeed
        slower.delay = try impairment(("delay", "30ms")).delay
        set("h1", "eth0", .impaired(slower))
        XCTAssertEqual(Planner.plan(t, live: live).steps.count, 1)
    }

    func testRemovedFromTheFileIsRemoved() throws {
        let with = try example("impaired")
        var without = with
        without.links[0].impair = nil
        let p = Planner.plan(without, live: convergedWithImpairments(with))
        let r100 = try impairment(("rate", "100mbit"))
        XCTAssertEqual(impairLines(p), ["- impair h1/eth0 (was \(r100))", "- impair r1/eth1 (was \(r100))"])
        XCTAssertEqual(p.steps.count, 2, p.text)
    }

    func testEndpointWinsOverTheLinkForItsEnd() throws {
        let t = try Topology.parse("""
            name: prec
            nodes: {a: {}, b: {}}
            links:
              - endpoints: [{node: a, name: e0, impair: {rate: 5mbit}}, {node: b, name: e0}]
                impair: {rate: 20mbit}
            """)
        XCTAssertEqual(t.links[0].impairment(of: 0), try impairment(("rate", "5mbit")))
        XCTAssertEqual(t.links[0].impairment(of: 1), try impairment(("rate", "20mbit")))
        let p = Planner.plan(t, live: .empty(for: t))
        XCTAssertEqual(impairLines(p), ["+ impair a/e0 \(try impairment(("rate", "5mbit")))", "+ impair b/e0 \(try impairment(("rate", "20mbit")))"])
    }

    func testUsersQdiscIsAConflictNeverAStep() throws {
        let t = try example("impaired")
        var live = convergedWithImpairments(t)
        let k = live.nodes["h1"]!.interfaces.firstIndex { $0.name == "eth0" }!
        live.nodes["h1"]!.interfaces[k].egress = .foreign("tbf 1:")
        // h3's link has no impairment in the file: the user's qdisc there is simply left alone.
        let k3 = live.nodes["h3"]!.interfaces.firstIndex { $0.name == "eth0" }!
        live.nodes["h3"]!.interfaces[k3].egress = .foreign("htb 1:")
        let p = Planner.plan(t, live: live)
        XCTAssertEqual(impairLines(p), [], p.text)
        XCTAssertEqual(p.conflicts.count, 1, p.text)
        XCTAssertTrue(p.conflicts[0].hasPrefix("qdisc tbf 1: on h1/eth0 is not vethkit's"), p.conflicts[0])
        var without = t
        without.links[0].impair = nil
        XCTAssertEqual(Planner.plan(without, live: live).text.contains("h1/eth0"), false, "not ours, not wanted: not mentioned")
    }

    func testMissingNetemIsOneConflictNamingEveryEnd() throws {
        let t = try example("impaired-netem")
        var live = LiveState.empty(for: t)
        live.missingQdiscs = ["netem"]
        let p = Planner.plan(t, live: live)
        XCTAssertEqual(p.conflicts.count, 1, p.text)
        XCTAssertTrue(p.conflicts[0].hasPrefix("this kernel has no sch_netem ("), p.conflicts[0])
        XCTAssertTrue(p.conflicts[0].contains("rate alone works with tbf"), p.conflicts[0])
        XCTAssertTrue(p.conflicts[0].hasSuffix("wanted on h1/eth0, r1/eth1"), "the rate-only end is not named: \(p.conflicts[0])")
        // Without netem wanted, the probe's answer does not matter.
        let rateOnly = try example("impaired")
        var live2 = LiveState.empty(for: rateOnly)
        live2.missingQdiscs = ["netem"]
        XCTAssertEqual(Planner.plan(rateOnly, live: live2).conflicts, [])
    }

    func testAFreshLinkThatReplacesAnOldOneIsImpairedAgain() throws {
        // A wrong peer makes the plan re-create the pair: its qdisc goes with the old link.
        let t = try example("impaired")
        var live = convergedWithImpairments(t)
        let k = live.nodes["h1"]!.interfaces.firstIndex { $0.name == "eth0" }!
        live.nodes["h1"]!.interfaces[k].peer = .init(node: "r1", name: "eth9")
        let p = Planner.plan(t, live: live)
        XCTAssertTrue(p.steps.contains(.createVeth(link: 0)), p.text)
        let r100 = try impairment(("rate", "100mbit"))
        XCTAssertEqual(impairLines(p), ["+ impair h1/eth0 \(r100)", "+ impair r1/eth1 \(r100)"], p.text)
    }

    func testCutRecordsKeepEveryImpairmentExactly() throws {
        // What `restore` puts back is what `cut` recorded: every setting, through the one parser.
        let rich = try impairment(("delay", "20ms"), ("jitter", "2ms"), ("correlation", "25%"), ("distribution", "normal"),
                                  ("loss", "gemodel 1% 10% 70% 0.1%"), ("duplicate", "0.5%"), ("corrupt", "0.1%"),
                                  ("reorder", "1%"), ("gap", "5"), ("rate", "100mbit"), ("overhead", "-4"), ("limit", "500"),
                                  ("seed", "18446744073709551615"), ("slot", "10ms 20ms"), ("slot-packets", "4"), ("ecn", "false"))
        for i in [rich, try impairment(("rate", "10mbit")), try impairment(("loss", "random 5% 25%"), ("seed", "7"))] {
            let back = try XCTUnwrap(ImpairmentText.decode(ImpairmentText.encode(i)), ImpairmentText.encode(i))
            XCTAssertTrue(i.matches(back), "\(ImpairmentText.encode(i)) -> \(back)")
            XCTAssertEqual(ImpairmentText.encode(back), ImpairmentText.encode(i))
        }
        XCTAssertFalse(ImpairmentText.encode(rich).contains("\t"))
        // A damaged record is no impairment (the end comes back to the kernel's default), never a crash.
        for bad in ["", "delay", "delay=", "=20ms", "delay=20xs", "nokey=1", String(repeating: "delay=1ms;", count: 10_000) + "x"] {
            XCTAssertNil(ImpairmentText.decode(bad), bad.prefix(40).description)
        }
    }
}
