import Foundation
import VethKit
import VethKitTestSupport
@testable import VethKitTopology
import XCTest

// What the kind-link kernel tests (KindLinkKernelTests here, KindLinkVMTests under scripts/vmtest)
// read back from `ip -j -d`.

/// `ip -j -d link show` of a node, by name.
func ipLinks(_ ns: String?) throws -> [String: [String: Any]] {
    let r = try runProcess("/usr/sbin/ip", (ns.map { ["-n", $0] } ?? []) + ["-j", "-d", "link", "show"])
    XCTAssertEqual(r.status, 0, r.stderr)
    var out: [String: [String: Any]] = [:]
    for l in try parseJSONArray(r.stdout) { if let n = l["ifname"] as? String { out[n] = l } }
    return out
}

/// What `ip -j -d` says of a kind link: kind, parent and options, in show --json's terms.
func ipKind(_ l: [String: Any]) -> String {
    let info = l["linkinfo"] as? [String: Any] ?? [:]
    let d = info["info_data"] as? [String: Any] ?? [:]
    let kind = info["info_kind"] as? String ?? "-"
    switch kind {
    case "vxlan":
        return "vxlan id \(d["id"] ?? "-") remote \(d["remote"] ?? "-") local \(d["local"] ?? "-") link \(d["link"] ?? "-") port \(d["port"] ?? "-") learning \((d["learning"] as? Bool).map { "\($0)" } ?? "-")"
    case "vlan": return "vlan on \(l["link"] ?? "-") protocol \(d["protocol"] ?? "-") id \(d["id"] ?? "-")"
    case "macvlan", "ipvlan": return "\(kind) on \(l["link"] ?? "-") mode \(d["mode"] ?? "-")"
    default: return kind
    }
}

/// Every kind link show --json reports agrees with `ip -j -d` (kind, parent, options), and
/// show is in sync with the file.
func assertKindLinksMatchIP(_ t: Topology, file: StaticString = #filePath, line: UInt = #line) throws {
    let report = try Shower.show(t)
    XCTAssertTrue(report.inSync, report.text, file: file, line: line)
    let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any], file: file, line: line)
    var compared = 0
    for node in json["nodes"] as? [[String: Any]] ?? [] {
        let ip = try ipLinks(node["namespace"] as? String)
        for i in node["interfaces"] as? [[String: Any]] ?? [] {
            let name = i["ifname"] as! String
            guard let info = i["linkinfo"] as? [String: Any], info["info_data"] != nil else { continue }
            XCTAssertEqual(ipKind(i), ipKind(try XCTUnwrap(ip[name], "ip sees \(name)", file: file, line: line)), "\(node["node"]!)/\(name)", file: file, line: line)
            compared += 1
        }
    }
    let declared = t.nodes.reduce(0) { $0 + $1.kindLinks.filter { $0.kindName != "dummy" }.count }
    XCTAssertEqual(compared, declared, "every kind link with options compared", file: file, line: line)
}

