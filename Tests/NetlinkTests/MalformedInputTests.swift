import CLinuxUAPI
import Foundation
@testable import Netlink
import XCTest

/// Property tests of the decoder. Inputs start from valid datagrams (captured kernel replies in
/// Tests/VethKitTests/Fixtures and messages built with MessageWriter), are mutated
/// (NetlinkMutator: bit flips, truncation, length edits, attribute splicing), and every result is
/// compared with ReferenceDecoder, an independent reading of the framing rules: the decoder must
/// accept exactly what the reference accepts, return the same messages and attributes, and throw
/// only its own ``MalformedMessage``. Counters prove the mutants reach the attribute decoders.
/// Seeds are fixed; `VETHKIT_TEST_SEED=N` replays or explores another, and a failure prints it.
final class MalformedInputTests: XCTestCase {
    /// Datagrams built with the product's writer.
    static func builtSeeds() -> [[UInt8]] {
        var link = MessageWriter(type: UInt16(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL)
        link.append(header: ifinfomsg())
        link.attribute(UInt16(IFLA_IFNAME), string: "veth1")
        link.attribute(UInt16(IFLA_MTU), uint32: 1500)
        link.nested(UInt16(IFLA_LINKINFO)) { m in
            m.attribute(UInt16(IFLA_INFO_KIND), string: "veth")
            m.nested(UInt16(IFLA_INFO_DATA)) { m in
                m.nested(UInt16(VETH_INFO_PEER)) { m in
                    m.append(header: ifinfomsg())
                    m.attribute(UInt16(IFLA_IFNAME), string: "veth2")
                }
            }
        }
        var addr = MessageWriter(type: UInt16(RTM_NEWADDR))
        var ah = ifaddrmsg()
        ah.ifa_family = UInt8(AF_INET)
        ah.ifa_prefixlen = 24
        addr.append(header: ah)
        addr.attribute(UInt16(IFA_LOCAL), [192, 168, 1, 1])
        addr.attribute(UInt16(IFA_ADDRESS), [192, 168, 1, 1])
        addr.attribute(UInt16(IFA_LABEL), string: "br0")
        var route = MessageWriter(type: UInt16(RTM_NEWROUTE))
        route.append(header: rtmsg())
        route.attribute(UInt16(RTA_DST.rawValue), [10, 9, 0, 0])
        route.attribute(UInt16(RTA_GATEWAY.rawValue), [192, 168, 1, 2])
        route.attribute(UInt16(RTA_PRIORITY.rawValue), uint32: 7)
        let done = MessageWriter(type: UInt16(NLMSG_DONE))
        return [link.encoded(sequence: 1), addr.encoded(sequence: 2), route.encoded(sequence: 3),
                link.encoded(sequence: 4) + addr.encoded(sequence: 4) + done.encoded(sequence: 4)]
    }

    /// The kernel replies captured for VethKitTests (read from the source tree).
    static func fixtureSeeds() throws -> [[UInt8]] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("VethKitTests/Fixtures")
        return try ["getlink-veth1", "dumplink", "dumpaddr", "dumproute4"].map { name in
            try Array(Data(contentsOf: dir.appendingPathComponent(name + ".bin")))
        }
    }

    /// What one input did.
    struct Tally {
        var inputs = 0, framed = 0, framingRefused = 0, attributesDecoded = 0, attributesRefused = 0, nestsDecoded = 0
        var kinds: [String: Int] = [:]
    }

