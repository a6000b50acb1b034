import VethKit
@testable import VethKitTopology
import XCTest

/// `impair:` on a link (both directions) and on an endpoint (that end's egress): values through
/// VethKit's one parser of them, every error with its line and column naming the key and the
/// value, hostile input.
final class ImpairParserTests: XCTestCase {
    func errors(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try Topology.parse(yaml, file: "t.yaml")
            XCTFail("expected a schema error", file: file, line: line)
        } catch let e as SchemaErrors {
            return e.errors.map(\.description)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return []
    }

    /// A link a/e0 <-> b/e0 with `link` after its endpoints (one line) and `end` inside a's endpoint.
    func doc(link: String = "", end: String = "") -> String {
        "name: im\nnodes: {a: {}, b: {}}\nlinks:\n  - endpoints: [{node: a, name: e0\(end.isEmpty ? "" : ", impair: \(end)")}, {node: b, name: e0}]\n"
            + (link.isEmpty ? "" : "    impair: \(link)\n")
    }

    func testTheIssuesExampleParses() throws {
        let t = try Topology.load(repoRoot + "/examples/impaired-netem.yaml")
        let want = try impairment(("delay", "20ms"), ("jitter", "2ms"), ("loss", "1%"), ("rate", "100mbit"), ("seed", "7"))
        XCTAssertEqual(t.links[0].impair, want)
        XCTAssertEqual(t.links[0].impairment(of: 0), want)
        XCTAssertEqual(t.links[0].impairment(of: 1), want, "a link's impair is each direction's")
        XCTAssertNil(t.links[1].impair)
        XCTAssertEqual(t.links[1].impairment(of: 0), try impairment(("rate", "10mbit")))
        XCTAssertNil(t.links[1].impairment(of: 1), "an endpoint's impair is that end's egress only")
        // In the declared interfaces the planner and show use.
        XCTAssertEqual(t.interfaces(of: "r1").map { $0.impair }, [want, nil])
        let rateOnly = try Topology.load(repoRoot + "/examples/impaired.yaml")
        XCTAssertEqual(rateOnly.links.count, 3)
    }

    func testEveryKeyOfTheLibraryIsAccepted() throws {
        // Each key the library takes, with a value in tc's units.
        let values = ["delay": "20ms", "jitter": "5ms", "loss": "1%", "rate": "100mbit", "corrupt": "0.1%",
                      "duplicate": "0.1%", "reorder": "1%", "limit": "1000", "seed": "7"]
        for key in TopologyParser.impairKeys {
            guard let v = values[key] else { continue }
            var body = "{\(key): \(v)}"
            if key == "jitter" || key == "reorder" { body = "{delay: 10ms, \(key): \(v)}" }
            XCTAssertNoThrow(try Topology.parse(doc(link: body)), "\(key): \(v)")
        }
        for key in ["delay", "loss", "rate", "seed"] { XCTAssertTrue(TopologyParser.impairKeys.contains(key), key) }
        // Empty or null: no impairment.
        XCTAssertNil(try Topology.parse(doc(link: "{}")).links[0].impair)
        XCTAssertNil(try Topology.parse(doc(link: "~")).links[0].impair)
        // Quoted and plain are the same text.
        XCTAssertEqual(try Topology.parse(doc(link: "{rate: \"10mbit\"}")).links[0].impair, try impairment(("rate", "10mbit")))
    }

    func testErrorsNameKeyValueLineAndColumn() throws {
        // A bad unit, at the value.
        var e = errors(doc(link: "{delay: 20xs}"))
        XCTAssertEqual(e.count, 1, "\(e)")
        XCTAssertTrue(e[0].hasPrefix("t.yaml:5:21: impair: invalid delay \"20xs\": "), e[0])
        XCTAssertTrue(e[0].contains("unknown unit \"xs\""), e[0])
        // An unknown key, at the key, listing the keys there are.
        e = errors(doc(end: "{latency: 1ms}"))
        XCTAssertEqual(e.count, 1, "\(e)")
        XCTAssertTrue(e[0].hasPrefix("t.yaml:4:46: unknown key \"latency\" in impair (expected: "), e[0])
        XCTAssertTrue(e[0].contains("delay"), e[0])
        // Not text, not a mapping, duplicate keys, more than one error reported at once.
        e = errors(doc(link: "{rate: [1, 2]}"))
        XCTAssertEqual(e, ["t.yaml:5:20: impair rate must be a text value"])
        e = errors(doc(link: "[rate, 1mbit]"))
        XCTAssertEqual(e, ["t.yaml:5:13: impair must be a mapping"])
        e = errors(doc(link: "{rate: 1mbit, rate: 2mbit}"))
        XCTAssertEqual(e, ["t.yaml:5:27: duplicate key \"rate\" in impair"])
        e = errors(doc(link: "{loss: 120%}", end: "{rate: fast}"))
        XCTAssertEqual(e.count, 2, "\(e)")
        XCTAssertTrue(e[0].hasPrefix("t.yaml:4:52: impair: invalid rate \"fast\"") && e[0].contains("fast"), e[0])
        XCTAssertTrue(e[1].hasPrefix("t.yaml:5:20: impair: invalid loss \"120%\"") && e[1].contains("120%"), e[1])
    }

    func testHostileValuesAreOneErrorEach() throws {
        for bad in ["\"-5ms\"", "\"99999999999999999999999999ms\"", "\"20 ms\"", "\"\\x1b[31m\"", "\"\"", "\"1e309ms\"", "\"nan%\"",
                    String(repeating: "9", count: 5000) + "mbit"] {
            let e = errors(doc(link: "{delay: \(bad)}"))
            XCTAssertEqual(e.count, 1, "\(bad): \(e)")
            XCTAssertTrue(e.first?.hasPrefix("t.yaml:5:21: impair: invalid delay ") ?? false, "\(bad): \(e)")
            // Control characters are escaped and long values shortened in what is printed.
            let printed = (try? Topology.parse(doc(link: "{delay: \(bad)}"), file: "t.yaml")).map { _ in "" } ?? e.joined()
            XCTAssertFalse(printed.utf8.contains(0x1b), printed)
            XCTAssertLessThan(printed.utf8.count, 400, printed)
        }
        for bad in ["\"-1\"", "\"18446744073709551616\"", "\"0x10\"", "\"7 \""] {
            let e = errors(doc(link: "{seed: \(bad)}"))
            XCTAssertEqual(e.count, 1, "seed \(bad): \(e)")
            XCTAssertTrue(e.first?.hasPrefix("t.yaml:5:20: impair: invalid seed ") ?? false, "\(bad): \(e)")
        }
    }
}
