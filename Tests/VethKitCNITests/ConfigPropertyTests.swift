import VethKitJSON
import Foundation
import VethKit
import XCTest
@testable import VethKitCNI

/// Property tests of the configuration path (JSON parser → NetworkConfig → IPAMConfig / prevResult):
/// valid documents, mutated; every mutant either parses or is refused with a CNIError of an
/// expected code, never anything else, and enough of them get past the JSON grammar to exercise
/// the deep validators. The RNG is seeded (VETHKIT_TEST_SEED replays a run); the seed is in
/// every failure message.
final class ConfigPropertyTests: XCTestCase {
    let documents: [(String, CNICommand)] = [
        (#"{"cniVersion":"1.0.0","name":"net1","type":"vethkit-cni","bridge":"cni0","isGateway":true,"ipMasq":true,"mtu":1400,"dns":{"nameservers":["10.0.0.1"]},"ipam":{"type":"vethkit","dataDir":"/run/x","ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.10","rangeEnd":"10.1.0.20","gateway":"10.1.0.1"}],[{"subnet":"fd00::/64"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"192.168.0.0/16","gw":"10.1.0.1"}]}}"#, .add),
        (#"{"cniVersion":"1.1.0","name":"n-2","type":"vethkit-cni","ipam":{"type":"vethkit","subnet":"10.2.0.0/29"},"cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"},{"containerID":"b","ifname":"net1"}]}"#, .gc),
        (#"{"cniVersion":"0.4.0","name":"chk","type":"vethkit-cni","isDefaultGateway":true,"ipam":{"type":"vethkit","subnet":"10.3.0.0/24"},"prevResult":{"cniVersion":"0.4.0","interfaces":[{"name":"cni0","mac":"aa:bb:cc:dd:ee:01"},{"name":"veth1"},{"name":"eth0","mac":"aa:bb:cc:dd:ee:03","sandbox":"/run/netns/c"}],"ips":[{"version":"4","address":"10.3.0.2/24","gateway":"10.3.0.1","interface":2}],"routes":[{"dst":"0.0.0.0/0","gw":"10.3.0.1"}],"dns":{}}}"#, .check),
    ]

    /// The codes a configuration may be refused with (docs/cni.md): version, unsupported field,
    /// undecodable, invalid.
    let configCodes: Set<CNIError.Code> = [.incompatibleVersion, .unsupportedField, .decodingFailure, .invalidNetworkConfig]

    func seed() -> UInt64 {
        if let s = ProcessInfo.processInfo.environment["VETHKIT_TEST_SEED"], let v = UInt64(s) { return v }
        return UInt64.random(in: 0...UInt64.max)
    }

    /// Parses like the plugin: JSON, then the whole configuration (IPAM included, as ADD does).
    func parse(_ bytes: [UInt8], _ command: CNICommand) throws {
        let config = try NetworkConfig(stdin: bytes, command: command)
        if config.ipamType == BuiltinIPAM.typeName, let ipam = config.ipam { _ = try IPAMConfig(json: ipam) }
    }

    func testOriginalsParse() throws {
        for (doc, cmd) in documents {
            XCTAssertNoThrow(try parse(Array(doc.utf8), cmd), doc)
            let c = try NetworkConfig(stdin: Array(doc.utf8), command: cmd)
            XCTAssertEqual(json(doc), c.raw, "the configuration as received")
        }
    }

    /// Byte-level mutants (flip, delete, insert, duplicate a slice).
    func testByteMutants() throws {
        let seed = seed()
        var rng = SplitMix64(seed: seed)
        var jsonOK = 0, deep = 0, accepted = 0, total = 0
        for (doc, cmd) in documents {
            let original = Array(doc.utf8)
            for _ in 0..<1500 {
                var b = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !b.isEmpty {
                    let k = Int.random(in: 0..<b.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: b[k] = UInt8.random(in: 0...255, using: &rng)
                    case 1: b.remove(at: k)
                    case 2: b.insert(UInt8.random(in: 0...255, using: &rng), at: k)
                    default:
                        let end = min(b.count, k + Int.random(in: 1...16, using: &rng))
                        b.insert(contentsOf: b[k..<end], at: k)
                    }
                }
                total += 1
                do {
                    _ = try JSON.parse(b, what: "mutant")
                    jsonOK += 1
                } catch let e as CNIError {
                    XCTAssertEqual(e.code, .decodingFailure, "JSON refusal must be code 6 (seed \(seed)): \(e)")
                    continue
                } catch {
                    XCTFail("JSON parser threw \(error) (seed \(seed))")
                    continue
                }
                deep += 1
                do {
                    try parse(b, cmd)
                    accepted += 1
                } catch let e as CNIError {
                    XCTAssertTrue(configCodes.contains(e.code), "unexpected code \(e.code.rawValue) for a configuration (seed \(seed)): \(e)")
                    XCTAssertFalse(e.msg.unicodeScalars.contains { $0.value < 0x20 }, "control character in a message (seed \(seed)): \(e.msg.debugDescription)")
                } catch {
                    XCTFail("configuration threw \(error), not a CNIError (seed \(seed))")
                }
            }
        }
        print("config byte mutants (seed \(seed)): \(total) made, \(jsonOK) valid JSON reached NetworkConfig, \(accepted) accepted")
        // Measured ~30 % of such mutants stay valid JSON: the deep validators do get exercised.
        XCTAssertGreaterThan(deep, total / 10, "too few mutants reached NetworkConfig (seed \(seed))")
        XCTAssertGreaterThan(accepted, 0, "some mutants (e.g. in a string's content) are still valid (seed \(seed))")
        XCTAssertLessThan(accepted, deep, "some valid-JSON mutants must be refused by the validators (seed \(seed))")
    }

    /// Tree-level mutants: one value of the parsed document replaced by a value of another type
    /// or an out-of-range one. Every mutant reaches NetworkConfig; each is accepted or refused
    /// with a configuration code.
    func testValueMutants() throws {
        let seed = seed()
        var rng = SplitMix64(seed: seed)
        let replacements: [JSON] = [.null, .bool(true), .int(-1), .int(Int64.max), .double(1.5), .string(""), .string("../x"),
                                    .string("10.0.0.0/33"), .string("\u{1b}]0;x"), .string(String(repeating: "a", count: 5000)),
                                    .array([]), .array([.null]), .object([:])]
        var refused: [Int: Int] = [:], accepted = 0, total = 0
        for (doc, cmd) in documents {
            let tree = json(doc)
            var paths: [[String]] = []
            func walk(_ v: JSON, _ path: [String]) {
                paths.append(path)
                switch v {
                case .object(let o): for f in o { walk(f.value, path + [f.key]) }
                case .array(let a): for (i, c) in a.enumerated() { walk(c, path + ["#\(i)"]) }
                default: break
                }
            }
            walk(tree, [])
            paths.removeFirst()   // not the root itself
            for _ in 0..<800 {
                let path = paths[Int.random(in: 0..<paths.count, using: &rng)]
                let mutant = replace(tree, path, with: replacements[Int.random(in: 0..<replacements.count, using: &rng)])
                total += 1
                do {
                    try parse(Array(mutant.serialized.utf8), cmd)
                    accepted += 1
                } catch let e as CNIError {
                    XCTAssertTrue(configCodes.contains(e.code), "code \(e.code.rawValue) at \(path) (seed \(seed)): \(e)")
                    XCTAssertFalse(e.msg.unicodeScalars.contains { $0.value < 0x20 }, "control character in a message (seed \(seed)): \(e.msg.prefix(300).debugDescription)")
                    XCTAssertLessThan(e.msg.utf8.count, 2000, "messages shorten long values (seed \(seed)): \(e.msg.prefix(300))")
                    refused[e.code.rawValue, default: 0] += 1
                } catch {
                    XCTFail("configuration threw \(error), not a CNIError, at \(path) (seed \(seed))")
                }
            }
        }
        print("config value mutants (seed \(seed)): \(total), accepted \(accepted), refused by code \(refused.sorted { $0.key < $1.key })")
        XCTAssertGreaterThan(refused[7] ?? 0, total / 10, "invalid values must be refused with 7 (seed \(seed))")
        XCTAssertGreaterThan(accepted, 0, "unknown or optional fields accept other values (seed \(seed))")
    }

    func replace(_ v: JSON, _ path: [String], with new: JSON) -> JSON {
        guard let head = path.first else { return new }
        let rest = Array(path.dropFirst())
        switch v {
        case .object(var o): o[head] = replace(o[head] ?? .null, rest, with: new); return .object(o)
        case .array(var a):
            let i = Int(head.dropFirst())!
            a[i] = replace(a[i], rest, with: new)
            return .array(a)
        default: return new
        }
    }
}
