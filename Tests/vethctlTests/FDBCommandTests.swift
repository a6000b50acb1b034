import Foundation
import VethKitJSON
import VethKitTestSupport
import XCTest

/// `vethctl fdb` against `bridge fdb` / `bridge -j fdb`: a bridge's learnt, static, permanent and
/// sticky entries, ports' own entries, a vxlan's remotes (dst, port, vni), -s times, the
/// selectors; add/append/replace/del make what bridge makes; a static entry steers real frames.
final class FDBCommandTests: XCTestCase {
    let v = Vethctl()
    var ns = ""

    override func setUpWithError() throws {
        try requireKernel()
        ns = "fd-\(uniqueSuffix())"
        try ip("netns", "add", ns)
        let setup = """
            ip link add fdbr type bridge
            ip link add fda type veth peer name fdap
            ip link add fdb type veth peer name fdbp
            ip link set fda master fdbr
            ip link set fdb master fdbr
            ip link set fdbr up
            ip link set fda up
            ip link set fdap up
            ip link set fdb up
            ip link add fdvx type vxlan id 42 dstport 4789 local 10.169.0.1 nolearning
            bridge fdb add 02:00:00:00:69:01 dev fda master static
            bridge fdb add 02:00:00:00:69:02 dev fda master dynamic
            bridge fdb add 02:00:00:00:69:03 dev fda self permanent
            bridge fdb add 02:00:00:00:69:04 dev fdb master sticky static
            bridge fdb append 00:00:00:00:00:00 dev fdvx dst 10.169.0.2
            bridge fdb append 00:00:00:00:00:00 dev fdvx dst 10.169.0.3 port 4790 vni 43
            """
        for line in setup.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            let r = try runProcess(words[0] == "ip" ? "/usr/sbin/ip" : "/usr/sbin/bridge", ["-n", ns] + words.dropFirst())
            XCTAssertEqual(r.status, 0, "\(line): \(r.stderr)")
        }
    }

    override func tearDownWithError() throws {
        guard !ns.isEmpty else { return }
        _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns])
    }

    func bridgeJSON(_ ns: String, _ args: [String]) throws -> JSON { try iproute2JSON("bridge", namespace: ns, args) }

    /// Entries keyed by what identifies them (the kernel lists hash tables: order may differ).
    /// (`withDevice` false: bridge leaves `ifname` out when its selector names the device.)
    func keyed(_ j: JSON, withDevice: Bool = true) -> [String: JSON] {
        var out: [String: JSON] = [:]
        for e in j.arrayValue ?? [] {
            let k = (withDevice ? ["mac", "ifname", "dst", "vlan", "master"] : ["mac", "dst", "vlan", "master"]).map { e[$0]?.text() ?? "-" }.joined(separator: " ") + " \(e["flags"]?.text() ?? "")"
            out[k] = e
        }
        return out
    }

    func assertSame(_ theirs: JSON, _ mine: JSON, _ what: String, withDevice: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
        let t = keyed(theirs, withDevice: withDevice), m = keyed(mine, withDevice: withDevice)
        XCTAssertFalse(t.isEmpty, "\(what): bridge listed nothing", file: file, line: line)
        XCTAssertEqual(Set(t.keys), Set(m.keys), what, file: file, line: line)
        for (k, e) in t {
            guard let o = m[k] else { continue }
            XCTAssertEqual(differencesFromIP(e, o, typeOnly: ["used", "updated"]), [], "\(what): \(k)", file: file, line: line)
        }
    }

    func testShowMatchesBridgeForEverySelector() throws {
        for (theirs, mine) in [([String](), [String]()), (["br", "fdbr"], ["--br", "fdbr"]), (["dev", "fda"], ["--dev", "fda"]),
                               (["dev", "fdvx"], ["--dev", "fdvx"]), (["state", "static"], ["--state", "static"]),
                               (["state", "permanent"], ["--state", "permanent"])] {
            // A port learns its peer's address in its own time (IPv6 traffic): read until stable.
            var t = try bridgeJSON(ns, ["fdb", "show"] + theirs), m = JSON.null
            for _ in 0..<10 {
                m = try JSON.parse(try v.ok(["-n", ns, "fdb", "show", "--json"] + mine))
                let again = try bridgeJSON(ns, ["fdb", "show"] + theirs)
                if again == t { break }
                t = again
            }
            assertSame(t, m, "fdb show \(theirs)", withDevice: theirs.first != "dev")
        }
        let s = try JSON.parse(try v.ok("-n", ns, "fdb", "show", "--br", "fdbr", "-s", "--json"))
        assertSame(try bridgeJSON(ns, ["-s", "fdb", "show", "br", "fdbr"]), s, "-s fdb show br")
        let all = try JSON.parse(try v.ok("-n", ns, "fdb", "show", "--json")).arrayValue ?? []
        func entry(_ mac: String, _ dst: String? = nil) -> JSON? { all.first { $0["mac"] == .string(mac) && (dst == nil || $0["dst"] == .string(dst!)) } }
        XCTAssertEqual(entry("02:00:00:00:69:01")?["state"], .string("static"))
        XCTAssertEqual(entry("02:00:00:00:69:02")?["state"], .string(""))
        XCTAssertEqual(entry("02:00:00:00:69:03")?["flags"], .array([.string("self")]))
        XCTAssertEqual(entry("02:00:00:00:69:04")?["flags"], .array([.string("sticky")]))
        XCTAssertEqual(entry("00:00:00:00:00:00", "10.169.0.3")?["vni"], .int(43))
        XCTAssertEqual(entry("00:00:00:00:00:00", "10.169.0.3")?["port"], .int(4790))
        let text = try v.ok("-n", ns, "fdb", "show", "--br", "fdbr")
        XCTAssertTrue(text.split(separator: "\n").contains { $0.split(separator: " ") == ["02:00:00:00:69:04", "fdb", "-", "fdbr", "static", "sticky", "-"] }, text)
    }

    /// add/append/replace/del with vethctl make what bridge's do (in a twin namespace), and del
    /// deletes only the entry named: the same MAC in the device's own table stays.
    func testAddAppendReplaceDelAreWhatBridgeDoes() throws {
        let twin = "fdt-\(uniqueSuffix())"
        try ip("netns", "add", twin)
        addTeardownBlock { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", twin]) }
        for n in [ns, twin] {
            for l in [["link", "add", "fdbr2", "type", "bridge"], ["link", "add", "fdc", "type", "veth", "peer", "name", "fdcp"],
                      ["link", "set", "fdc", "master", "fdbr2"], ["link", "set", "fdbr2", "up"], ["link", "set", "fdc", "up"], ["link", "set", "fdcp", "up"], ["link", "add", "fdvy", "type", "vxlan", "id", "7", "dstport", "4789", "nolearning"]] {
                try ip(["-n", n] + l)
            }
        }
        let pairs: [([String], [String])] = [
            (["add", "02:00:00:00:69:11", "--dev", "fdc", "--master", "--state", "static"], ["add", "02:00:00:00:69:11", "dev", "fdc", "master", "static"]),
            (["add", "02:00:00:00:69:12", "--dev", "fdc", "--master", "--state", "dynamic"], ["add", "02:00:00:00:69:12", "dev", "fdc", "master", "dynamic"]),
            (["add", "02:00:00:00:69:13", "--dev", "fdc", "--master", "--sticky", "--state", "static"], ["add", "02:00:00:00:69:13", "dev", "fdc", "master", "sticky", "static"]),
            (["add", "02:00:00:00:69:14", "--dev", "fdc"], ["add", "02:00:00:00:69:14", "dev", "fdc"]),
            (["add", "02:00:00:00:69:11", "--dev", "fdc", "--self"], ["add", "02:00:00:00:69:11", "dev", "fdc", "self"]),
            (["append", "00:00:00:00:00:00", "--dev", "fdvy", "--dst", "10.169.1.2"], ["append", "00:00:00:00:00:00", "dev", "fdvy", "dst", "10.169.1.2"]),
            (["append", "00:00:00:00:00:00", "--dev", "fdvy", "--dst", "10.169.1.3", "--vni", "9", "--port", "4790"],
             ["append", "00:00:00:00:00:00", "dev", "fdvy", "dst", "10.169.1.3", "vni", "9", "port", "4790"]),
            (["replace", "02:00:00:00:69:12", "--dev", "fdc", "--master", "--state", "static"], ["replace", "02:00:00:00:69:12", "dev", "fdc", "master", "static"]),
        ]
        for (mine, theirs) in pairs {
            try v.ok(["-n", ns, "fdb"] + mine)
            let r = try runProcess("/usr/sbin/bridge", ["-n", twin, "fdb"] + theirs)
            XCTAssertEqual(r.status, 0, "bridge fdb \(theirs): \(r.stderr)")
        }
        for args in [["fdb", "show", "dev", "fdc"], ["fdb", "show", "dev", "fdvy"]] {
            // The bridges' own random MACs differ between the namespaces: compare what was added.
            func added(_ j: JSON) -> JSON { .array((j.arrayValue ?? []).filter { ($0["mac"]?.stringValue ?? "").hasPrefix("02:00:00:00:69") || $0["mac"] == .string("00:00:00:00:00:00") }) }
            let a = added(try bridgeJSON(ns, args)), b = added(try bridgeJSON(twin, args))
            XCTAssertEqual(Set(keyed(a, withDevice: false).keys), Set(keyed(b, withDevice: false).keys), "\(args)")
            XCTAssertGreaterThan(keyed(a, withDevice: false).count, 1, "\(args): something was compared")
            for (k, e) in keyed(b, withDevice: false) { XCTAssertEqual(differencesFromIP(e, keyed(a, withDevice: false)[k] ?? .null), [], "\(args): \(k)") }
        }
        try v.ok("-n", ns, "fdb", "del", "02:00:00:00:69:11", "--dev", "fdc", "--master")
        let left = try bridgeJSON(ns, ["fdb", "show", "dev", "fdc"]).arrayValue ?? []
        XCTAssertFalse(left.contains { $0["mac"] == .string("02:00:00:00:69:11") && $0["master"] != nil })
        XCTAssertTrue(left.contains { $0["mac"] == .string("02:00:00:00:69:11") && $0["flags"] == .array([.string("self")]) }, "the self entry stays")
        let again = try v.run(["-n", ns, "fdb", "del", "02:00:00:00:69:11", "--dev", "fdc", "--master"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("no fdb entry \"02:00:00:00:69:11\""), again.stderr)
        let twice = try v.run(["-n", ns, "fdb", "add", "02:00:00:00:69:13", "--dev", "fdc", "--master", "--state", "static"])
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(twice.stderr.contains("fdb add 02:00:00:00:69:13 dev fdc") && twice.stderr.contains("File exists"), twice.stderr)
        for (args, message) in [(["add", "02:00:00:00:69", "--dev", "fdc"], "02:00:00:00:69"), (["add", "02:00:00:00:69:15", "--dev", "fdc", "--state", "warm"], "warm"),
                                (["add", "02:00:00:00:69:15", "--dev", "fdc", "--vlan", "4095"], "4095"), (["add", "02:00:00:00:69:15", "--dev", "fdc", "--vni", "16777216"], "16777216"),
                                (["add", "02:00:00:00:69:15", "--dev", "fdc", "--master", "--self"], "exclude each other"),
                                (["add", "02:00:00:00:69:15", "--dev", "fd/c"], "fd/c"), (["show", "--state", "warm"], "warm")] {
            let r = try v.run(["-n", ns, "fdb"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        XCTAssertFalse(try bridgeJSON(ns, ["fdb", "show"]).text().contains("02:00:00:00:69:15"), "nothing made by bad input")
    }

    /// A static, sticky entry sends a host's MAC to the wrong port: unicast frames to it are lost
    /// (ARP, a broadcast, still gets through); deleted, the bridge learns the right port again.
    func testStaticEntrySteersRealFrames() throws {
        let x = "fdx-\(uniqueSuffix())", h = "fdh-\(uniqueSuffix())"
        for n in [x, h] { try ip("netns", "add", n) }
        addTeardownBlock { for n in [x, h] { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", n]) } }
        try ip("-n", ns, "link", "set", "fdap", "netns", x)
        try ip("-n", ns, "link", "add", "fdh", "type", "veth", "peer", "name", "fdhp", "netns", h)
        try ip("-n", ns, "link", "set", "fdh", "master", "fdbr")
        try ip("-n", ns, "link", "set", "fdh", "up")
        try ip("-n", x, "link", "set", "fdap", "up")
        try ip("-n", x, "addr", "add", "10.169.5.1/24", "dev", "fdap")
        try ip("-n", h, "link", "set", "fdhp", "up")
        try ip("-n", h, "addr", "add", "10.169.5.2/24", "dev", "fdhp")
        let mac = try XCTUnwrap(try ipJSON("-n", x, "link", "show", "fdap").first?["address"] as? String)
        func ping() throws -> Bool { try runProcess("/usr/sbin/ip", ["netns", "exec", h, "ping", "-c", "1", "-W", "1", "10.169.5.1"]).status == 0 }
        XCTAssertTrue(try ping())
        try v.ok("-n", ns, "fdb", "replace", mac, "--dev", "fdb", "--master", "--state", "static", "--sticky")
        try ip("-n", h, "neigh", "flush", "all")
        XCTAssertFalse(try ping(), "frames for \(mac) go out of fdb, not fda")
        try v.ok("-n", ns, "fdb", "del", mac, "--dev", "fdb", "--master")
        XCTAssertTrue(try ping(), "learnt again on fda")
        XCTAssertTrue((try bridgeJSON(ns, ["fdb", "show", "dev", "fda"]).arrayValue ?? []).contains { $0["mac"] == .string(mac) }, "learnt on fda")
    }
}