    /// Decodes `b` with the product and the reference, fails on any disagreement, and counts how
    /// deep it got. `context` names the input for failure messages (seed, mutation).
    func check(_ b: [UInt8], _ context: @autoclosure () -> String, _ tally: inout Tally) {
        tally.inputs += 1
        let reference = ReferenceDecoder.messages(b)
        let messages: [NetlinkMessage]
        do {
            messages = try NetlinkMessage.parse(b)
        } catch {
            tally.framingRefused += 1
            XCTAssertTrue(error is MalformedMessage, "\(context()): parse threw \(type(of: error)): \(error)")
            XCTAssertNil(reference, "\(context()): parse refused what the reference accepts: \(error)")
            return
        }
        tally.framed += 1
        guard let reference else { return XCTFail("\(context()): parse accepted what the reference refuses") }
        let got = messages.map {
            ReferenceDecoder.Message(type: $0.type, flags: $0.flags, sequence: $0.sequence, portID: $0.portID, payload: $0.payload.indices)
        }
        guard got == reference else { return XCTFail("\(context()): messages \(got) ≠ reference \(reference)") }
        for m in messages {
            guard let h = ReferenceDecoder.fixedHeader(m.type), m.payload.count >= h else { continue }
            let expected = ReferenceDecoder.attributes(m.payload.dropFirst(h))
            let attrs: AttributeList
            do {
                switch h {
                case 16: attrs = try m.attributes(after: ifinfomsg.self)
                case 8: attrs = try m.attributes(after: ifaddrmsg.self)
                default: attrs = try m.attributes(after: rtmsg.self)
                }
            } catch {
                tally.attributesRefused += 1
                XCTAssertTrue(error is MalformedMessage, "\(context()): attributes threw \(type(of: error)): \(error)")
                XCTAssertNil(expected, "\(context()): attributes refused what the reference accepts: \(error)")
                continue
            }
            tally.attributesDecoded += 1
            let gotAttrs = attrs.map { ReferenceDecoder.Attr(type: $0.type, value: $0.value.indices) }
            XCTAssertEqual(gotAttrs, expected, "\(context()): attributes differ from the reference")
            for a in attrs where a.value.count >= 4 {
                let inner = ReferenceDecoder.attributes(a.value)
                if let nested = try? a.nested() {
                    tally.nestsDecoded += 1
                    XCTAssertEqual(nested.map { ReferenceDecoder.Attr(type: $0.type, value: $0.value.indices) }, inner,
                                   "\(context()): nest \(a.type) differs from the reference")
                } else {
                    XCTAssertNil(inner, "\(context()): nest \(a.type) refused what the reference accepts")
                }
                _ = a.string
                XCTAssertEqual(a.uint32, a.value.count >= 4 ? (try? a.integer(UInt32.self)) : nil)
            }
        }
    }

    func testOriginalsDecode() throws {
        var tally = Tally()
        for (i, b) in try (Self.builtSeeds() + Self.fixtureSeeds()).enumerated() {
            XCTAssertNoThrow(try NetlinkMessage.parse(b), "seed datagram \(i)")
            check(b, "seed datagram \(i)", &tally)
            XCTAssertEqual(tally.framed, i + 1, "seed datagram \(i) does not decode")
        }
        XCTAssertEqual(tally.attributesRefused, 0, "an original's attributes were refused")
        XCTAssertGreaterThan(tally.nestsDecoded, 4)
        // The built link request reads back as written.
        let link = try XCTUnwrap(NetlinkMessage.parse(Self.builtSeeds()[0]).first)
        let attrs = try link.attributes(after: ifinfomsg.self)
        XCTAssertEqual(attrs[UInt16(IFLA_IFNAME)]?.string, "veth1")
        XCTAssertEqual(attrs[UInt16(IFLA_MTU)]?.uint32, 1500)
        let info = try XCTUnwrap(attrs[UInt16(IFLA_LINKINFO)]).nested()
        XCTAssertEqual(info[UInt16(IFLA_INFO_KIND)]?.string, "veth")
    }

