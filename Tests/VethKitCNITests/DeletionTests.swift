import VethKitJSON
import Foundation
import VethKit
import XCTest
@testable import VethKitCNI

/// DEL never strands a pod (issue 13): a runtime calls DEL with the very configuration whose ADD
/// was refused. These run the dispatcher in process (no kernel object can be made: CNI_NETNS does
/// not exist, and every refusal here comes before it is opened).
final class DeletionTests: XCTestCase {
    var dir = ""

    override func setUp() { dir = temporaryDirectory(self) }

    func conf(_ extra: String = "", ipam: String? = nil, version: String = "1.0.0") -> String {
        let i = ipam ?? #"{"type":"vethkit","dataDir":"\#(dir)/data","subnet":"10.1.0.0/24"}"#
        return #"{"cniVersion":"\#(version)","name":"net1","type":"vethkit-cni","ipam":\#(i)\#(extra)}"#
    }

    func run(_ cmd: String, _ stdin: String, env extra: [String: String] = [:]) -> CNIPlugin.Outcome {
        var e = baseEnv.merging(extra) { $1 }
        e["CNI_COMMAND"] = cmd
        return CNIPlugin.run(environment: e.filter { !$0.value.isEmpty }, stdin: Array(stdin.utf8))
    }

    func code(_ o: CNIPlugin.Outcome) -> Int64? { json(o.stdout)["code"]?.intValue }

