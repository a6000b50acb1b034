import Foundation
import VethKitTestSupport
import XCTest

/// `tc ARGS` (iproute2, the independent cross-check); fails the test on error.
@discardableResult
func tc(_ args: String..., file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let r = try runProcess("/usr/sbin/tc", args)
    XCTAssertEqual(r.status, 0, "tc \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
    return r.stdout
}

/// `tc -n NS -s -j qdisc show [dev DEV]`, decoded.
func tcQdiscs(_ ns: String, dev: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
    let r = try runProcess("/usr/sbin/tc", ["-n", ns, "-s", "-j", "qdisc", "show"] + (dev.map { ["dev", $0] } ?? []))
    XCTAssertEqual(r.status, 0, "tc -n \(ns) -s -j qdisc show: \(r.stderr)", file: file, line: line)
    return try parseJSONArray(r.stdout)
}

/// The root qdisc tc reports on `dev` in `ns` (nil when it reports none).
func tcRootQdisc(_ ns: String, _ dev: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any]? {
    try tcQdiscs(ns, dev: dev, file: file, line: line).first { $0["root"] as? Bool == true }
}

/// Where `ours` differs from `theirs` (tc's): every key tc prints must be in ours with the same
/// value (numbers to 6 significant digits: tc prints netem's floats with %g); ours may have more.
func qdiscDifferences(_ ours: Any?, _ theirs: Any, at path: String) -> [String] {
    switch theirs {
    case let t as [String: Any]:
        guard let o = ours as? [String: Any] else { return ["\(path): \(ours.map { "\($0)" } ?? "missing") instead of an object"] }
        return t.keys.sorted().flatMap { qdiscDifferences(o[$0], t[$0]!, at: "\(path).\($0)") }
    case let t as [Any]:
        guard let o = ours as? [Any], o.count == t.count else { return ["\(path): \(ours.map { "\($0)" } ?? "missing") instead of \(t)"] }
        return zip(o, t).enumerated().flatMap { qdiscDifferences($1.0, $1.1, at: "\(path)[\($0)]") }
    case let t as NSNumber:  // booleans too (true is 1)
        guard let o = ours as? NSNumber else { return ["\(path): \(ours.map { "\($0)" } ?? "missing") instead of \(t)"] }
        let a = o.doubleValue, b = t.doubleValue
        return a == b || abs(a - b) <= 5e-6 * max(abs(a), abs(b)) ? [] : ["\(path): \(o) instead of \(t)"]
    default:
        return "\(ours.map { "\($0)" } ?? "missing")" == "\(theirs)" && ours != nil ? [] : ["\(path): \(ours.map { "\($0)" } ?? "missing") instead of \(theirs)"]
    }
}

/// The identity of a qdisc in tc's JSON: device, handle and parent.
func qdiscKey(_ q: [String: Any], dev: String? = nil) -> String {
    "\(q["dev"] as? String ?? dev ?? "?") \(q["handle"] as? String ?? "?") \(q["root"] as? Bool == true ? "root" : q["parent"] as? String ?? "?")"
}

extension Vethctl {
    /// Runs `ARGS --json`, fails the test unless it exits 0, and decodes the array.
    func json(arguments args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let r = try run(args + ["--json"])
        XCTAssertEqual(r.status, 0, "vethctl \(args.joined(separator: " ")) --json: \(r.stderr)", file: file, line: line)
        return try parseJSONArray(r.stdout)
    }
}

/// Test namespaces without IPv6 (no router solicitations or MLD reports moving counters between
/// vethctl's read and tc's), deleted when the test ends.
extension XCTestCase {
    func quietNamespace(_ prefix: String) throws -> String {
        let n = "\(prefix)-\(uniqueSuffix())"
        try ip("netns", "add", n)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", n]) }
        for key in ["net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"] {
            try ip("netns", "exec", n, "sysctl", "-qw", "\(key)=1")
        }
        try ip("-n", n, "link", "set", "lo", "up")
        return n
    }
}

/// `vethctl qdisc show` against `tc -s qdisc show` on real qdiscs: VethKit's own, a veth's
/// noqueue, and a user's tbf, htb (with a class and a child pfifo), pfifo, bfifo and ingress.
final class QdiscCommandTests: XCTestCase {
    let v = Vethctl()

    /// A namespace with one link per qdisc kind, traffic sent through the first pair.
    func populated() throws -> String {
        let ns = try quietNamespace("vk-q")
        for i in 1...8 { try ip("-n", ns, "link", "add", "qa\(i)", "type", "veth", "peer", "name", "qb\(i)") }
        try ip("-n", ns, "addr", "add", "10.77.0.1/24", "dev", "qa1")
        try ip("-n", ns, "link", "set", "qa1", "up")
        try ip("-n", ns, "link", "set", "qb1", "up")      // noqueue on qb1 (and qa1 until impaired)
        try tc("-n", ns, "qdisc", "add", "dev", "qa2", "root", "handle", "1:", "tbf", "rate", "10mbit", "burst", "10kb", "latency", "70ms")
        try tc("-n", ns, "qdisc", "add", "dev", "qa3", "root", "handle", "1:", "htb", "default", "10")
        try tc("-n", ns, "class", "add", "dev", "qa3", "parent", "1:", "classid", "1:10", "htb", "rate", "10mbit")
        try tc("-n", ns, "qdisc", "add", "dev", "qa3", "parent", "1:10", "handle", "10:", "pfifo", "limit", "50")
        try tc("-n", ns, "qdisc", "add", "dev", "qa4", "root", "tbf", "rate", "1gbit", "burst", "1mb", "latency", "1ms",
               "peakrate", "2gbit", "mtu", "1600")
        try tc("-n", ns, "qdisc", "add", "dev", "qa5", "root", "pfifo", "limit", "100")
        try tc("-n", ns, "qdisc", "add", "dev", "qa6", "root", "bfifo", "limit", "10kb")
        try tc("-n", ns, "qdisc", "add", "dev", "qa7", "ingress")
        try v.ok("-n", ns, "link", "impair", "qa1", "--rate", "100mbit")
        try v.ok("-n", ns, "link", "impair", "qa8", "--rate", "1500kbit")
        // Non-zero counters on our tbf: ARP for an address nobody has.
        _ = try runProcess("/usr/sbin/ip", ["netns", "exec", ns, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.77.0.2"])
        return ns
    }

    /// Compares vethctl's and tc's lists, qdisc by qdisc and key by key; counters may move
    /// between the two reads (a late ARP retry), so a difference is read again once.
    func assertAgreesWithTc(_ ns: String, dev: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        var problems: [String] = []
        for _ in 0..<2 {
            let theirs = try tcQdiscs(ns, dev: dev, file: file, line: line)
            let ours = try v.json(arguments: ["-n", ns, "qdisc", "show"] + (dev.map { ["--dev", $0] } ?? []), file: file, line: line)
            XCTAssertGreaterThan(theirs.count, 0, "tc lists no qdisc", file: file, line: line)
            let byKey = Dictionary(ours.map { (qdiscKey($0), $0) }, uniquingKeysWith: { a, _ in a })
            problems = theirs.flatMap { t in
                let k = qdiscKey(t, dev: dev)
                return byKey[k].map { qdiscDifferences($0, t, at: k) } ?? ["\(k): missing from vethctl's list"]
            }
            problems += ours.map { qdiscKey($0) }.filter { k in !theirs.contains { qdiscKey($0, dev: dev) == k } }.map { "\($0): tc does not list it" }
            if problems.isEmpty { return }
        }
        XCTFail(problems.joined(separator: "\n"), file: file, line: line)
    }

    func testJSONAgreesWithTcKeyByKey() throws {
        try requireKernel()
        let ns = try populated()
        // What the comparison covers (so it cannot pass on two empty lists).
        let kinds = Set(try tcQdiscs(ns).compactMap { $0["kind"] as? String })
        XCTAssertEqual(kinds, ["noqueue", "tbf", "htb", "pfifo", "bfifo", "ingress"])
        try assertAgreesWithTc(ns)
        let ours = try XCTUnwrap(v.json("-n", ns, "qdisc", "show", "--dev", "qa1").first)
        XCTAssertEqual(ours["handle"] as? String, "564b:")
        XCTAssertGreaterThan(ours["packets"] as? Int ?? 0, 0, "no counted packets: \(ours)")
    }

    func testDevShowsThatLinksQdiscsOnly() throws {
        try requireKernel()
        let ns = try populated()
        for dev in ["qa1", "qa2", "qa3", "qa4", "qb1", "qa7"] { try assertAgreesWithTc(ns, dev: dev) }
        let htb = try v.json("-n", ns, "qdisc", "show", "--dev", "qa3")
        XCTAssertEqual(htb.map { $0["kind"] as? String ?? "" }, ["htb", "pfifo"])
        XCTAssertEqual(htb.last?["parent"] as? String, "1:10")
        XCTAssertEqual(try v.json("-n", ns, "qdisc", "show", "--dev", "qb2").count, 0, "a link that is down has no qdisc to show")
    }

    /// The text is `tc -s qdisc show`'s, line for line (trailing blanks aside).
    func testTextAgreesWithTc() throws {
        try requireKernel()
        let ns = try populated()
        func lines(_ s: String) -> [String] {
            s.split(separator: "\n").map { String($0).replacingOccurrences(of: " +$", with: "", options: .regularExpression) }
        }
        for dev in ["qa1", "qa2", "qa3", "qa4", "qa5", "qa6", "qa7", "qa8", "qb1"] {
            for attempt in 0..<2 {  // counters may move between the two reads (a late ARP retry)
                let theirs = lines(try tc("-n", ns, "-s", "qdisc", "show", "dev", dev))
                let ours = lines(try v.ok("-n", ns, "qdisc", "show", "--dev", dev))
                if ours == theirs { break }
                if attempt == 1 { XCTAssertEqual(ours, theirs, dev) }
            }
        }
        let all = try v.ok("-n", ns, "qdisc", "show")
        XCTAssertTrue(all.contains("qdisc tbf 564b: dev qa1 root"), all)
        XCTAssertTrue(all.contains("qdisc pfifo 10: dev qa3 parent 1:10"), all)
    }

    func testMissingAndBadDeviceNames() throws {
        try requireKernel()
        let ns = try quietNamespace("vk-q")
        let missing = try v.run(["-n", ns, "qdisc", "show", "--dev", "nosuch0"])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("nosuch0"), missing.stderr)
        XCTAssertEqual(try v.json("-n", ns, "qdisc", "show", "--dev", "lo").first?["kind"] as? String, "noqueue")
    }

    /// Refused before any syscall: exit 2 naming the input, also as uid 65534.
    func testBadInputIsRefusedWithoutPrivilege() throws {
        for (args, words) in [(["qdisc", "show", "--dev", "a/b"], "a/b"), (["qdisc", "show", "--dev", String(repeating: "x", count: 16)], "xxxxxxxxxxxxxxxx"),
                              (["-n", "../etc", "qdisc", "show"], "../etc"), (["qdisc", "show", "--dev", "tab\tbed"], "tab")] {
            let r = try runUnprivileged(v.path, args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(words), "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("EPERM") || r.stderr.contains("CAP_NET_ADMIN"), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
    }
}
