import VethKitJSON
import VethKit
import XCTest
@testable import VethKitCNI

final class ConfigTests: XCTestCase {
    func testDefaults() throws {
        let c = try NetworkConfig(stdin: Array(config().utf8), command: .add)
        XCTAssertEqual(c.bridge.rawValue, "cni0")
        XCTAssertEqual(c.name, "net1")
        XCTAssertFalse(c.isGateway)
        XCTAssertEqual(c.mtu, 0)
        XCTAssertEqual(c.ipamType, "vethkit")
    }

    func testIsDefaultGatewayImpliesIsGateway() throws {
        let c = try NetworkConfig(stdin: Array(config(#","isDefaultGateway":true,"mtu":1400,"bridge":"br-x""#).utf8), command: .add)
        XCTAssertTrue(c.isGateway)
        XCTAssertEqual(c.mtu, 1400)
        XCTAssertEqual(c.bridge.rawValue, "br-x")
    }

    func testVersions() {
        for v in CNIVersion.supported { XCTAssertNoThrow(try NetworkConfig(stdin: Array(config(version: v).utf8), command: .add)) }
        for v in ["0.2.0", "0.1.0", "2.0.0", "1.0", ""] {
            assertCNIError(.incompatibleVersion) { try NetworkConfig(stdin: Array(config(version: v).utf8), command: .add) }
        }
        assertCNIError(.incompatibleVersion) { try NetworkConfig(stdin: Array(#"{"name":"n","type":"t"}"#.utf8), command: .add) }
    }

    func testUndecodableIsCode6() {
        for s in ["", "{", "not json", "[1,2", "{\"a\":}"] {
            assertCNIError(.decodingFailure) { try NetworkConfig(stdin: Array(s.utf8), command: .add) }
        }
    }

    func testInvalidConfigIsCode7() {
        let bad = [
            #"{"cniVersion":"1.0.0","type":"x"}"#,                                   // no name
            #"{"cniVersion":"1.0.0","name":"../etc","type":"x"}"#,                   // name with /
            #"{"cniVersion":"1.0.0","name":"-x","type":"x"}"#,                       // name must start alnum
            #"{"cniVersion":"1.0.0","name":"n","bridge":"a-bridge-name-too-long"}"#, // bridge too long
            #"{"cniVersion":"1.0.0","name":"n","bridge":"br/0"}"#,
            #"{"cniVersion":"1.0.0","name":"n","mtu":"1500"}"#,                      // wrong type
            #"{"cniVersion":"1.0.0","name":"n","mtu":10}"#,
            #"{"cniVersion":"1.0.0","name":"n","isGateway":"yes"}"#,
            #"{"cniVersion":"1.0.0","name":"n","ipam":{"type":"../bin/sh"}}"#,
            #"{"cniVersion":"1.0.0","name":"n","ipam":"host-local"}"#,
        ]
        for s in bad {
            assertCNIError(.invalidNetworkConfig) { try NetworkConfig(stdin: Array(s.utf8), command: .add) }
        }
    }

    func testUnsupportedFieldsAreCode2() {
        for extra in [#","vlan":100"#, #","vlanTrunk":[{"id":5}]"#, #","macspoofchk":true"#, #","ipMasqBackend":"iptables""#] {
            assertCNIError(.unsupportedField) { try NetworkConfig(stdin: Array(config(extra).utf8), command: .add) }
        }
        XCTAssertNoThrow(try NetworkConfig(stdin: Array(config(#","vlan":0,"unknownField":{"x":1}"#).utf8), command: .add))
    }

    func testValidAttachments() throws {
        let c = try NetworkConfig(stdin: Array(config(#","cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}]"#, version: "1.1.0").utf8), command: .gc)
        XCTAssertEqual(c.validAttachments, [.init(containerID: "a", ifname: "eth0")])
        let c2 = try NetworkConfig(stdin: Array(config(#","cni.dev/attachments":[{"containerID":"b","ifname":"net1"}]"#, version: "1.1.0").utf8), command: .gc)
        XCTAssertEqual(c2.validAttachments, [.init(containerID: "b", ifname: "net1")])

        let empty = try NetworkConfig(stdin: Array(config(#","cni.dev/valid-attachments":[]"#, version: "1.1.0").utf8), command: .gc)
        XCTAssertEqual(empty.validAttachments, [], "an empty list: no attachment is valid")
        for extra in ["", #","cni.dev/valid-attachments":null"#, #","cni.dev/valid-attachments":null,"cni.dev/attachments":null"#] {
            let c = try NetworkConfig(stdin: Array(config(extra, version: "1.1.0").utf8), command: .gc)
            XCTAssertNil(c.validAttachments, "missing or null is not an empty list: \(extra)")
        }
    }

    /// GC without the list is refused (7) before anything is looked at; the message names the key.
    func testGCWithoutValidAttachmentsIsCode7() {
        for extra in ["", #","cni.dev/valid-attachments":null"#] {
            let o = CNIPlugin.run(environment: ["CNI_COMMAND": "GC", "CNI_PATH": "/usr/lib/cni"], stdin: Array(config(extra, version: "1.1.0").utf8))
            XCTAssertEqual(o.status, 1, o.stdout)
            XCTAssertEqual(json(o.stdout)["code"], 7, o.stdout)
            XCTAssertTrue(json(o.stdout)["msg"]?.stringValue?.contains("cni.dev/valid-attachments") ?? false, o.stdout)
        }
    }

    /// CHECK without prevResult: code 7 before CNI_NETNS is even opened (docs/cni.md).
    func testCheckWithoutPrevResultIsCode7() {
        let o = CNIPlugin.run(environment: baseEnv.merging(["CNI_COMMAND": "CHECK", "CNI_NETNS": "/nonexistent/netns"]) { $1 },
                              stdin: Array(config(version: "1.0.0").utf8))
        XCTAssertEqual(o.status, 1, o.stdout)
        XCTAssertEqual(json(o.stdout)["code"], 7, "not 3 (the namespace does not exist): prevResult is checked first; \(o.stdout)")
        XCTAssertTrue(json(o.stdout)["msg"]?.stringValue?.contains("prevResult") ?? false, o.stdout)
    }

    /// Subnets that cannot be a bridge network: too wide, or no room for a gateway and a container.
    func testSubnetsThatCannotBeABridgeNetwork() throws {
        let refused = ["10.0.0.0/7", "0.0.0.0/0", "10.0.0.0/31", "10.0.0.1/32", "fd00::/15", "::/0", "fd00::/127", "fd00::1/128"]
        for subnet in refused {
            let e = assertCNIError(.invalidNetworkConfig) { try IPAMConfig(json: .object(["subnet": .string(subnet)])) }
            let canonical = try IPNetwork(subnet).masked.description
            XCTAssertTrue(e?.msg.contains(canonical) ?? false, "names \(canonical): \(String(describing: e))")
            assertCNIError(.invalidNetworkConfig) { try IPAMConfig(json: .object(["ranges": [[["subnet": .string(subnet)]]]])) }
        }
        // Ranges without room: only the gateway in them.
        for r: JSON in [["subnet": "10.0.0.0/24", "rangeStart": "10.0.0.1", "rangeEnd": "10.0.0.1"],
                        ["subnet": "10.0.0.0/30", "rangeStart": "10.0.0.2", "rangeEnd": "10.0.0.2", "gateway": "10.0.0.2"],
                        ["subnet": "fd00::/126", "rangeStart": "fd00::1", "rangeEnd": "fd00::1"]] {
            let e = assertCNIError(.invalidNetworkConfig) { try IPAMConfig(json: .object(["ranges": [[r]]])) }
            XCTAssertTrue(e?.msg.contains("ipam.ranges[0][0]") ?? false, "names the range: \(String(describing: e))")
            XCTAssertTrue(e?.msg.contains("no address left") ?? false, "says why: \(String(describing: e))")
        }
        // The limits themselves are fine.
        for subnet in ["10.0.0.0/8", "10.0.0.0/30", "fd00::/16", "fd00::/126"] {
            XCTAssertNoThrow(try IPAMConfig(json: .object(["subnet": .string(subnet)])), subnet)
        }
        // Through the dispatcher: code 7 for ADD.
        let o = CNIPlugin.run(environment: baseEnv, stdin: Array(config(ipam: #"{"type":"vethkit","subnet":"10.0.0.0/6"}"#).utf8))
        XCTAssertEqual(json(o.stdout)["code"], 7, o.stdout)
    }

    func testIPAMConfig() throws {
        let c = try IPAMConfig(json: json(#"{"type":"vethkit","ranges":[[{"subnet":"10.2.0.0/29","rangeStart":"10.2.0.3"}],[{"subnet":"fd00::/64","gateway":"fd00::fe"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"192.168.0.0/16","gw":"10.2.0.1"}],"dataDir":"/tmp/x"}"#))
        XCTAssertEqual(c.rangeSets.count, 2)
        XCTAssertEqual(c.rangeSets[0][0].rangeStart, IPAddress("10.2.0.3"))
        XCTAssertEqual(c.rangeSets[0][0].rangeEnd, IPAddress("10.2.0.6"))
        XCTAssertEqual(c.rangeSets[0][0].gateway, IPAddress("10.2.0.1"))
        XCTAssertEqual(c.rangeSets[1][0].gateway, IPAddress("fd00::fe"))
        XCTAssertEqual(c.rangeSets[1][0].rangeEnd, IPAddress("fd00::ffff:ffff:ffff:ffff"))
        XCTAssertEqual(c.routes.count, 2)
        XCTAssertEqual(c.dataDir, "/tmp/x")
        XCTAssertEqual(try IPAMConfig(json: json(#"{"subnet":"10.0.0.0/24"}"#)).dataDir, IPAMConfig.defaultDataDir)
    }

    func testIPAMConfigErrors() {
        let bad = [
            #"{"type":"vethkit"}"#,
            #"{"subnet":"10.0.0.0/33"}"#,
            #"{"subnet":"10.0.0.1"}"#,
            #"{"subnet":"10.0.0.0/31"}"#,
            #"{"subnet":"10.0.0.0/24","rangeStart":"10.0.1.5"}"#,
            #"{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.9","rangeEnd":"10.0.0.5"}"#,
            #"{"subnet":"10.0.0.0/24","rangeEnd":"10.0.0.255"}"#,
            #"{"subnet":"10.0.0.0/24","gateway":"10.9.0.1"}"#,
            #"{"ranges":[[{"subnet":"10.0.0.0/24"}],[{"subnet":"10.0.0.0/25"}]]}"#,
            #"{"ranges":[[{"subnet":"10.0.0.0/24"},{"subnet":"fd00::/64"}]]}"#,
            #"{"ranges":[[]]}"#,
            #"{"subnet":"10.0.0.0/24","routes":[{"dst":"x"}]}"#,
            #"{"subnet":"10.0.0.0/24","routes":[{"dst":"0.0.0.0/0","gw":"fd00::1"}]}"#,
            #"{"subnet":"10.0.0.0/24","dataDir":"relative/dir"}"#,
            #"{"subnet":"10.0.0.0/24","dataDir":"/var/../etc"}"#,
        ]
        for s in bad { assertCNIError(.invalidNetworkConfig, "\(s)") { try IPAMConfig(json: json(s)) } }
    }
}
