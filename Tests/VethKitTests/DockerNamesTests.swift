import Foundation
@testable import VethKit
import XCTest

/// A docker container's name, from `<data-root>/containers/<id>/config.v2.json`, over a fake /proc
/// with docker cgroups and a fake data root: found for each cgroup driver, and left unknown (never a throw) for a missing, huge, binary, symlinked or
/// malformed file, a name Docker would refuse, or an id that is not one.
final class DockerNamesTests: FakeProcTestCase {
    var docker: String { root + "/docker" }
    let other = String(repeating: "0f", count: 32)

    func config(_ id: String, _ bytes: [UInt8]) throws { try write("\(docker)/containers/\(id)/config.v2.json", bytes) }
    func config(_ id: String, name: String) throws {
        try config(id, Array(#"{"ID":"\#(id)","Name":"\#(name)","State":{"Running":true,"Pid":20},"Config":{"Image":"nginx"}}"#.utf8))
    }

    func owners(_ inode: UInt64, _ o: NamespaceInventory.Options? = nil) throws -> [NamespaceOwner]? {
        try NamespaceInventory.discover(options: o ?? options()).first { $0.id.inode == inode }?.owners
    }

    func testNameFoundForBothCgroupDrivers() throws {
        try caller(mountinfo: "")
        try process(20, net: 200, cgroup: "0::/system.slice/docker-\(id64).scope\n")
        try process(21, net: 200, cgroup: "0::/system.slice/docker-\(id64).scope\n")
        try process(30, net: 300, cgroup: "12:pids:/docker/\(other)\n0::/docker/\(other)\n")
        try config(id64, name: "/web")
        try config(other, name: "/db_1.x-y")
        XCTAssertEqual(try owners(200), [.docker(containerID: id64, name: "web")])
        XCTAssertEqual(try owners(300), [.docker(containerID: other, name: "db_1.x-y")])
        var o = options()
        o.dockerDataDirectory = nil
        XCTAssertEqual(try owners(200, o), [.docker(containerID: id64, name: nil)], "no data root: not looked up")
    }

    func testNoFileOrUnreadableLeavesNameUnknown() throws {
        try caller(mountinfo: "")
        try process(20, net: 200, cgroup: "0::/system.slice/docker-\(id64).scope\n")
        XCTAssertEqual(try owners(200), [.docker(containerID: id64, name: nil)], "no data root at all")
        try FileManager.default.createDirectory(atPath: "\(docker)/containers/\(id64)/config.v2.json", withIntermediateDirectories: true)
        XCTAssertEqual(try owners(200), [.docker(containerID: id64, name: nil)], "a directory, not a file")
    }

    func testHostileFilesLeaveNameUnknown() throws {
        try caller(mountinfo: "")
        let good = Array(#"{"Name":"/web"}"#.utf8)
        let cases: [(String, [UInt8])] = [
            ("huge", Array(#"{"Name":"/web","Pad":""#.utf8) + [UInt8](repeating: 0x61, count: DockerNames.maxFileBytes) + Array("\"}".utf8)),
            ("binary", [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0xFF, 0xFE]),
            ("non-UTF-8 name", Array(#"{"Name":"/w"#.utf8) + [0xC3, 0x28] + Array(#"b"}"#.utf8)),
            ("bad JSON", Array(#"{"Name":"/web""#.utf8)),
            ("not an object", Array(#"["/web"]"#.utf8)),
            ("not a string", Array(#"{"Name":42}"#.utf8)),
            ("escape sequence", Array(#"{"Name":"/web\u001b[2J"}"#.utf8)),
            ("a path", Array(#"{"Name":"/../../etc"}"#.utf8)),
            ("empty", Array(#"{"Name":"/"}"#.utf8)),
        ]
        for (k, (what, bytes)) in cases.enumerated() {
            let id = String(format: "%064x", k + 1)
            let net = UInt64(200 + k)
            try process(Int32(20 + k), net: net, cgroup: "0::/system.slice/docker-\(id).scope\n")
            try config(id, bytes)
            XCTAssertEqual(try owners(net), [.docker(containerID: id, name: nil)], what)
        }
        // the same good content, read through a symbolic link (the final component): not followed
        let linked = String(repeating: "ee", count: 32)
        try process(40, net: 400, cgroup: "0::/system.slice/docker-\(linked).scope\n")
        try write(root + "/elsewhere.json", good)
        try link("\(docker)/containers/\(linked)/config.v2.json", root + "/elsewhere.json")
        XCTAssertEqual(try owners(400), [.docker(containerID: linked, name: nil)], "symlink")
        XCTAssertEqual(DockerNames.name(config: good), "web", "the content itself is fine")
        XCTAssertEqual(DockerNames.name(config: Array(#"{"Name":"web"}"#.utf8)), "web", "no leading slash")
        XCTAssertNil(DockerNames.name(config: Array(("{\"Name\":\"/" + String(repeating: "a", count: 256) + "\"}").utf8)))
    }

    /// The id becomes a path: only 64 lowercase hex digits are looked up, never `../` or a
    /// short or uppercase id (cgroups carry such ids for other runtimes' look-alikes).
    func testOnlyRealIDsBecomePaths() throws {
        try write(root + "/escape/config.v2.json", Array(#"{"Name":"/escaped"}"#.utf8))
        try write("\(docker)/containers/ABCDEF0123456789/config.v2.json", Array(#"{"Name":"/upper"}"#.utf8))
        try write("\(docker)/containers/abcdef0123456/config.v2.json", Array(#"{"Name":"/short"}"#.utf8))
        XCTAssertNil(DockerNames.name(containerID: "../../escape", dataDirectory: docker))
        XCTAssertNil(DockerNames.name(containerID: "ABCDEF0123456789", dataDirectory: docker))
        XCTAssertNil(DockerNames.name(containerID: "abcdef0123456", dataDirectory: docker))
        XCTAssertNil(DockerNames.name(containerID: id64 + "/../../../escape", dataDirectory: docker))
        try config(id64, name: "/web")
        XCTAssertEqual(DockerNames.name(containerID: id64, dataDirectory: docker), "web")
    }

    /// A Kubernetes pod run through dockershim (`…pod<uid>…/docker-<id>.scope`) is a pod, and
    /// a podman container is not looked up in docker's data root.
    func testOnlyDockerOwnersAreLookedUp() throws {
        try caller(mountinfo: "")
        try process(20, net: 200, cgroup: "0::/machine.slice/libpod-\(id64).scope\n")
        try config(id64, name: "/not-podmans")
        XCTAssertEqual(try owners(200), [.podman(containerID: id64, name: nil)])
    }
}
