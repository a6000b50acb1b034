import VethKitJSON
import VethKit
import XCTest
@testable import VethKitCNI

final class ResultTests: XCTestCase {
    func sample() throws -> CNIResult {
        var r = CNIResult()
        r.interfaces = [.init(name: "cni0", mac: "aa:bb:cc:dd:ee:01", mtu: 1500),
                        .init(name: "veth1", mac: "aa:bb:cc:dd:ee:02", mtu: 1500),
                        .init(name: "eth0", mac: "aa:bb:cc:dd:ee:03", mtu: 1500, sandbox: "/run/netns/c1")]
        r.ips = [.init(address: try IPNetwork("10.1.0.2/24"), gateway: IPAddress("10.1.0.1"), interface: 2),
                 .init(address: try IPNetwork("fd00::2/64"), gateway: IPAddress("fd00::1"), interface: 2)]
        var route = CNIResult.Route(dst: try IPNetwork("0.0.0.0/0"), gw: IPAddress("10.1.0.1"))
        route.priority = 10
        r.routes = [route]
        return r
    }

    func testShapeV1_1() throws {
        let j = try sample().json(version: "1.1.0")
        XCTAssertEqual(j["cniVersion"], "1.1.0")
        XCTAssertEqual(j["interfaces"]?.arrayValue?[0]["mtu"], 1500)
        XCTAssertEqual(j["ips"]?.arrayValue?[0], ["address": "10.1.0.2/24", "gateway": "10.1.0.1", "interface": 2])
        XCTAssertEqual(j["routes"]?.arrayValue?[0], ["dst": "0.0.0.0/0", "gw": "10.1.0.1", "priority": 10])
        XCTAssertEqual(j["dns"], .object([:]))
    }

    func testShapeV1_0() throws {
        let j = try sample().json(version: "1.0.0")
        XCTAssertNil(j["interfaces"]?.arrayValue?[0]["mtu"])
        XCTAssertEqual(j["interfaces"]?.arrayValue?[2], ["name": "eth0", "mac": "aa:bb:cc:dd:ee:03", "sandbox": "/run/netns/c1"])
        XCTAssertEqual(j["ips"]?.arrayValue?[1], ["address": "fd00::2/64", "gateway": "fd00::1", "interface": 2])
        XCTAssertEqual(j["routes"]?.arrayValue?[0], ["dst": "0.0.0.0/0", "gw": "10.1.0.1"])
    }

    func testShapeLegacyHasIPVersion() throws {
        for v in ["0.3.0", "0.3.1", "0.4.0"] {
            let j = try sample().json(version: v)
            XCTAssertEqual(j["cniVersion"], .string(v))
            XCTAssertEqual(j["ips"]?.arrayValue?[0]["version"], "4")
            XCTAssertEqual(j["ips"]?.arrayValue?[1]["version"], "6")
            XCTAssertEqual(j["ips"]?.arrayValue?[0]["interface"], 2)
        }
    }

    func testRoundTripAcrossVersions() throws {
        let r = try sample()
        for v in CNIVersion.supported {
            let back = try CNIResult(json: r.json(version: v), context: "test")
            XCTAssertEqual(back.ips, r.ips, v)
            XCTAssertEqual(back.interfaces.map(\.name), r.interfaces.map(\.name), v)
            XCTAssertEqual(back.routes.map(\.dst), r.routes.map(\.dst), v)
        }
    }

    func testBadPrevResultIsCode6() {
        for s in [#"{"ips":[{"address":"10.0.0.1"}]}"#, #"{"ips":[{"address":"10.0.0.1/24","interface":3}]}"#,
                  #"{"interfaces":[{"mac":"x"}]}"#, #"{"routes":[{"gw":"1.2.3.4"}]}"#, "[]"] {
            assertCNIError(.decodingFailure) { try CNIResult(json: json(s), context: "prevResult") }
        }
    }

    /// Keys are written in the order they were set (a result reads like the spec's examples).
    func testSerializerEscapesAndKeepsKeyOrder() {
        let j: JSON = ["b": "x\"y\\z\n\u{1}", "a": [1, true, .null], "c": "/path"]
        XCTAssertEqual(j.serialized, #"{"b":"x\"y\\z\n\u0001","a":[1,true,null],"c":"/path"}"#)
        XCTAssertEqual(try sample().json(version: "1.0.0").objectValue?.keys, ["cniVersion", "interfaces", "ips", "routes", "dns"])
        XCTAssertEqual(json(j.serialized), j)
    }

    func testErrorObject() {
        let e = CNIError(.tryAgainLater, "pool full", details: "net1")
        XCTAssertEqual(e.json(cniVersion: "1.0.0"), ["cniVersion": "1.0.0", "code": 11, "msg": "pool full", "details": "net1"])
    }
}

final class PluginDispatchTests: XCTestCase {
    func testVersion() {
        let o = CNIPlugin.run(environment: ["CNI_COMMAND": "VERSION"], stdin: Array(#"{"cniVersion":"1.0.0"}"#.utf8))
        XCTAssertEqual(o.status, 0)
        let j = json(o.stdout)
        XCTAssertEqual(j["cniVersion"], "1.0.0")
        XCTAssertEqual(j["supportedVersions"], ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
        XCTAssertEqual(json(CNIPlugin.run(environment: ["CNI_COMMAND": "VERSION"], stdin: []).stdout)["cniVersion"], "1.1.0")
    }

    /// Every error before the kernel: the right code, exit status 1, the error object on stdout.
    func testErrorCodesThroughRun() {
        func code(_ env: [String: String], _ stdin: String) -> Int64? {
            let o = CNIPlugin.run(environment: env, stdin: Array(stdin.utf8))
            XCTAssertEqual(o.status, 1, o.stdout)
            let j = json(o.stdout)
            XCTAssertNotNil(j["msg"]?.stringValue)
            XCTAssertNotNil(j["cniVersion"]?.stringValue)
            return j["code"]?.intValue
        }
        XCTAssertEqual(code(baseEnv.filter { $0.key != "CNI_IFNAME" }, config()), 4)
        XCTAssertEqual(code(baseEnv, config(version: "0.2.0")), 1)
        XCTAssertEqual(code(baseEnv, "{oops"), 6)
        XCTAssertEqual(code(baseEnv, config(#","vlan":7"#)), 2)
        XCTAssertEqual(code(baseEnv, config(ipam: #"{"type":"vethkit","subnet":"bad"}"#)), 7)
        XCTAssertEqual(code(baseEnv.merging(["CNI_COMMAND": "CHECK"]) { $1 }, config(version: "0.3.1")), 1)
        XCTAssertEqual(code(["CNI_COMMAND": "GC", "CNI_PATH": "/x"], config(version: "1.0.0")), 1)
        XCTAssertEqual(code(["CNI_COMMAND": "STATUS"], config(version: "0.4.0")), 1)
        // ADD into a namespace that does not exist: container unknown.
        XCTAssertEqual(code(baseEnv.merging(["CNI_NETNS": "/nonexistent/netns"]) { $1 }, config(ipam: #"{"type":"vethkit","subnet":"10.1.0.0/24","dataDir":"/nonexistent-dir-for-test"}"#)), 3)
        // Delegated IPAM that does not exist in CNI_PATH.
        XCTAssertEqual(code(["CNI_COMMAND": "STATUS", "CNI_PATH": "/nonexistent"], config(version: "1.1.0", ipam: #"{"type":"no-such-ipam"}"#)), 7)
        XCTAssertEqual(code(["CNI_COMMAND": "STATUS"], config(version: "1.1.0", ipam: #"{"type":"no-such-ipam"}"#)), 4)
    }
}
