import Foundation
import VethKit
import VethKitTestSupport
import XCTest

/// What the link-kind kernel tests share: namespaces of their own (deleted in teardown, with
/// everything in them), a veth between two of them, and `ip -j -d` read-backs. Everything a
/// test makes lives in its own namespaces, so nothing is compared against other tests' objects.
class KindKernelTestCase: XCTestCase {
    var namespaces: [NamespaceName] = []

    override func tearDownWithError() throws {
        for n in namespaces where NetworkNamespace.exists(n) { try? NetworkNamespace.delete(n) }
    }

    func newNamespace() throws -> NetworkNamespace {
        let n = try NamespaceName("vk-k-\(uniqueSuffix())")
        namespaces.append(n)
        return try NetworkNamespace.create(n)
    }

    /// `ns`'s name for `ip -n` and `ping(from:)`.
    func n(_ ns: NetworkNamespace) -> String { ns.name!.rawValue }

    /// A veth `left` — `right` between two namespaces, both ends up (and the loopbacks).
    func veth(_ left: String, in a: NetworkNamespace, _ right: String, in b: NetworkNamespace) throws {
        try NetHandle(namespace: a).addLink(LinkSpec(LinkAttributes(name: InterfaceName(left), up: true),
                                                     kind: Veth(peer: LinkAttributes(name: InterfaceName(right), namespace: b, up: true))))
        for ns in [a, b] { try NetHandle(namespace: ns).bringUp(InterfaceName("lo")) }
    }

    /// Adds `cidr` to `link` in `ns` (no DAD) and brings it up.
    func configure(_ ns: NetworkNamespace, _ link: String, _ cidr: String) throws {
        let h = try NetHandle(namespace: ns)
        try h.addAddress(IPNetwork(cidr), to: .name(InterfaceName(link)), noDAD: true)
        try h.bringUp(InterfaceName(link))
    }

    /// `linkinfo` of `link` in `ns` as `ip -j -d link show` prints it.
    func ipLinkInfo(_ ns: NetworkNamespace, _ link: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let j = try ipJSON("-n", n(ns), "-d", "link", "show", link, file: file, line: line)
        return try XCTUnwrap(j.first?["linkinfo"] as? [String: Any], "ip -d link show \(link): no linkinfo", file: file, line: line)
    }

    /// `linkinfo.info_data` of `link` in `ns` (ip -j -d).
    func ipInfoData(_ ns: NetworkNamespace, _ link: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try XCTUnwrap(try ipLinkInfo(ns, link, file: file, line: line)["info_data"] as? [String: Any],
                      "ip -d link show \(link): no info_data", file: file, line: line)
    }

    /// Pings until a reply (the first ARP/ND exchange over a link just made may be lost; see
    /// docs/design.md, link watcher): true on a reply within `tries` rounds.
    func reaches(_ from: NetworkNamespace, _ address: String, tries: Int = 3, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        for _ in 0..<tries {
            switch ping(from: n(from), address, count: 2, wait: 1) {
            case .reply: return true
            case .noReply: continue
            case .couldNotRun(let why):
                XCTFail("ping could not run: \(why)", file: file, line: line)
                return false
            }
        }
        return false
    }

    /// No reply to `count` echoes (fails the test when ping could not run at all).
    func unreachable(_ from: NetworkNamespace, _ address: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let r = ping(from: n(from), address, count: 2, wait: 1)
        if case .couldNotRun(let why) = r { XCTFail("ping could not run: \(why)", file: file, line: line) }
        return r == .noReply
    }

    /// Asserts `body` is refused by the kernel with EEXIST (a user's link of the same name).
    func assertExists(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            XCTAssertEqual((e as? KernelError)?.errno, .fileExists, "\(e)", file: file, line: line)
            XCTAssertEqual(ErrorCategory.of(e), .exists, "\(e)", file: file, line: line)
        }
    }
}
