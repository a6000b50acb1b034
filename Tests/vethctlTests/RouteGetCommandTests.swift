import Foundation
import VethKitJSON
import VethKitTestSupport
import XCTest

/// `vethctl route get` against `ip -j route get`, key by key: a local address, a gateway route
/// with metrics, a source and mark a policy rule selects on, protocol and ports, an input device
/// (a forwarded packet), an output device, IPv6, fibmatch; and the errors.
final class RouteGetCommandTests: XCTestCase {
    let v = Vethctl()
    var ns = ""

    override func setUpWithError() throws {
        try requireKernel()
        ns = "rg-\(uniqueSuffix())"
        try ip("netns", "add", ns)
        try ip("netns", "exec", ns, "/usr/sbin/sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
               "net.ipv4.ip_forward=1")
        let setup = """
            link add rga type veth peer name rgap
            link add rgb type veth peer name rgbp
            link set rga up
            link set rgap up
            link set rgb up
            link set rgbp up
            addr add 10.165.1.1/24 dev rga
            addr add 10.165.2.1/24 dev rgb
            -6 addr add fd65:1::1/64 dev rga nodad
            route add 10.165.10.0/24 via 10.165.1.2 mtu lock 1400 advmss 1300
            route add 10.165.10.0/24 via 10.165.2.2 table 7
            rule add fwmark 7 lookup 7
            rule add from 10.165.2.1 lookup 7
            -6 route add fd65:9::/64 via fd65:1::2 hoplimit 9
            route add blackhole 10.165.66.0/24
            """
        for line in setup.split(separator: "\n") {
            let r = try runProcess("/usr/sbin/ip", ["-n", ns] + line.split(separator: " ").map(String.init))
            XCTAssertEqual(r.status, 0, "ip \(line): \(r.stderr)")
        }
    }

    override func tearDownWithError() throws {
        guard !ns.isEmpty else { return }
        _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns])
    }

    /// Each query, asked of ip and of vethctl: every key ip prints is in vethctl's answer.
    func testEveryQueryAnswersAsIPDoes() throws {
        let queries: [([String], [String])] = [
            (["10.165.1.1"], []),
            (["10.165.10.5"], []),
            (["10.165.10.5", "mark", "7"], ["--mark", "7"]),
            (["10.165.10.5", "from", "10.165.2.1"], ["--from", "10.165.2.1"]),
            (["10.165.10.5", "from", "10.165.1.1", "ipproto", "tcp", "dport", "443", "sport", "1234"],
             ["--from", "10.165.1.1", "--ipproto", "tcp", "--dport", "443", "--sport", "1234"]),
            (["10.165.10.5", "from", "10.165.1.9", "iif", "rgb"], ["--from", "10.165.1.9", "--iif", "rgb"]),
            (["10.165.2.9", "oif", "rgb"], ["--oif", "rgb"]),
            (["10.165.10.5", "uid", "1000"], ["--uid", "1000"]),
            (["fd65:9::5"], []),
            (["fd65:1::1"], []),
            (["10.165.10.5", "fibmatch"], ["--fibmatch"]),
            (["fd65:9::5", "fibmatch"], ["--fibmatch"]),
        ]
        var keys = Set<String>()
        for (ipWords, options) in queries {
            let r = try runProcess("/usr/sbin/ip", ["-j", "-n", ns, "route", "get"] + ipWords)
            XCTAssertEqual(r.status, 0, "ip route get \(ipWords): \(r.stderr)")
            let theirs = try JSON.parse(r.stdout)
            let mine = try JSON.parse(try v.ok(["-n", ns, "route", "get", ipWords[0], "--json"] + options))
            XCTAssertEqual(differencesFromIP(theirs, mine), [], "route get \(ipWords)")
            for o in theirs.arrayValue ?? [] { keys.formUnion(o.objectValue?.map(\.key) ?? []) }
        }
        // What the comparison covered.
        XCTAssertTrue(keys.isSuperset(of: ["type", "dst", "from", "gateway", "dev", "prefsrc", "flags", "mark", "uid", "cache", "metrics", "iif"]), "\(keys.sorted())")
        // The policy rules chose table 7's gateway for the mark and the source: a real lookup.
        let marked = try JSON.parse(try v.ok("-n", ns, "route", "get", "10.165.10.5", "--mark", "7", "--json"))
        XCTAssertEqual(marked.arrayValue?.first?["gateway"], .string("10.165.2.2"))
        let plain = try JSON.parse(try v.ok("-n", ns, "route", "get", "10.165.10.5", "--json"))
        XCTAssertEqual(plain.arrayValue?.first?["gateway"], .string("10.165.1.2"))
        XCTAssertEqual(plain.arrayValue?.first?["metrics"]?.arrayValue?.first?["mtu"], .int(1400))
        // The text: one row and the detail line (uid, cache, metrics).
        let text = try v.ok("-n", ns, "route", "get", "10.165.10.5")
        XCTAssertTrue(text.contains("10.165.10.5  10.165.1.2  rga"), text)
        XCTAssertTrue(text.contains("    uid 0 cache mtu lock 1400 advmss 1300"), text)
        XCTAssertTrue(try v.ok("-n", ns, "route", "get", "10.165.1.1").contains("cache <local>"))
    }

    /// What cannot be looked up: the kernel's reason, one line, exit 1, as ip's; bad input is
    /// exit 2 before any syscall.
    func testErrorsAreOneLine() throws {
        for (address, reason) in [("10.200.0.1", "Network is unreachable"), ("10.165.66.1", "Invalid argument")] {
            let ipAnswer = try runProcess("/usr/sbin/ip", ["-n", ns, "route", "get", address])
            XCTAssertNotEqual(ipAnswer.status, 0)
            let r = try v.run(["-n", ns, "route", "get", address])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(reason) && r.stderr.contains("route get \(address)"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        let missing = try v.run(["-n", ns, "route", "get", "10.165.1.1", "--oif", "nosuch0"])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("nosuch0"), missing.stderr)
        let bad: [([String], String)] = [
            (["10.165.1.300"], "10.165.1.300"), (["10.165.1.0/24"], "10.165.1.0/24"), (["10.165.1.1", "--from", "fd65:1::1"], "address family"),
            (["10.165.1.1", "--dport", "80"], "need --ipproto"), (["10.165.1.1", "--ipproto", "bogus"], "bogus"),
            (["10.165.1.1", "--iif", "a/b"], "a/b"), (["10.165.1.1", "--sport", "70000"], "70000"),
            (["10.165.1.1\u{1}"], "10.165.1.1"),
        ]
        for (args, message) in bad {
            let r = try v.run(["-n", ns, "route", "get"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }
}
