@testable import Netlink
import XCTest

/// Property test: the decoder never crashes or loops on random or mutated input; it returns
/// messages or throws MalformedMessage.
final class MalformedInputTests: XCTestCase {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    /// Parses the datagram and every attribute list, recursively, in it.
    static func exercise(_ bytes: [UInt8]) {
        guard let msgs = try? NetlinkMessage.parse(bytes) else { return }
        for m in msgs {
            for skip in [0, 4, 8, 12, 16] where m.payload.count >= skip {
                guard let attrs = try? AttributeList(parsing: m.payload.dropFirst(skip)) else { continue }
                for a in attrs {
                    _ = a.string
                    _ = a.uint32
                    _ = a.uint64
                    if let nested = try? a.nested() { for n in nested { _ = try? n.nested() } }
                }
            }
        }
    }

    func testRandomBytes() {
        var rng = SplitMix64(state: 42)
        for _ in 0..<20_000 {
            let n = Int.random(in: 0..<96, using: &rng)
            Self.exercise((0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
    }

    func testMutatedValidMessages() {
        var rng = SplitMix64(state: 7)
        var base = MessageWriter(type: 16)
        base.attribute(3, string: "veth1")
        base.nested(18) { m in
            m.attribute(1, string: "veth")
            m.nested(2) { $0.nested(1) { $0.attribute(3, string: "veth2") } }
        }
        let valid = base.encoded(sequence: 1)
        for _ in 0..<20_000 {
            var b = valid
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1: b = Array(b.prefix(Int.random(in: 0...b.count, using: &rng)))
                default: b += (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                }
                if b.isEmpty { break }
            }
            Self.exercise(b)
        }
    }
}
