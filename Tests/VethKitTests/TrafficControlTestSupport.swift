import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// Runs `tc ARGS` inside the named namespace (iproute2: the independent cross-check).
@discardableResult
func tc(in ns: NamespaceName, _ args: [String], expectSuccess: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
    let r = try runProcess("/usr/sbin/ip", ["netns", "exec", ns.rawValue, "/usr/sbin/tc"] + args)
    if expectSuccess { XCTAssertEqual(r.status, 0, "tc \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line) }
    return r
}

/// `tc -j -s qdisc show [dev DEV]` in `ns`, decoded.
func tcQdiscs(in ns: NamespaceName, dev: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
    try parseJSONArray(tc(in: ns, ["-j", "-s", "qdisc", "show"] + (dev.map { ["dev", $0] } ?? []), file: file, line: line).stdout)
}

/// The raw text of `tc -j qdisc show dev DEV` (for "byte-identical afterwards" checks).
func tcQdiscText(in ns: NamespaceName, dev: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    try tc(in: ns, ["-j", "-d", "qdisc", "show", "dev", dev], file: file, line: line).stdout
}

/// A namespace of the test's own holding veth pairs `vkaN`/`vkbN`, both ends up.
final class TrafficControlNamespace {
    let name: NamespaceName
    let handle: NetHandle
    let namespace: NetworkNamespace

    init(prefix: String, pairs: Int = 1) throws {
        name = try NamespaceName("vk-\(prefix)-\(uniqueSuffix())")
        namespace = try NetworkNamespace.create(name)
        handle = try NetHandle(namespace: namespace)
        var batch = NetworkBatch()
        for i in 0..<pairs {
            var spec = LinkSpec.veth(try InterfaceName("vka\(i)"), peer: try InterfaceName("vkb\(i)"))
            spec.attributes.up = true
            if var v = spec.kind as? Veth { v.peer.up = true; spec.kind = v }
            batch.addLink(spec)
        }
        for r in try handle.perform(batch) { try r.get() }
    }

    func delete() { try? NetworkNamespace.delete(name) }

    /// The root qdisc of `dev` through VethKit.
    func root(_ dev: String) throws -> Qdisc? {
        try handle.qdiscs(link: .named(dev)).first { $0.isRoot }
    }
}
