import VethKitJSON
import Foundation
import VethKit
import VethKitTestSupport
import XCTest
@testable import VethKitCNI

/// Kernel tests: the built `vethkit-cni` binary run as a separate process, as a runtime runs it,
/// inside the project's sandbox (scripts/sandbox sets VETHKIT_SANDBOX=1). Skipped elsewhere.
///
/// Namespaces made with ``makeNamespace(_:)`` are deleted when the test ends (failed or not), and
/// tearDown waits until the host ends of their veths are gone: the kernel destroys a namespace's
/// veths asynchronously (50–250 ms later), and a later test must not see them.
class CNIKernelTestCase: XCTestCase {
    var binary = ""
    var dataDir = ""
    private var namespaces: [NamespaceName] = []

    override func setUpWithError() throws {
        try requireKernel()   // root and scripts/sandbox (VETHKIT_SANDBOX=1), else skipped
        guard let b = pluginBinary() else { throw XCTSkip("vethkit-cni binary not built (swift build --product vethkit-cni)") }
        binary = b
        dataDir = "/run/vethkit/cni-test-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        addTeardownBlock { [dataDir] in try? FileManager.default.removeItem(atPath: dataDir) }
    }

    override func tearDownWithError() throws {
        let names = namespaces
        namespaces = []
        try deleteNamespaces(names)
    }

    func makeNamespace(_ name: String) throws -> String {
        let n = try NamespaceName(name)
        if NetworkNamespace.exists(n) { try deleteNamespaces([n]) }
        try NetworkNamespace.create(n)
        namespaces.append(n)
        return NetworkNamespace.path(of: n)
    }

    /// Deletes namespaces and waits (up to 5 s, else fails naming them) until the host ends of
    /// their veths have vanished.
    func deleteNamespaces(_ names: [NamespaceName], file: StaticString = #filePath, line: UInt = #line) throws {
        let host = try NetHandle()
        var hostEnds: Set<Int32> = []
        let hostLinks = try host.links()
        for n in names where NetworkNamespace.exists(n) {
            let inside = (try? NetHandle(namespace: NetworkNamespace.open(n)).links()) ?? []
            // A host veth paired with a veth of the namespace: each names the other's index.
            for l in inside where l.isVeth {
                if let peer = l.linkIndex, hostLinks.contains(where: { $0.index == peer && $0.isVeth && $0.linkIndex == l.index }) {
                    hostEnds.insert(peer)
                }
            }
            try NetworkNamespace.delete(n)
        }
        namespaces.removeAll { names.contains($0) }
        let deadline = Date().addingTimeInterval(5)
        var left = hostEnds
        while !left.isEmpty {
            left = Set(try host.links().map(\.index)).intersection(hostEnds)
            if left.isEmpty { break }
            if Date() > deadline {
                XCTFail("host veths \(left.sorted()) of deleted namespaces \(names.map(\.rawValue)) still there after 5 s", file: file, line: line)
                break
            }
            usleep(10_000)
        }
    }

    func conf(name: String, bridge: String, subnet: String, type: String = "vethkit-cni", ipamType: String = "vethkit",
              version: String = "1.0.0", extra: String = "", ipamExtra: String = "") -> String {
        #"{"cniVersion":"\#(version)","name":"\#(name)","type":"\#(type)","bridge":"\#(bridge)","isGateway":true,"isDefaultGateway":true\#(extra),"ipam":{"type":"\#(ipamType)","dataDir":"\#(dataDir)","ranges":[[{"subnet":"\#(subnet)"}]]\#(ipamExtra)}}"#
    }

    /// `cfg` with `key` set to `value` (e.g. prevResult, valid-attachments).
    func with(_ cfg: String, _ key: String, _ value: JSON?, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        var o = try XCTUnwrap(json(cfg).objectValue, "configuration is an object", file: file, line: line)
        o[key] = value
        return JSON.object(o).serialized
    }

