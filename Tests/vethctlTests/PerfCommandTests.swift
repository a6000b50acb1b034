import Foundation
import VethKitTestSupport
import XCTest

/// `vethctl perf` as a user types it: the text layout, the JSON with iperf3's key names (checked
/// against iperf3 -J's own output in the same test), and every bad argument refused with exit 2
/// naming it, before any syscall (proven as uid 65534).
final class PerfCommandTests: XCTestCase {
    let v = Vethctl()
    let s = uniqueSuffix()
    var topo: String { "pc\(s)" }

    var yaml: String {
        """
        name: \(topo)
        nodes:
          a: {}
          b: {}
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.213.0.1/24]}, {node: b, name: eth0, addresses: [10.213.0.2/24]}]
        """
    }

    func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "vethctl-perf-\(uniqueSuffix()).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func up() throws -> String {
        try requireKernel()
        let path = try file(yaml)
        addTeardownBlock { [v, topo] in _ = try? v.run(["down", topo]) }
        try v.ok("up", path, "-q")
        return path
    }

    /// The value at a dotted path (`end.sum_sent.bits_per_second`, `intervals.0.sum.bytes`).
    func value(_ json: Any, _ path: String) -> Any? {
        var cur: Any? = json
        for k in path.split(separator: ".") {
            if let i = Int(k) { cur = (cur as? [Any]).flatMap { i < $0.count ? $0[i] : nil } } else { cur = (cur as? [String: Any])?[String(k)] }
        }
        return cur
    }

    func number(_ json: Any, _ path: String, file: StaticString = #filePath, line: UInt = #line) -> Double? {
        let n = value(json, path) as? NSNumber
        XCTAssertNotNil(n, "\(path) is a number", file: file, line: line)
        return n?.doubleValue
    }

    // MARK: kernel (sandbox)

    func testTextShowsIntervalsTotalsAndPath() throws {
        let path = try up()
        let r = try v.run(["perf", path, "a", "b", "--duration", "1.2", "--interval", "0.5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "perf \(topo): a -> b, TCP, 1 stream, 1.20 s (goodput counted by the receiver)")
        XCTAssertEqual(lines.dropFirst().first, "Interval           Transfer     Bitrate          Retr")
        let intervals = lines.filter { $0.range(of: #"^\d+\.\d\d-\d+\.\d\d +sec .*bits/sec +\d+$"#, options: .regularExpression) != nil }
        XCTAssertEqual(intervals.count, 2, r.stdout)
        XCTAssertTrue(lines.contains { $0.range(of: #"^0\.00-1\.20 +sec .*bits/sec +\d+ retransmits  sender$"#, options: .regularExpression) != nil }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasSuffix("  receiver") }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("goodput a -> b (10.213.0.2): ") && $0.hasSuffix(", counted by the receiver") }, r.stdout)
        XCTAssertTrue(lines.contains("path: a/eth0 -> b/eth0"), r.stdout)
        XCTAssertTrue(lines.contains("  a/eth0: rx_dropped +0 tx_dropped +0"), r.stdout)

        let u = try v.run(["perf", path, "a", "10.213.0.2", "--udp", "--bitrate", "20mbit", "--duration", "0.5"])
        XCTAssertEqual(u.status, 0, u.stderr)
        XCTAssertTrue(u.stdout.contains("UDP at 20.00 Mbits/sec per stream"), u.stdout)
        XCTAssertTrue(u.stdout.range(of: #"ms jitter  0/\d+ lost \(0\.00%\)  receiver"#, options: .regularExpression) != nil, u.stdout)
    }

    /// The summary keys users' scripts read are where iperf3 -J puts them, with numbers: shown by
    /// running iperf3 on the same path and reading the same paths from both.
    func testJSONUsesIperf3sKeys() throws {
        let path = try up()
        let tcpKeys = ["end.sum_received.bits_per_second", "end.sum_received.bytes", "end.sum_received.seconds",
                       "end.sum_sent.bits_per_second", "end.sum_sent.bytes", "end.sum_sent.retransmits",
                       "end.streams.0.sender.retransmits", "end.streams.0.receiver.bytes", "start.test_start.num_streams",
                       "intervals.0.sum.bits_per_second", "intervals.0.sum.bytes", "intervals.0.sum.start", "intervals.0.sum.end"]
        let udpKeys = ["end.sum.lost_packets", "end.sum.packets", "end.sum.lost_percent", "end.sum.jitter_ms", "end.sum.bits_per_second",
                       "end.sum_received.bits_per_second", "end.sum_sent.bits_per_second", "intervals.0.sum.bits_per_second"]
        let tcp = try v.run(["perf", path, "a", "b", "--duration", "1", "--streams", "2", "--json"])
        XCTAssertEqual(tcp.status, 0, tcp.stderr)
        let t = try JSONSerialization.jsonObject(with: Data(tcp.stdout.utf8))
        for k in tcpKeys { _ = number(t, k) }
        XCTAssertGreaterThan(number(t, "end.sum_received.bits_per_second") ?? 0, 1e8)
        XCTAssertEqual(number(t, "end.sum_received.bytes"), number(t, "end.sum_sent.bytes"))
        let intervals = try XCTUnwrap(value(t, "intervals") as? [[String: Any]])
        XCTAssertEqual(intervals.compactMap { (($0["sum"] as? [String: Any])?["bytes"] as? NSNumber)?.doubleValue }.reduce(0, +),
                       number(t, "end.sum_received.bytes"))
        XCTAssertEqual((value(t, "end.streams") as? [Any])?.count, 2)
        XCTAssertEqual(value(t, "vethkit.goodput_counted_by") as? String, "receiver")
        XCTAssertEqual((value(t, "vethkit.path") as? [[String: Any]])?.compactMap { $0["interface"] as? String }, ["eth0", "eth0"])
        _ = number(t, "vethkit.path.0.rx_dropped")
        _ = number(t, "vethkit.path.1.tx_dropped")

        let udp = try v.run(["perf", path, "a", "b", "--duration", "0.5", "--udp", "--bitrate", "30M", "--json"])
        XCTAssertEqual(udp.status, 0, udp.stderr)
        let u = try JSONSerialization.jsonObject(with: Data(udp.stdout.utf8))
        for k in udpKeys { _ = number(u, k) }
        XCTAssertEqual(number(u, "end.sum_sent.bits_per_second") ?? 0, 30e6, accuracy: 1e6)
        XCTAssertEqual(number(u, "end.sum.lost_packets"), 0)

        // The same paths in iperf3's own JSON.
        try requireComponent("/usr/bin/iperf3", package: "iperf3")
        for (keys, extra) in [(tcpKeys, ["-P", "2"]), (udpKeys, ["-u", "-b", "30M"])] {
            let server = try BackgroundProcess("/usr/sbin/ip", ["netns", "exec", "\(topo)-b", "/usr/bin/iperf3", "-s", "-1", "-p", "5298"])
            defer { server.stop() }
            var result: ProcessResult?
            try waitUntil("iperf3's server accepts") {
                let r = try runProcess("/usr/sbin/ip", ["netns", "exec", "\(topo)-a", "/usr/bin/iperf3", "-c", "10.213.0.2", "-p", "5298", "-t", "1", "-J"] + extra, timeout: 30)
                result = r
                return r.status == 0 && !r.stdout.contains("\"error\"")
            }
            let r = try XCTUnwrap(result)
            let i = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
            for k in keys { XCTAssertNotNil(value(i, k) as? NSNumber, "iperf3 -J has \(k) too") }
        }
    }

    func testNotUpAndUnreachableExitOne() throws {
        try requireKernel()
        let path = try file(yaml)
        let r = try v.run(["perf", path, "a", "b", "--duration", "1"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("node a of topology \(topo) is not up"), r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    // MARK: no kernel needed: refused before any syscall (as uid 65534)

    func testBadArgumentsExitTwoNamingThem() throws {
        let path = try file(yaml)
        let cases: [([String], String)] = [
            (["h9", "b"], "FROM \"h9\": no node of that name in topology \(topo) (nodes: a, b), and not an address"),
            (["a", "10.9.9.9"], "TO \"10.9.9.9\": no node of topology \(topo) has this address"),
            (["a", "a"], "FROM and TO are the same node (a)"),
            (["a", "b", "--duration", "0"], "invalid --duration \"0\": expected seconds, more than 0 and at most 86400"),
            (["a", "b", "--duration=-1"], "invalid --duration \"-1\""),
            (["a", "b", "--duration", "86401"], "invalid --duration \"86401\""),
            (["a", "b", "--duration", "1e300"], "invalid --duration \"1e300\""),
            (["a", "b", "--duration", "inf"], "invalid --duration \"inf\""),
            (["a", "b", "--duration", "nan"], "invalid --duration \"nan\""),
            (["a", "b", "--duration", "ten"], "invalid --duration \"ten\""),
            (["a", "b", "--streams", "0"], "invalid --streams \"0\": expected a whole number from 1 to 128"),
            (["a", "b", "--streams", "100000"], "invalid --streams \"100000\""),
            (["a", "b", "--streams", "99999999999999999999999"], "invalid --streams \"99999999999999999999999\""),
            (["a", "b", "--interval", "0"], "invalid --interval \"0\": expected seconds from 0.1 to 60"),
            (["a", "b", "--udp", "--bitrate", "fast"], "invalid --bitrate \"fast\": expected a rate more than 0 and at most 1tbit"),
            (["a", "b", "--udp", "--bitrate", "10xbit"], "invalid --bitrate \"10xbit\""),
            (["a", "b", "--udp", "--bitrate", "0"], "invalid --bitrate \"0\""),
            (["a", "b", "--udp", "--bitrate", "2tbit"], "invalid --bitrate \"2tbit\""),
            (["a", "b", "--udp", "--bitrate", "1e9"], "invalid --bitrate \"1e9\""),
            (["a", "b", "--udp", "--bitrate", "mbit"], "invalid --bitrate \"mbit\""),
            (["a", "b", "--udp", "--bitrate", "5\u{7}mbit"], "invalid --bitrate \"5\\x07mbit\""),
            (["a", "b", "--bitrate", "10mbit"], "--bitrate \"10mbit\" needs --udp"),
        ]
        for (args, words) in cases {
            let r = try runUnprivileged(v.path, ["perf", path] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(words), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("EPERM") || r.stderr.contains("CAP_NET_ADMIN"), "\(args) reached the kernel: \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args)")
        }
        // Huge values: refused, and the message shows at most 64 characters of them.
        let huge = String(repeating: "x", count: 100_000)
        for args in [[huge, "b"], ["a", "b", "--udp", "--bitrate", huge], ["a", "b", "--duration", huge], ["a", "b", "--streams", huge]] {
            let r = try runUnprivileged(v.path, ["perf", path] + args)
            XCTAssertEqual(r.status, 2, r.stderr.prefix(300) + "")
            XCTAssertLessThan(r.stderr.count, 400, r.stderr.prefix(300) + "")
            XCTAssertTrue(r.stderr.contains(String(repeating: "x", count: 64) + "…"), r.stderr.prefix(300) + "")
        }
        // A missing file and a missing argument are bad input too.
        XCTAssertEqual(try runUnprivileged(v.path, ["perf", path + ".none", "a", "b"]).status, 2)
        XCTAssertEqual(try runUnprivileged(v.path, ["perf", path, "a"]).status, 2)
        XCTAssertEqual(try runUnprivileged(v.path, ["perf", path, "a", "b", "--duration", "-1"]).status, 2)
        let help = try v.run(["perf", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("--bitrate <rate>"), help.stdout)
    }

    func testValidRatesAreAccepted() throws {
        // Parsed and refused only later for the file (no such file): the rate itself passed.
        for rate in ["100mbit", "1gbit", "500kbit", "50M", "1G", "800K", "12500000", "1.5mbit", "10mbps", "1Mibit", "100MBIT"] {
            let r = try runUnprivileged(v.path, ["perf", "/nonexistent/\(topo).yaml", "a", "b", "--udp", "--bitrate", rate])
            XCTAssertEqual(r.status, 2, rate)
            XCTAssertFalse(r.stderr.contains("--bitrate"), "\(rate): \(r.stderr)")
        }
    }
}