    /// Every field only ADD uses: ADD refuses it with its code, creates nothing (not even the
    /// store), and DEL with the same configuration exits 0.
    func testAddOnlyFieldsDoNotBlockDel() {
        let cases: [(String, String, Int64)] = [
            ("vlan", conf(#","vlan":5"#), 2),
            ("vlanTrunk", conf(#","vlanTrunk":[{"id":5}]"#), 2),
            ("macspoofchk", conf(#","macspoofchk":true"#), 2),
            ("ipMasqBackend", conf(#","ipMasqBackend":"iptables""#), 2),
            ("mtu too small", conf(#","mtu":10"#), 7),
            ("mtu too large", conf(#","mtu":70000"#), 7),
            ("mtu a string", conf(#","mtu":"1500""#), 7),
            ("isGateway", conf(#","isGateway":"yes""#), 7),
            ("isDefaultGateway", conf(#","isDefaultGateway":1"#), 7),
            ("hairpinMode", conf(#","hairpinMode":"on""#), 7),
            ("promiscMode", conf(#","promiscMode":[]"#), 7),
            ("enabledad", conf(#","enabledad":"no""#), 7),
            ("forceAddress", conf(#","forceAddress":0"#), 7),
            ("bridge with /", conf(#","bridge":"br/x""#), 7),
            ("bridge too long", conf(#","bridge":"a-bridge-name-too-long""#), 7),
            ("bridge a number", conf(#","bridge":5"#), 7),
            ("prevResult garbage", conf(#","prevResult":"x""#), 6),
            ("subnet /33", conf(ipam: #"{"type":"vethkit","dataDir":"\#(dir)/data","subnet":"10.1.0.0/33"}"#), 7),
            ("subnet /31", conf(ipam: #"{"type":"vethkit","dataDir":"\#(dir)/data","subnet":"10.1.0.0/31"}"#), 7),
            ("rangeStart outside", conf(ipam: #"{"type":"vethkit","dataDir":"\#(dir)/data","ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.2.0.1"}]]}"#), 7),
            ("start after end", conf(ipam: #"{"type":"vethkit","dataDir":"\#(dir)/data","ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.9","rangeEnd":"10.1.0.5"}]]}"#), 7),
            ("overlapping ranges", conf(ipam: #"{"type":"vethkit","dataDir":"\#(dir)/data","ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"10.1.0.0/25"}]]}"#), 7),
            ("no ranges", conf(ipam: #"{"type":"vethkit","dataDir":"\#(dir)/data"}"#), 7),
            ("bad route", conf(ipam: #"{"type":"vethkit","dataDir":"\#(dir)/data","subnet":"10.1.0.0/24","routes":[{"dst":"nope"}]}"#), 7),
            ("cniVersion unknown", conf(version: "9.9.9"), 1),
            ("cniVersion too old", conf(version: "0.2.0"), 1),
        ]
        for (what, cfg, want) in cases {
            let add = run("ADD", cfg)
            XCTAssertEqual(add.status, 1, what)
            XCTAssertEqual(code(add), want, "\(what): \(add.stdout)")
            let del = run("DEL", cfg)
            XCTAssertEqual(del.status, 0, "\(what): DEL must not be refused: \(del.stdout)")
            XCTAssertEqual(del.stdout, "", what)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/data"), "\(what): nothing created, not even the store")
        }
    }

    /// Environment only ADD uses: CNI_NETNS (missing, relative, with `..`) and CNI_ARGS.
    func testAddOnlyEnvironmentDoesNotBlockDel() {
        for (what, extra) in [("no netns", ["CNI_NETNS": ""]), ("relative netns", ["CNI_NETNS": "run/x"]),
                              ("netns with ..", ["CNI_NETNS": "/run/netns/../../proc/1/ns/net"]),
                              ("bad CNI_ARGS", ["CNI_ARGS": "K8S_POD_NAME"])] {
            XCTAssertEqual(code(run("ADD", conf(), env: extra)), 4, what)
            let del = run("DEL", conf(), env: extra)
            XCTAssertEqual(del.status, 0, "\(what): \(del.stdout)")
            XCTAssertTrue(del.stderr.isEmpty, "an ignored field is no note: \(del.stderr)")
        }
    }

    /// A field DEL needs, itself invalid: ADD refused it before making anything, so DEL succeeds
    /// without touching anything (nothing is opened: a traversing dataDir is never walked) and
    /// says why on stderr.
    func testInvalidIdentityMeansNothingToRemove() throws {
        let outside = dir + "/outside"
        try FileManager.default.createDirectory(atPath: outside + "/net1", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: outside + "/net1/10.1.0.2", contents: Data("abc123\r\neth0".utf8))
        let cases: [(String, String, [String: String], Int64)] = [
            ("name with ..", #"{"cniVersion":"1.0.0","name":"../net1","ipam":{"type":"vethkit","dataDir":"\#(dir)"}}"#, [:], 7),
            ("no name", #"{"cniVersion":"1.0.0","ipam":{"type":"vethkit","dataDir":"\#(dir)"}}"#, [:], 7),
            ("dataDir with ..", conf(ipam: #"{"type":"vethkit","dataDir":"\#(dir)/data/../outside","subnet":"10.1.0.0/24"}"#), [:], 7),
            ("dataDir relative", conf(ipam: #"{"type":"vethkit","dataDir":"outside","subnet":"10.1.0.0/24"}"#), [:], 7),
            ("ipam.type traversal", conf(ipam: #"{"type":"../../bin/sh"}"#), [:], 7),
            ("ipam a string", conf(ipam: #""host-local""#), [:], 7),
            ("not JSON", "{", [:], 6),
            ("control character", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\u{1}\"}", [:], 6),
            ("container id", conf(), ["CNI_CONTAINERID": "../abc123"], 4),
            ("no container id", conf(), ["CNI_CONTAINERID": ""], 4),
            ("ifname", conf(), ["CNI_IFNAME": "eth0/../x"], 4),
        ]
        for (what, cfg, extra, want) in cases {
            XCTAssertEqual(code(run("ADD", cfg, env: extra)), want, what)
            let del = run("DEL", cfg, env: extra)
            XCTAssertEqual(del.status, 0, "\(what): \(del.stdout)")
            XCTAssertTrue(del.stderr.contains("nothing to remove"), "\(what): says why: \(del.stderr)")
            XCTAssertFalse(del.stderr.contains("\u{1}"), "no raw control character in the note")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: outside + "/net1/10.1.0.2"), "nothing outside dataDir was released")
    }

    /// A symlink in dataDir's path: ADD refuses it (5) and DEL never follows it either — it exits
    /// 0 with a note, the target untouched.
    func testSymlinkedStoreIsNeverFollowedAndDoesNotBlockDel() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/real/net1", withIntermediateDirectories: true)
        fm.createFile(atPath: dir + "/real/net1/10.1.0.2", contents: Data("abc123\r\neth0".utf8))
        try fm.createSymbolicLink(atPath: dir + "/data", withDestinationPath: dir + "/real")
        XCTAssertEqual(run("ADD", conf()).status, 1, "ADD refused (5 once CNI_NETNS opens: SymlinkedStoreKernelTests)")
        let del = run("DEL", conf())
        XCTAssertEqual(del.status, 0, del.stdout)
        XCTAssertTrue(del.stderr.contains("not followed"), del.stderr)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir + "/real/net1"), ["10.1.0.2"], "the link's target is untouched")
    }

    /// DEL still releases exactly the attachment's reservation when the rest of the configuration
    /// is ADD-invalid (a reservation made earlier with a valid one).
    func testDelReleasesWithAnAddInvalidConfiguration() throws {
        let ipam = try BuiltinIPAM(ipam: json(#"{"type":"vethkit","dataDir":"\#(dir)/data","subnet":"10.1.0.0/24"}"#), network: "net1")
        _ = try ipam.add(.init(containerID: "abc123", ifname: "eth0"))
        _ = try ipam.add(.init(containerID: "other", ifname: "eth0"))
        let del = run("DEL", conf(#","vlan":5,"mtu":1,"bridge":"x/y""#))
        XCTAssertEqual(del.status, 0, del.stdout)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir + "/data/net1").filter { IPAddress($0) != nil }
        XCTAssertEqual(left, ["10.1.0.3"], "only abc123's address was released")
    }

    /// A delegated IPAM that cannot be found (ADD refused with 7): DEL succeeds with a note.
    func testMissingDelegateDoesNotBlockDel() {
        let cfg = conf(ipam: #"{"type":"no-such-ipam"}"#)
        XCTAssertEqual(run("ADD", cfg, env: ["CNI_PATH": dir]).status, 1, "ADD refused (7 once CNI_NETNS opens)")
        let del = run("DEL", cfg, env: ["CNI_PATH": dir])
        XCTAssertEqual(del.status, 0, del.stdout)
        XCTAssertTrue(del.stderr.contains("no-such-ipam"), del.stderr)
    }
}
