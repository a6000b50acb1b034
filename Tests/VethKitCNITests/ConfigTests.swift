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
        for s in bad { assertCNIError(.invalidNetworkConfig) { try IPAMConfig(json: json(s)) } }
    }
}
