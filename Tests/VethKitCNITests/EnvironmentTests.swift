import XCTest
@testable import VethKitCNI

final class EnvironmentTests: XCTestCase {
    func testValidAdd() throws {
        let e = try CNIEnvironment(baseEnv.merging(["CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAME=a=b"]) { $1 })
        XCTAssertEqual(e.command, .add)
        XCTAssertEqual(e.containerID, "abc123")
        XCTAssertEqual(e.ifname, "eth0")
        XCTAssertEqual(e.netns, "/run/netns/x")
        XCTAssertEqual(e.path, ["/usr/lib/cni"])
        XCTAssertEqual(e.args.map { "\($0.0)|\($0.1)" }, ["IgnoreUnknown|1", "K8S_POD_NAME|a=b"])
    }

    func testMissingAndInvalidVariablesAreCode4() {
        var cases: [(String, [String: String])] = []
        cases.append(("no command", baseEnv.filter { $0.key != "CNI_COMMAND" }))
        cases.append(("bad command", baseEnv.merging(["CNI_COMMAND": "ATTACH"]) { $1 }))
        cases.append(("no container id", baseEnv.filter { $0.key != "CNI_CONTAINERID" }))
        cases.append(("empty container id", baseEnv.merging(["CNI_CONTAINERID": ""]) { $1 }))
        cases.append(("container id with slash", baseEnv.merging(["CNI_CONTAINERID": "a/../b"]) { $1 }))
        cases.append(("container id ..", baseEnv.merging(["CNI_CONTAINERID": ".."]) { $1 }))
        cases.append(("container id NUL", baseEnv.merging(["CNI_CONTAINERID": "ab\u{0}c"]) { $1 }))
        cases.append(("container id newline", baseEnv.merging(["CNI_CONTAINERID": "ab\r\nc"]) { $1 }))
        cases.append(("container id too long", baseEnv.merging(["CNI_CONTAINERID": String(repeating: "a", count: 513)]) { $1 }))
        cases.append(("no ifname", baseEnv.filter { $0.key != "CNI_IFNAME" }))
        cases.append(("ifname too long", baseEnv.merging(["CNI_IFNAME": "eth0123456789012"]) { $1 }))
        cases.append(("ifname slash", baseEnv.merging(["CNI_IFNAME": "eth/0"]) { $1 }))
        cases.append(("ifname dotdot", baseEnv.merging(["CNI_IFNAME": ".."]) { $1 }))
        cases.append(("ifname space", baseEnv.merging(["CNI_IFNAME": "eth 0"]) { $1 }))
        cases.append(("no netns on ADD", baseEnv.filter { $0.key != "CNI_NETNS" }))
        cases.append(("relative netns", baseEnv.merging(["CNI_NETNS": "run/netns/x"]) { $1 }))
        cases.append(("netns with ..", baseEnv.merging(["CNI_NETNS": "/run/netns/../../etc"]) { $1 }))
        cases.append(("bad CNI_ARGS", baseEnv.merging(["CNI_ARGS": "K8S_POD_NAME"]) { $1 }))
        cases.append(("GC without CNI_PATH", ["CNI_COMMAND": "GC"]))
        cases.append(("CHECK without netns", baseEnv.merging(["CNI_COMMAND": "CHECK"]) { $1 }.filter { $0.key != "CNI_NETNS" }))
        for (name, env) in cases {
            let e = assertCNIError(.invalidEnvironment) { try CNIEnvironment(env) }
            XCTAssertNotNil(e, name)
        }
    }

    func testDelNeedsNoNetnsAndVersionNeedsNothing() throws {
        XCTAssertNoThrow(try CNIEnvironment(baseEnv.merging(["CNI_COMMAND": "DEL"]) { $1 }.filter { $0.key != "CNI_NETNS" }))
        XCTAssertNoThrow(try CNIEnvironment(["CNI_COMMAND": "VERSION"]))
        XCTAssertNoThrow(try CNIEnvironment(["CNI_COMMAND": "STATUS"]))
        XCTAssertNoThrow(try CNIEnvironment(["CNI_COMMAND": "GC", "CNI_PATH": "/a:/b"]))
    }

    func testErrorNamesTheInput() {
        let e = assertCNIError(.invalidEnvironment) { try CNIEnvironment(baseEnv.merging(["CNI_IFNAME": "a-very-long-interface"]) { $1 }) }
        XCTAssertTrue(e?.msg.contains("a-very-long-interface") ?? false, e?.msg ?? "")
        XCTAssertTrue(e?.msg.contains("CNI_IFNAME") ?? false)
    }
}