    func env(_ cmd: String, _ id: String, netns: String?, ifname: String = "eth0") -> [String: String] {
        var e = ["CNI_COMMAND": cmd, "CNI_CONTAINERID": id, "CNI_IFNAME": ifname, "CNI_PATH": "/usr/lib/cni",
                 "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        if let netns { e["CNI_NETNS"] = netns }
        return e
    }

    /// The environment of a verb without an attachment (STATUS, GC).
    func env(_ cmd: String) -> [String: String] { ["CNI_COMMAND": cmd, "CNI_PATH": "/usr/lib/cni"] }

    @discardableResult
    func plugin(_ env: [String: String], _ stdin: String, binary: String? = nil, expect status: Int32 = 0,
                file: StaticString = #filePath, line: UInt = #line) -> JSON {
        let (rc, out) = runPlugin(env, stdin, binary: binary ?? self.binary)
        XCTAssertEqual(rc, status, "\(env["CNI_COMMAND"] ?? "") \(env["CNI_CONTAINERID"] ?? "") -> \(out)", file: file, line: line)
        guard !out.isEmpty else { return .null }
        guard let j = try? JSON.parse(Array(out.utf8), what: "plugin output") else {
            XCTFail("plugin output is not JSON: \(out)", file: file, line: line)
            return .null
        }
        return j
    }

    /// The error code of a run expected to fail.
    func failure(_ env: [String: String], _ stdin: String, file: StaticString = #filePath, line: UInt = #line) -> Int64? {
        plugin(env, stdin, expect: 1, file: file, line: line)["code"]?.intValue
    }

    /// A reply from `ip` inside the named namespace; "could not run" fails the test.
    func assertReaches(_ ns: String, _ ip: String, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
        let r = ping(from: ns, ip)
        XCTAssertEqual(r, .reply, "\(ns) → \(ip) \(what)", file: file, line: line)
    }

    /// No reply (the probe ran and got nothing); "could not run" fails the test.
    func assertUnreachable(_ ns: String, _ ip: String, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
        let r = ping(from: ns, ip)
        XCTAssertEqual(r, .noReply, "\(ns) → \(ip) must not answer \(what)", file: file, line: line)
    }

    /// Output of a tool (cross-checks only).
    func tool(_ path: String, _ args: [String]) -> String { runTool(path, args).1 }

    func hostVeths(group network: String) throws -> [Link] {
        try NetHandle().links().filter { $0.isVeth && $0.group == Naming.linkGroup(network: network) }
    }

    /// Links of the host that belong to this test's network: its host veths and its bridge.
    func ownLinks(network: String, bridge: String) throws -> [String] {
        try NetHandle().links().filter { ($0.isVeth && $0.group == Naming.linkGroup(network: network)) || $0.name == bridge }
            .map { "\($0.name)#\($0.index)" }.sorted()
    }

    struct StoreMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "IPAM store \(path) does not exist" }
    }

    /// The reserved addresses of the network's store; throws when the store does not exist (use
    /// ``storeExists(_:)`` where absence is what the test expects).
    func reservations(_ network: String) throws -> [String] {
        let d = "\(dataDir)/\(network)"
        guard storeExists(network) else { throw StoreMissing(path: d) }
        return try FileManager.default.contentsOfDirectory(atPath: d).filter { IPAddress($0) != nil }.sorted()
    }

    func storeExists(_ network: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: "\(dataDir)/\(network)", isDirectory: &isDir) && isDir.boolValue
    }

    func masqueradeOwners(_ network: String) throws -> [String] {
        try Masquerade.owners().filter { $0.hasPrefix(Naming.masqueradePrefix(network: network)) }.sorted()
    }

    func address(_ result: JSON, _ i: Int = 0) -> String {
        let a = result["ips"]?.arrayValue?[i]["address"]?.stringValue ?? ""
        return String(a.split(separator: "/").first ?? "")
    }
}
