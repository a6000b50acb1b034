/// The options of a netem qdisc (`tc qdisc … netem …`): delay with jitter and its distribution,
/// loss, duplication, corruption, reordering, a rate, slots, a queue limit and the PRNG seed.
/// nil means "not given" (tc sends nothing for it); ``encode(into:complete:)`` writes the request
/// exactly as iproute2's tc 6.1 does for the same options.
public struct Netem: Hashable, Sendable {
    /// Added delay (`delay TIME`).
    public var delay: TCTime?
    /// Random variation of the delay (`delay TIME JITTER`).
    public var jitter: TCTime?
    /// How much each delay depends on the previous one (`delay TIME JITTER CORRELATION`).
    public var delayCorrelation: Percentage?
    /// The jitter's distribution (`distribution normal`); uniform sends no table.
    public var distribution: Distribution = .uniform
    /// Packet loss.
    public var loss: Loss?
    /// Mark packets with ECN instead of dropping them (`ecn`; needs a loss model).
    public var ecn = false
    /// Duplicated packets (`duplicate PERCENT [CORRELATION]`).
    public var duplicate: Percentage?
    public var duplicateCorrelation: Percentage?
    /// Packets with a flipped bit (`corrupt PERCENT [CORRELATION]`).
    public var corrupt: Percentage?
    public var corruptCorrelation: Percentage?
    /// Packets sent at once, ahead of the delayed others (`reorder PERCENT [CORRELATION]`; needs a delay).
    public var reorder: Percentage?
    public var reorderCorrelation: Percentage?
    /// Every `gap`-th packet is reordered (`gap N`; needs `reorder`; tc sets 1 when reorder is given alone).
    public var gap: UInt32?
    /// Rate limit inside netem (`rate RATE [PACKETOVERHEAD [CELLSIZE [CELLOVERHEAD]]]`).
    public var rate: Rate?
    /// Bytes added to (or, negative, removed from) each packet for the rate.
    public var packetOverhead: Int32 = 0
    /// Cell size for the rate (ATM-like link layers), 0 for none.
    public var cellSize: UInt32 = 0
    /// Bytes added to each cell.
    public var cellOverhead: Int32 = 0
    /// The queue limit in packets (`limit N`; tc's default 1000).
    public var limit: UInt32 = 1000
    /// Packets leave in slots (`slot MIN [MAX] [packets N] [bytes N]` or
    /// `slot distribution D DELAY JITTER …`).
    public var slot: Slot?
    /// The PRNG seed (TCA_NETEM_PRNG_SEED): the same seed and the same packets give the same
    /// losses, duplicates and delays. nil lets the kernel pick one at random.
    public var seed: UInt64?

    public init(delay: TCTime? = nil, jitter: TCTime? = nil, delayCorrelation: Percentage? = nil,
                distribution: Distribution = .uniform, loss: Loss? = nil, duplicate: Percentage? = nil,
                corrupt: Percentage? = nil, reorder: Percentage? = nil, gap: UInt32? = nil, rate: Rate? = nil,
                limit: UInt32 = 1000, slot: Slot? = nil, seed: UInt64? = nil) {
        (self.delay, self.jitter, self.delayCorrelation, self.distribution) = (delay, jitter, delayCorrelation, distribution)
        (self.loss, self.duplicate, self.corrupt, self.reorder, self.gap) = (loss, duplicate, corrupt, reorder, gap)
        (self.rate, self.limit, self.slot, self.seed) = (rate, limit, slot, seed)
    }

    /// netem's slots (TCA_NETEM_SLOT): packets are released in bursts.
    public struct Slot: Hashable, Sendable {
        /// When the next slot opens.
        public enum Timing: Hashable, Sendable {
            /// Uniformly between `min` and `max` (tc: `slot MIN [MAX]`; max defaults to min).
            case range(min: TCTime, max: TCTime)
            /// Drawn from `distribution` around `delay` ± `jitter` (tc: `slot distribution D DELAY JITTER`).
            case distribution(Distribution, delay: TCTime, jitter: TCTime)
        }
        public var timing: Timing
        /// At most this many packets per slot (`packets N`), nil for no limit.
        public var packets: Int32?
        /// At most this many bytes per slot (`bytes N`), nil for no limit.
        public var bytes: Int32?

        public init(_ timing: Timing, packets: Int32? = nil, bytes: Int32? = nil) {
            (self.timing, self.packets, self.bytes) = (timing, packets, bytes)
        }
    }

    /// Checks the combinations tc refuses, with tc's reasons: a jitter needs a delay, a
    /// correlation its value, reorder a delay, gap a reorder, a distribution a delay and a jitter,
    /// ecn a loss model; slot times in order; overheads only with a rate.
    public func validate() throws {
        func bad(_ what: String, _ why: String) -> InvalidInput { InvalidInput("netem option", what, why) }
        if jitter != nil, delay == nil { throw bad("jitter", "needs a delay (delay TIME JITTER)") }
        if delayCorrelation != nil, jitter == nil { throw bad("correlation", "needs a jitter (delay TIME JITTER CORRELATION)") }
        if distribution != .uniform, (delay ?? .zero) == .zero || (jitter ?? .zero) == .zero {
            throw bad("distribution", "needs a delay and a jitter (distribution specified but no latency and jitter values)")
        }
        if let r = reorder, r != .zero, (delay ?? .zero) == .zero {
            throw bad("reorder", "needs a delay (reordering not possible without specifying some delay)")
        }
        if let g = gap, g > 0, (reorder ?? .zero) == .zero { throw bad("gap", "needs a reorder probability") }
        if reorderCorrelation != nil, reorder == nil { throw bad("reorder correlation", "needs a reorder probability") }
        if duplicateCorrelation != nil, duplicate == nil { throw bad("duplicate correlation", "needs a duplicate probability") }
        if corruptCorrelation != nil, corrupt == nil { throw bad("corrupt correlation", "needs a corrupt probability") }
        if ecn, loss == nil || loss == .random(.zero, correlation: nil) { throw bad("ecn", "needs a loss model") }
        if rate == nil, packetOverhead != 0 || cellSize != 0 || cellOverhead != 0 {
            throw bad("overhead", "needs a rate (rate RATE OVERHEAD)")
        }
        if let r = rate, r.bytesPerSecond == 0 { throw bad("rate", "must be at least 8bit") }
        for t in [delay, jitter].compactMap({ $0 }) where t.nanoseconds > Int64(Int32.max) * 1000 * 64 {
            throw bad(t.description, "longer than netem takes")
        }
        if let s = slot {
            if case .distribution(let d, _, let j) = s.timing {
                if d == .uniform { throw bad("slot distribution", "uniform has no table (use slot MIN MAX)") }
                if j == .zero { throw bad("slot jitter", "must be positive") }
            }
            if let p = s.packets, p < 0 { throw bad("slot packets", "must not be negative") }
            if let b = s.bytes, b < 0 { throw bad("slot bytes", "must not be negative") }
        }
    }
}
