/// Something the running kernel would silently ignore, refused before anything is changed
/// (netem's seed before Linux 6.6: older kernels skip TCA_NETEM_PRNG_SEED without a word, so
/// "the same seed, the same losses" would not hold).
public struct TrafficControlUnsupported: CategorizedError, Hashable, Sendable, CustomStringConvertible {
    /// What was asked (`netem seed`).
    public let feature: String
    /// Why the kernel cannot (`TCA_NETEM_PRNG_SEED needs Linux 6.6 or later`).
    public let reason: String

    /// `feature` cannot be done, because `reason`.
    public init(feature: String, reason: String) { (self.feature, self.reason) = (feature, reason) }

    public var category: ErrorCategory { .unsupported }

    /// `this kernel (6.1.0-57-amd64) cannot do netem seed: TCA_NETEM_PRNG_SEED needs Linux 6.6 or later`.
    public var description: String { "this kernel (\(TrafficControl.kernelRelease)) cannot do \(feature): \(reason)" }
}
