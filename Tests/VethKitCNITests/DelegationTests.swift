import Foundation
import XCTest
@testable import VethKitCNI

/// IPAM delegation exactly as the spec says, against fake IPAM plugins (shell scripts) in a
/// temporary CNI_PATH: same stdin, our environment with CNI_COMMAND set, result parsed, error
/// objects passed on, other failures code 111.
final class DelegationTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = temporaryDirectory(self)
    }

    func fake(_ name: String, _ body: String) {
        let p = "\(dir)/\(name)"
        XCTAssertNoThrow(try ("#!/bin/sh\n" + body + "\n").write(toFile: p, atomically: true, encoding: .utf8), p)
        chmod(p, 0o755)
    }

    func delegate(_ type: String, _ cmd: String = "ADD", stdin: String = config(ipam: #"{"type":"fakeipam"}"#)) throws -> DelegatedIPAM {
        var e = baseEnv
        e["CNI_COMMAND"] = cmd
        e["CNI_PATH"] = "/nonexistent:\(dir)"
        return try DelegatedIPAM(type: type, environment: try CNIEnvironment(e), stdin: Array(stdin.utf8))
    }

    func testAddGetsSameStdinAndEnvironment() throws {
        fake("fakeipam", """
            cat > "\(dir)/stdin"
            env > "\(dir)/env"
            echo '{"cniVersion":"1.0.0","ips":[{"address":"10.3.0.7/24","gateway":"10.3.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.3.0.1"]}}'
            """)
        let stdin = config(ipam: #"{"type":"fakeipam","x":1}"#)
        let r = try delegate("fakeipam", stdin: stdin).add()
        XCTAssertEqual(r.ips.map(\.address.description), ["10.3.0.7/24"])
        XCTAssertEqual(r.routes.map(\.dst.description), ["0.0.0.0/0"])
        XCTAssertEqual(r.dns?["nameservers"], ["10.3.0.1"])
        XCTAssertEqual(try String(contentsOfFile: "\(dir)/stdin", encoding: .utf8), stdin, "the same configuration on stdin")
        let env = try String(contentsOfFile: "\(dir)/env", encoding: .utf8).split(separator: "\n").map(String.init)
        for kv in ["CNI_COMMAND=ADD", "CNI_CONTAINERID=abc123", "CNI_IFNAME=eth0", "CNI_NETNS=/run/netns/x", "CNI_PATH=/nonexistent:\(dir)"] {
            XCTAssertTrue(env.contains(kv), "delegate environment has \(kv)")
        }
    }

    func testVerbIsPassedAndErrorObjectPassedOn() throws {
        fake("fakeipam", #"echo "{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"pool busy ($CNI_COMMAND)\",\"details\":\"d\"}"; exit 1"#)
        let e = assertCNIError(.tryAgainLater) { try self.delegate("fakeipam", "DEL").run(.del) }
        XCTAssertEqual(e?.msg, "pool busy (DEL)")
        XCTAssertEqual(e?.details, "d")
    }

    func testFailureWithoutErrorObjectIsCode111() throws {
        fake("fakeipam", "echo oops >&2; exit 3")
        let e = assertCNIError(.delegateFailed) { try self.delegate("fakeipam").run(.add) }
        XCTAssertTrue(e?.details?.contains("oops") ?? false)
        XCTAssertTrue(e?.msg.contains("exit status 3") ?? false)
    }

    func testBadOutputIsCode6() throws {
        fake("fakeipam", "echo not-json")
        assertCNIError(.decodingFailure) { try self.delegate("fakeipam").add() }
        fake("fakeipam", #"echo '{"ips":[{"address":"nonsense"}]}'"#)
        assertCNIError(.decodingFailure) { try self.delegate("fakeipam").add() }
    }

    func testMissingPluginAndBadType() throws {
        assertCNIError(.invalidNetworkConfig) { try self.delegate("nosuch").run(.add) }
        assertCNIError(.invalidNetworkConfig) { try self.delegate("../fakeipam") }
        try "x".write(toFile: "\(dir)/notexec", atomically: true, encoding: .utf8)
        assertCNIError(.invalidNetworkConfig) { try self.delegate("notexec").run(.add) }
    }

    func testIOFailureIsCode5() throws {
        let ipam = try BuiltinIPAM(ipam: json(#"{"type":"vethkit","subnet":"10.4.0.0/24","dataDir":"/dev/null/sub"}"#), network: "net1")
        assertCNIError(.ioFailure) { try ipam.add(.init(containerID: "a", ifname: "eth0")) }
    }
}
