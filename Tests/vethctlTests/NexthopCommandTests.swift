import Foundation
import VethKitJSON
import VethKitTestSupport
import XCTest

/// `vethctl nexthop`: shown as `ip -j nexthop show`, added as `ip nexthop add` adds, a group that
/// carries real packets, and bad input refused before any syscall.
final class NexthopCommandTests: XCTestCase {
    let v = Vethctl()
    var namespaces: [String] = []

    override func setUpWithError() throws { try requireKernel() }

    override func tearDownWithError() throws {
        for ns in namespaces { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", ns]) }
    }

    /// A namespace with nh0 (10.166.40.1/24, fd66:40::1/64) up, its peer nh1 in `peer`'s namespace if given.
    func namespace() throws -> String {
        let ns = "ru-\(uniqueSuffix())"
        try ip("netns", "add", ns)
        namespaces.append(ns)
        try run(ns, """
            link set lo up
            link add nh0 type veth peer name nh1
            link set nh0 up
            link set nh1 up
            addr add 10.166.40.1/24 dev nh0
            -6 addr add fd66:40::1/64 dev nh0 nodad
            """)
        return ns
    }

    func run(_ ns: String, _ lines: String) throws {
        for line in lines.split(separator: "\n") where !line.isEmpty {
            let r = try runProcess("/usr/sbin/ip", ["-n", ns] + line.split(separator: " ").map(String.init))
            XCTAssertEqual(r.status, 0, "ip \(line): \(r.stderr)")
        }
    }

    func ipJSON(_ ns: String, _ args: String...) throws -> JSON {
        let r = try runProcess("/usr/sbin/ip", ["-j", "-n", ns] + args)
        XCTAssertEqual(r.status, 0, "ip \(args): \(r.stderr)")
        return try JSON.parse(r.stdout.isEmpty ? "[]" : r.stdout)
    }

    /// The objects of each kind (gateway, onlink, device, blackhole v4/v6, weighted group,
    /// resilient group, fdb), made with ip, as `ip -j nexthop show` prints them.
    static let objects: [(ip: String, vethctl: [String])] = [
        ("id 1 via 10.166.40.2 dev nh0", ["--id", "1", "--via", "10.166.40.2", "--dev", "nh0"]),
        ("id 2 blackhole", ["--id", "2", "--blackhole"]),
        ("id 3 via 10.167.0.2 dev nh0 onlink proto static", ["--id", "3", "--via", "10.167.0.2", "--dev", "nh0", "--onlink", "--protocol", "static"]),
        ("id 4 dev nh0", ["--id", "4", "--dev", "nh0"]),
        ("id 5 group 1,3/4", ["--id", "5", "--group", "1,3/4"]),
        ("id 7 via fd66:40::2 dev nh0", ["--id", "7", "--via", "fd66:40::2", "--dev", "nh0"]),
        ("id 8 group 1/4 type resilient buckets 8 idle_timer 60 unbalanced_timer 30", ["--id", "8", "--group", "1/4", "--type", "resilient", "--buckets", "8", "--idle-timer", "60", "--unbalanced-timer", "30"]),
        ("id 9 group 1/3/4 type resilient buckets 4", ["--id", "9", "--group", "1/3/4", "--type", "resilient", "--buckets", "4"]),
        ("id 10 via 10.166.40.5 fdb", ["--id", "10", "--via", "10.166.40.5", "--fdb"]),
        ("id 11 group 10 fdb", ["--id", "11", "--group", "10", "--fdb"]),
        ("-6 id 12 blackhole", ["--id", "12", "--blackhole", "-6"]),
        ("id 13 group 1,256", ["--id", "13", "--group", "1,256"]),
    ]

    func add(_ ns: String, _ words: String) throws {
        let w = words.split(separator: " ").map(String.init)
        let args = w.first == "-6" ? ["-6", "nexthop", "add"] + w.dropFirst() : ["nexthop", "add"] + w
        try run(ns, args.joined(separator: " "))
    }

    func testShowIsAsIPShows() throws {
        let ns = try namespace()
        for o in Self.objects { try add(ns, o.ip) }
        let theirs = try ipJSON(ns, "nexthop", "show")
        let mine = try JSON.parse(try v.ok("-n", ns, "nexthop", "show", "--json"))
        XCTAssertEqual(differencesFromIP(theirs, mine), [])
        XCTAssertEqual(mine.arrayValue?.count, Self.objects.count)
        // What the comparison covered:
        let byID = Dictionary(uniqueKeysWithValues: (mine.arrayValue ?? []).map { ($0["id"]!.text(), $0) })
        XCTAssertEqual(byID["5"]?["group"]?.arrayValue?.first?["weight"], .int(3))
        XCTAssertEqual(byID["8"]?["resilient_args"]?["idle_timer"], .int(60))
        XCTAssertEqual(byID["8"]?["resilient_args"]?["buckets"], .int(8))
        XCTAssertEqual(byID["3"]?["flags"], .array([.string("onlink")]))
        XCTAssertEqual(byID["4"]?["scope"], .string("host"))
        XCTAssertEqual(byID["10"]?["fdb"], .null)
        XCTAssertEqual(byID["13"]?["group"]?.arrayValue?.first?["weight"], .int(256))
        XCTAssertTrue(try v.ok("-n", ns, "nexthop").contains("1,3/4"))
    }

    /// The same words through ip and vethctl make the same objects (`ip -d -j nexthop` alike);
    /// del removes one object and leaves the others.
    func testAddMakesWhatIPMakesAndDelRemovesOne() throws {
        let (a, b) = (try namespace(), try namespace())
        for o in Self.objects { try add(a, o.ip) }
        for o in Self.objects { _ = try v.ok(["-n", b, "nexthop", "add"] + o.vethctl) }
        XCTAssertEqual(try ipJSON(a, "-d", "nexthop", "show"), try ipJSON(b, "-d", "nexthop", "show"))
        _ = try v.ok("-n", b, "nexthop", "del", "--id", "5")
        try run(a, "nexthop del id 5")
        XCTAssertEqual(try ipJSON(a, "-d", "nexthop", "show"), try ipJSON(b, "-d", "nexthop", "show"))
        XCTAssertEqual(try ipJSON(b, "nexthop").arrayValue?.count, Self.objects.count - 1)
        let r = try v.run(["-n", b, "nexthop", "del", "--id", "5"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("\"5\""), r.stderr)
    }

    /// A route through a vethctl-made nexthop object carries real packets to the other namespace;
    /// deleting the object takes the route, and the ping fails.
    func testRouteThroughNexthopObjectCarriesPackets() throws {
        let a = try namespace()
        let b = "ru-\(uniqueSuffix())"
        try ip("netns", "add", b)
        namespaces.append(b)
        try run(a, "link set nh1 netns \(b)")
        try run(b, "link set lo up\nlink set nh1 up\naddr add 10.166.40.2/24 dev nh1\naddr add 10.167.40.1/32 dev lo")
        func ping() throws -> Int32 {
            try runProcess("/usr/sbin/ip", ["netns", "exec", a, "ping", "-c1", "-W2", "10.167.40.1"]).status
        }
        XCTAssertNotEqual(try ping(), 0)
        _ = try v.ok("-n", a, "nexthop", "add", "--id", "40", "--via", "10.166.40.2", "--dev", "nh0")
        _ = try v.ok("-n", a, "nexthop", "add", "--id", "41", "--group", "40")
        _ = try v.ok("-n", a, "route", "add", "10.167.40.0/24", "--nhid", "41")
        XCTAssertEqual(try ping(), 0, "the route's group leads to \(b)")
        _ = try v.ok("-n", a, "nexthop", "del", "--id", "41")
        XCTAssertNotEqual(try ping(), 0, "the route went with its nexthop object")
    }

    func testBadInputIsRefusedBeforeAnySyscall() throws {
        let ns = try namespace()
        let refusals: [([String], String)] = [
            (["--id", "0", "--blackhole"], "0"),
            (["--id", "99999999999", "--blackhole"], "99999999999"),
            (["--id", "1"], "--via"),
            (["--id", "1", "--via", "10.166.40.300", "--dev", "nh0"], "10.166.40.300"),
            (["--id", "1", "--via", "10.166.40.2"], "--dev"),
            (["--id", "1", "--blackhole", "--dev", "nh0"], "one of"),
            (["--id", "1", "--group", "2,0"], "\"0\""),
            (["--id", "1", "--group", "2,257"], "257"),
            (["--id", "1", "--group", "2/2"], "twice"),
            (["--id", "1", "--group", "1/2"], "itself"),
            (["--id", "1", "--group", "2,x"], "2,x"),
            (["--id", "1", "--group", "2", "--type", "frob"], "frob"),
            (["--id", "1", "--dev", "nh0", "--buckets", "8"], "resilient"),
            (["--id", "1", "--dev", "nh\u{1}0"], "nh"),
            (["--id", "1", "--via", "10.166.40.2", "--dev", "nh0", "-6"], "10.166.40.2"),
            (["--id", "1", "--dev", "nh0", "--onlink"], "onlink"),
            (["--id", "1", "--group", "2/3", "--type", "resilient"], "--buckets"),
        ]
        for (args, mentions) in refusals {
            let r = try v.run(["-n", ns, "nexthop", "add"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(mentions), "\(args): \(r.stderr) should name \(mentions)")
        }
        XCTAssertEqual(try ipJSON(ns, "nexthop"), .array([]), "nothing made")
    }
}