    func testMutatedValidMessagesAgreeWithTheReference() throws {
        let (seeded, seed) = seededGenerator(default: 0x5eed_0001)
        var rng = seeded
        let seeds = try Self.builtSeeds() + Self.fixtureSeeds()
        var tally = Tally()
        let rounds = 12_000
        for round in 0..<rounds {
            let origin = Int.random(in: 0..<seeds.count, using: &rng)
            var (b, kind) = NetlinkMutator.mutate(seeds[origin], donors: seeds, using: &rng)
            if Int.random(in: 0..<4, using: &rng) == 0 {   // sometimes a second mutation on top
                let second = NetlinkMutator.mutate(b, donors: seeds, using: &rng)
                (b, kind) = (second.bytes, kind + " + " + second.kind)
            }
            tally.kinds[kind, default: 0] += 1
            check(b, "seed \(seed), round \(round), datagram \(origin), \(kind), bytes \(b.prefix(64).map { String($0, radix: 16) })", &tally)
            if testRun?.failureCount ?? 0 > 20 { return XCTFail("seed \(seed): stopping after 20 failures") }
        }
        print("MalformedInputTests seed \(seed): \(tally.inputs) mutants, \(tally.framed) framed, \(tally.framingRefused) refused at framing, "
              + "\(tally.attributesDecoded) attribute lists decoded, \(tally.attributesRefused) refused, \(tally.nestsDecoded) nests")
        // The mutants must exercise both sides of each decoder, not just bounce off the header check.
        XCTAssertGreaterThan(tally.framed, rounds * 4 / 10, "seed \(seed): too few mutants got past the framing")
        XCTAssertGreaterThan(tally.framingRefused, rounds / 10, "seed \(seed): too few mutants were refused at the framing")
        XCTAssertGreaterThan(tally.attributesDecoded, rounds * 4 / 10, "seed \(seed): too few mutants reached the attribute decoder")
        XCTAssertGreaterThan(tally.attributesRefused, rounds / 20, "seed \(seed): too few mutants were refused by the attribute decoder")
        XCTAssertGreaterThan(tally.nestsDecoded, rounds, "seed \(seed): too few nests decoded")
        XCTAssertGreaterThan(tally.kinds.keys.filter { $0.hasPrefix("splice") }.count, 0, "seed \(seed): no splices")
    }

    /// Random attribute trees written with MessageWriter decode to the same tree.
    func testRandomAttributeTreesRoundTrip() throws {
        let (seeded, seed) = seededGenerator(default: 42)
        var rng = seeded
        indirect enum Node: Equatable { case leaf(UInt16, [UInt8]); case nest(UInt16, [Node]) }
        func tree(_ depth: Int) -> [Node] {
            (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                let type = UInt16.random(in: 1...0x3fff, using: &rng)
                if depth < 3, Int.random(in: 0..<3, using: &rng) == 0 { return .nest(type, tree(depth + 1)) }
                return .leaf(type, (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
        }
        func write(_ nodes: [Node], _ m: inout MessageWriter) {
            for n in nodes {
                switch n {
                case .leaf(let t, let v): m.attribute(t, v)
                case .nest(let t, let inner): m.nested(t) { write(inner, &$0) }
                }
            }
        }
        func read(_ list: AttributeList, like shape: [Node]) throws -> [Node] {
            try zip(list, shape).map { a, s in
                switch s {
                case .leaf: .leaf(a.type, Array(a.value))
                case .nest(_, let inner): .nest(a.type, try read(a.nested(), like: inner))
                }
            }
        }
        for round in 0..<3000 {
            let nodes = tree(0)
            var m = MessageWriter(type: 16)
            m.append(header: ifinfomsg())
            write(nodes, &m)
            let msgs = try NetlinkMessage.parse(m.encoded(sequence: UInt32(round)))
            XCTAssertEqual(msgs.count, 1, "seed \(seed) round \(round)")
            let attrs = try XCTUnwrap(msgs.first).attributes(after: ifinfomsg.self)
            XCTAssertEqual(attrs.count, nodes.count, "seed \(seed) round \(round)")
            XCTAssertEqual(try read(attrs, like: nodes), nodes, "seed \(seed) round \(round)")
        }
    }
}
