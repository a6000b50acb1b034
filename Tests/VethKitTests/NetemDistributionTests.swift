import Foundation
@testable import VethKit
import XCTest

/// The delay distribution tables VethKit generates (as iproute2's netem/normal.c, pareto.c and
/// paretonormal.c compute them) against the .dist files iproute2 ships, value for value. (The
/// encoding fixtures compare them too, as tc sent them.)
final class NetemDistributionTests: XCTestCase {
    func testTablesEqualIproute2sFiles() throws {
        let dirs = ["/usr/lib/x86_64-linux-gnu/tc", "/usr/lib/aarch64-linux-gnu/tc", "/usr/lib/tc", "/usr/lib64/tc", "/usr/share/tc"]
        guard let dir = dirs.first(where: { FileManager.default.fileExists(atPath: "\($0)/normal.dist") }) else {
            throw XCTSkip("iproute2's .dist files are not installed")
        }
        for d in [Netem.Distribution.normal, .pareto, .paretoNormal] {
            let text = try String(contentsOfFile: "\(dir)/\(d).dist", encoding: .utf8)
            let values = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
                .flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }) }.compactMap { Int16($0) }
            XCTAssertEqual(values.count, 4096, "\(d)")
            XCTAssertEqual(d.table, values, "\(d)")
        }
        XCTAssertNil(Netem.Distribution.uniform.table)
    }

    /// The shapes themselves: the normal table is symmetric around 0 and spans about ±4σ
    /// (8192 per σ); pareto's is increasing with a long positive tail.
    func testShapes() throws {
        let normal = try XCTUnwrap(Netem.Distribution.normal.table)
        XCTAssertEqual(normal.count, 4096)
        XCTAssertEqual(normal.sorted(), normal)
        XCTAssertEqual(Int(normal[2048]), 0, accuracy: 8)
        XCTAssertLessThan(normal.first!, -3 * 8192)
        XCTAssertGreaterThan(normal.last!, 3 * 8192)
        let pareto = try XCTUnwrap(Netem.Distribution.pareto.table)
        XCTAssertEqual(pareto.sorted(), pareto)
        XCTAssertEqual(pareto.last, 32767)
    }
}
