import Foundation
import XCTest

/// A small deterministic PRNG (SplitMix64) for property tests: every random input is reproducible
/// from its seed. `SplitMix64.seeded(default:)` takes the seed from `VETHKIT_TEST_SEED` when set
/// (to replay a failure or explore other seeds), else the test's fixed default.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The seed to use: `VETHKIT_TEST_SEED` (decimal or 0x-hex) when set, else `fallback`.
    public static func seed(default fallback: UInt64) -> UInt64 {
        guard let text = ProcessInfo.processInfo.environment["VETHKIT_TEST_SEED"] else { return fallback }
        if text.hasPrefix("0x"), let v = UInt64(text.dropFirst(2), radix: 16) { return v }
        return UInt64(text) ?? fallback
    }
}

extension XCTestCase {
    /// A seeded generator whose seed is printed when the test fails, so a failure can be replayed
    /// with `VETHKIT_TEST_SEED=<seed>`.
    public func seededGenerator(default fallback: UInt64) -> (SplitMix64, UInt64) {
        let seed = SplitMix64.seed(default: fallback)
        addTeardownBlock { [weak self] in
            if let run = self?.testRun, run.totalFailureCount > 0 {
                print("\(self?.name ?? "test"): failed with seed \(seed) (replay: VETHKIT_TEST_SEED=\(seed))")
            }
        }
        return (SplitMix64(seed: seed), seed)
    }
}
