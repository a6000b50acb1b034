@testable import VethKit
import XCTest

/// What impair() sends for each root it finds (the plan is pure: no kernel needed): the kernel's
/// default or none → one replace; VethKit's own of the same kind → one complete change in place;
/// of another kind → delete and add (the kernel cannot graft another kind under the same
/// handle: "Invalid qdisc name"); a user's → QdiscNotOurs.
final class ImpairmentPlanTests: XCTestCase {
    func root(_ kind: String, _ handle: QdiscHandle, _ options: QdiscOptions? = nil) -> Qdisc {
        Qdisc(linkIndex: 3, handle: handle, parent: .root, kind: kind, options: options ?? .other(kind: kind))
    }

    func describe(_ plan: [NetHandle.ImpairmentStep]) -> [String] {
        plan.map { step in
            switch step {
            case .deleteOurs: "delete"
            case .replace(let o, let complete): "replace \(o.kind)\(complete ? " complete" : "")"
            }
        }
    }

    let tbf = QdiscOptions.tbf(TokenBucket(rate: Rate(bitsPerSecond: 80_000_000), burst: 65536, limit: .latency(TCTime(microseconds: 50_000))))
    let netem = QdiscOptions.netem(Netem(delay: TCTime(microseconds: 20_000)))

    func testPlans() throws {
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(tbf, root: nil, linkName: "v")), ["replace tbf"])
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(tbf, root: root("noqueue", .unspecified), linkName: "v")), ["replace tbf"])
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(tbf, root: root("pfifo_fast", .unspecified), linkName: "v")), ["replace tbf"])
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(tbf, root: root("tbf", .vethkit, tbf), linkName: "v")), ["replace tbf complete"])
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(netem, root: root("tbf", .vethkit, tbf), linkName: "v")), ["delete", "replace netem"])
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(tbf, root: root("netem", .vethkit, netem), linkName: "v")), ["delete", "replace tbf"])
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(netem, root: root("netem", .vethkit, netem), linkName: "v")), ["replace netem complete"])
        for user in [root("tbf", QdiscHandle(major: 1)), root("netem", QdiscHandle(major: 0x8001)), root("htb", QdiscHandle(major: 0x564c))] {
            XCTAssertThrowsError(try NetHandle.impairmentPlan(tbf, root: user, linkName: "veth7")) { e in
                XCTAssertEqual(ErrorCategory.of(e), .notOurs)
                XCTAssertEqual((e as? QdiscNotOurs)?.handle, user.handle)
                XCTAssertTrue("\(e)".contains("veth7") && "\(e)".contains("\(user.kind) \(user.handle)"), "\(e)")
            }
        }
    }

    /// A jittered netem without a table, or a slot range, replacing any netem: a fresh qdisc (the
    /// kernel keeps an old table when no new one comes, through changes that do not use it, and
    /// cannot say whether it has one).
    func testStaleTablesForceAFreshQdisc() throws {
        let jittered = Netem(delay: TCTime(microseconds: 20_000), jitter: TCTime(microseconds: 5000))
        var withTable = jittered
        withTable.distribution = .normal
        let live = root("netem", .vethkit, .netem(Netem(delay: TCTime(microseconds: 1000))))
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(.netem(jittered), root: live, linkName: "v")), ["delete", "replace netem"])
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(.netem(withTable), root: live, linkName: "v")), ["replace netem complete"])
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(netem, root: live, linkName: "v")), ["replace netem complete"], "no jitter: no table used")
        var slotDist = Netem()
        slotDist.slot = .init(.distribution(.normal, delay: TCTime(microseconds: 1000), jitter: TCTime(microseconds: 100)))
        var slotRange = Netem()
        slotRange.slot = .init(.range(min: TCTime(microseconds: 1000), max: TCTime(microseconds: 2000)))
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(.netem(slotRange), root: root("netem", .vethkit, .netem(Netem())), linkName: "v")),
                       ["delete", "replace netem"])
        XCTAssertEqual(describe(try NetHandle.impairmentPlan(.netem(slotDist), root: live, linkName: "v")), ["replace netem complete"])
    }

    func testErrorsReadWell() {
        XCTAssertEqual(QdiscKindUnavailable(kind: "netem").description,
                       "this kernel has no sch_netem (delay, loss… need it; rate alone works with tbf)")
        XCTAssertEqual(ErrorCategory.of(QdiscKindUnavailable(kind: "netem")), .unsupported)
        XCTAssertEqual(ErrorCategory.of(TrafficControlUnsupported(feature: "x", reason: "y")), .unsupported)
        XCTAssertEqual(QdiscNotOurs(link: "veth0", kind: "tbf", handle: QdiscHandle(major: 1)).description,
                       "link veth0 has a root qdisc VethKit did not make (tbf 1:): left alone; remove it with `tc qdisc del dev veth0 root` to let VethKit impair this link")
    }
}
