import VethKit
@testable import VethKitTopology
import XCTest

/// Only per-network-namespace sysctls (`net.*`) are accepted: `kernel.hostname` under a node
/// changed the host's hostname (issue 15). Refused at validation, with file:line:column.
final class SysctlValidationTests: XCTestCase {
    func testNonNetworkSysctlsAreRefusedWithTheirPosition() throws {
        for key in ["kernel.hostname", "vm.swappiness", "fs.file-max", "network.x", "kernel.domainname"] {
            let yaml = "name: t\nnodes:\n  t1:\n    sysctls: {\(key): x}\nlinks: []\n"
            XCTAssertThrowsError(try Topology.parse(yaml, file: "t.yaml"), key) { e in
                guard let s = e as? SchemaErrors else { return XCTFail("\(key): \(e)") }
                XCTAssertEqual(s.errors.count, 1, "\(s.errors)")
                XCTAssertEqual(s.errors.first?.description, "t.yaml:4:15: sysctl \"\(key)\" is not per network namespace: only net.* keys are accepted")
            }
        }
        // The host node too: its net.* are the host namespace's, anything else is the machine's.
        XCTAssertThrowsError(try Topology.parse("name: t\nnodes:\n  host:\n    sysctls: {kernel.hostname: x}\nlinks: []\n", file: "t.yaml")) { e in
            XCTAssertEqual((e as? SchemaErrors)?.errors.map(\.description), ["t.yaml:4:15: sysctl \"kernel.hostname\" is not per network namespace: only net.* keys are accepted"])
        }
        let ok = try Topology.parse("name: t\nnodes:\n  t1:\n    sysctls: {net.ipv4.ip_forward: \"1\"}\nlinks: []\n")
        XCTAssertEqual(ok.node("t1")?.sysctls, [Topology.Sysctl("net.ipv4.ip_forward", "1")])
    }
}
