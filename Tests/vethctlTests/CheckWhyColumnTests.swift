import Foundation
import VethKitTestSupport
import XCTest

/// `check`'s table puts why a claim failed in its WHY column (RTT holds only a reply's time), and
/// why the pair is probed in CLAIM: a link cut with `vethctl cut` fails its claims with the reason
/// under WHY, in the plain table and with `--count`, and the reason is the JSON's `error`.
final class CheckWhyColumnTests: XCTestCase {
    let v = Vethctl()

    /// The table's rows as cells by column name, cut at the header's column starts (cells hold spaces).
    func cells(_ table: String) throws -> [[String: String]] {
        let lines = table.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first)
        var names: [(String, String.Index)] = []
        var i = header.startIndex
        while i < header.endIndex {
            // A column starts after two spaces (a name like "RTT MIN/AVG/MAX/MDEV MS" has single ones).
            let start = i
            var end = i
            while end < header.endIndex, !header[end...].hasPrefix("  ") { end = header.index(after: end) }
            names.append((String(header[start..<end]), start))
            i = end
            while i < header.endIndex, header[i] == " " { i = header.index(after: i) }
        }
        let offsets = names.map { header.distance(from: header.startIndex, to: $0.1) }
        return lines.dropFirst().dropLast().map { line in
            var row: [String: String] = [:]
            let chars = Array(line)
            for (k, (name, _)) in names.enumerated() {
                let from = min(offsets[k], chars.count), to = k + 1 < offsets.count ? min(offsets[k + 1], chars.count) : chars.count
                row[name] = String(chars[from..<to]).trimmingCharacters(in: .whitespaces)
            }
            return row
        }
    }

    func testCutLinksFailureReasonIsInTheWhyColumn() throws {
        try requireKernel()
        let name = "tp\(uniqueSuffix())"
        let path = NSTemporaryDirectory() + "vethctl-why-\(name).yaml"
        try """
        name: \(name)
        nodes:
          a: {}
          b: {}
          c: {}
        links:
          - endpoints: [{node: a, name: eth0, addresses: [10.159.1.1/24]}, {node: b, name: eth0, addresses: [10.159.1.2/24]}]
          - endpoints: [{node: a, name: eth1, addresses: [10.159.2.1/24]}, {node: c, name: eth0, addresses: [10.159.2.2/24]}]
        """.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { [v] in
            _ = try? v.run(["down", name])
            try? FileManager.default.removeItem(atPath: path)
        }
        try v.ok("up", path, "-q")
        try v.ok("cut", name, "b")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try v.run(["check", path, "--timeout", "200ms", "--json"]).stdout.utf8)) as? [String: Any])
        let errors = Dictionary(((json["probes"] as? [[String: Any]]) ?? []).map { ("\($0["from"]!) \($0["to"]!)", $0["error"] as? String) },
                                uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(errors.count, 4, "\(json)")

        for (args, rtt) in [(["check", path, "--timeout", "200ms"], "RTT"), (["check", path, "--timeout", "200ms", "--count", "2"], "RTT MIN/AVG/MAX/MDEV MS")] {
            let r = try v.run(args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stdout) \(r.stderr)")
            let header = try XCTUnwrap(r.stdout.split(separator: "\n").first).components(separatedBy: "  ").filter { !$0.isEmpty }
                .map { $0.trimmingCharacters(in: .whitespaces) }
            XCTAssertEqual(Array(header.suffix(2)), ["WHY", "CLAIM"], "\(args): \(r.stdout)")
            XCTAssertTrue(header.contains(rtt), "\(args): \(header)")
            let rows = try cells(r.stdout)
            XCTAssertEqual(rows.count, 4, "\(args): \(r.stdout)")
            for row in rows {
                let pair = "\(row["FROM"] ?? "?") \(row["TO"] ?? "?")"
                let cut = pair == "a 10.159.1.2" || pair == "b 10.159.1.1"
                XCTAssertEqual(row["RESULT"], cut ? "FAIL" : "ok", "\(args) \(pair): \(r.stdout)")
                XCTAssertTrue(row["CLAIM"]?.hasPrefix("link \(row["FROM"] ?? "?")/") == true, "\(args) \(pair): \(r.stdout)")
                if cut {
                    XCTAssertEqual(row[rtt], "-", "\(args) \(pair): RTT holds no reason: \(r.stdout)")
                    XCTAssertTrue(row["WHY"]?.hasPrefix("no reply") == true, "\(args) \(pair): \(r.stdout)")
                    if rtt == "RTT" { XCTAssertEqual(row["WHY"], errors[pair] ?? nil, "\(args) \(pair): WHY is the JSON's error") }
                } else {
                    XCTAssertEqual(row["WHY"], "-", "\(args) \(pair): \(r.stdout)")
                    XCTAssertTrue(row[rtt]?.range(of: "^[0-9./]+( ms)?$", options: .regularExpression) != nil, "\(args) \(pair): \(r.stdout)")
                }
            }
        }
    }
}
