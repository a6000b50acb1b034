/// How one link's egress is impaired: the one description that vethctl's flags
/// (`--delay 20ms`) and topology files' keys (`delay: 20ms`) map to, through ``set(_:_:)``.
/// ``qdiscOptions`` turns it into the qdisc that does it: a rate alone is a tbf (present on every
/// kernel), anything else a netem (with the rate as netem's own).
public struct LinkImpairment: Hashable, Sendable, CustomStringConvertible {
    /// Added delay.
    public var delay: TCTime?
    /// Random variation of the delay (needs a delay).
    public var jitter: TCTime?
    /// Correlation of successive delays (needs a jitter).
    public var correlation: Percentage?
    /// The jitter's distribution (needs a delay and a jitter); nil: uniform.
    public var distribution: Netem.Distribution?
    /// Packet loss: `.random` (`loss: 1%`), `.gilbertElliott`, `.fourState`.
    public var loss: Netem.Loss?
    /// Correlation of successive random losses (needs a random loss).
    public var lossCorrelation: Percentage?
    public var duplicate: Percentage?
    public var duplicateCorrelation: Percentage?
    public var corrupt: Percentage?
    public var corruptCorrelation: Percentage?
    /// Packets sent without the delay (needs a delay).
    public var reorder: Percentage?
    public var reorderCorrelation: Percentage?
    /// Reorder every gap-th packet (needs reorder).
    public var gap: UInt32?
    /// A rate cap.
    public var rate: Rate?
    /// Bytes added to (negative: removed from) each packet for the rate (netem's packet overhead).
    public var overhead: Int32?
    /// netem's queue limit in packets (default 1000).
    public var limit: UInt32?
    /// netem's PRNG seed: the same seed and packets give the same losses.
    public var seed: UInt64?
    /// netem's slots.
    public var slot: Netem.Slot.Timing?
    public var slotPackets: Int32?
    public var slotBytes: Int32?
    /// Mark with ECN instead of dropping (needs a loss).
    public var ecn = false

    /// No impairment.
    public init() {}

    /// The keys ``set(_:_:)`` takes, in the order ``settings`` lists them (`_` may replace `-`).
    public static let keys = [
        "delay", "jitter", "correlation", "distribution", "loss", "loss-correlation", "duplicate",
        "duplicate-correlation", "corrupt", "corrupt-correlation", "reorder", "reorder-correlation", "gap",
        "rate", "overhead", "limit", "seed", "slot", "slot-packets", "slot-bytes", "ecn",
    ]

    /// True when nothing is set.
    public var isEmpty: Bool { self == LinkImpairment() }

    /// True when anything but a rate is set: only netem does it.
    public var needsNetem: Bool {
        var rateOnly = LinkImpairment()
        rateOnly.rate = rate
        return self != rateOnly
    }

    /// tbf's burst for a rate alone: 4 ms of the rate, at least 64 KiB (a veth's largest GSO
    /// packet goes through without being split or dropped), at most what 32 bits hold.
    public static func defaultBurst(for rate: Rate) -> UInt32 {
        PacketScheduler.saturating(Swift.max(65536, Double(rate.bytesPerSecond) * 0.004))
    }

    /// tbf's latency for a rate alone: 50 ms of queue (the byte limit is rate × 50 ms + burst),
    /// enough for TCP to fill the link from 100mbit to 10gbit (bench/RESULTS.md has the measurements).
    public static let defaultLatency = TCTime(microseconds: 50_000)

    /// The qdisc that does this: nil when empty; a tbf with ``defaultBurst(for:)`` and
    /// ``defaultLatency`` for a rate alone; a netem otherwise. Call ``validate()`` first.
    public var qdiscOptions: QdiscOptions? {
        if isEmpty { return nil }
        if !needsNetem, let rate {
            return .tbf(TokenBucket(rate: rate, burst: Self.defaultBurst(for: rate), limit: .latency(Self.defaultLatency)))
        }
        return .netem(netem)
    }

    /// The netem this describes (whatever ``needsNetem`` says).
    public var netem: Netem {
        var n = Netem(delay: delay, jitter: jitter, delayCorrelation: correlation, distribution: distribution ?? .uniform,
                      duplicate: duplicate, corrupt: corrupt, reorder: reorder, gap: gap, rate: rate,
                      limit: limit ?? 1000, seed: seed)
        switch loss {
        case .random(let p, let c)?: n.loss = .random(p, correlation: lossCorrelation ?? c)
        case let other?: n.loss = other
        case nil: n.loss = lossCorrelation.map { .random(.zero, correlation: $0) }
        }
        (n.duplicateCorrelation, n.corruptCorrelation, n.reorderCorrelation) = (duplicateCorrelation, corruptCorrelation, reorderCorrelation)
        n.packetOverhead = overhead ?? 0
        n.ecn = ecn
        if let slot { n.slot = Netem.Slot(slot, packets: slotPackets, bytes: slotBytes) }
        return n
    }

    /// Checks the combinations: those netem refuses (``Netem/validate()``), and settings that
    /// belong to another (loss-correlation without a random loss, slot-packets without slot).
    public func validate() throws {
        if lossCorrelation != nil {
            switch loss {
            case .random?: break
            default: throw InvalidInput("loss-correlation", lossCorrelation!.description, "needs a random loss (loss: 1%)")
            }
        }
        if slot == nil, slotPackets != nil || slotBytes != nil {
            throw InvalidInput(slotPackets != nil ? "slot-packets" : "slot-bytes", "\(slotPackets ?? slotBytes ?? 0)", "needs a slot")
        }
        if overhead != nil, rate == nil { throw InvalidInput("overhead", "\(overhead!)", "needs a rate") }
        if needsNetem { try netem.validate() } else if case .tbf(let t)? = qdiscOptions { try t.validate() }
    }

    /// The impairment a live qdisc does (for `show` and drift): a netem's options, or a tbf's
    /// rate; nil for other kinds. The kernel does not report distribution tables, so
    /// ``distribution`` is nil (unknown) here; it reports a seed even when none was given
    /// (the kernel's random one). Compare with ``matches(_:)``, which knows both.
    public init?(qdisc: Qdisc) {
        self.init()
        switch qdisc.options {
        case .tbf(let t): rate = t.rate
        case .netem(let n):
            (delay, jitter, correlation) = (n.delay, n.jitter, n.delayCorrelation)
            switch n.loss {
            case .random(let p, let c)?:
                if p != .zero { loss = .random(p) }
                lossCorrelation = c
            case let other?: loss = other
            case nil: break
            }
            (duplicate, duplicateCorrelation, corrupt, corruptCorrelation) = (n.duplicate, n.duplicateCorrelation, n.corrupt, n.corruptCorrelation)
            (reorder, reorderCorrelation, rate) = (n.reorder, n.reorderCorrelation, n.rate)
            gap = n.reorder == nil ? n.gap : (n.gap == 1 ? nil : n.gap)
            overhead = n.packetOverhead == 0 ? nil : n.packetOverhead
            limit = n.limit == 1000 ? nil : n.limit
            seed = n.seed
            ecn = n.ecn
            if let s = n.slot { (slot, slotPackets, slotBytes) = (s.timing, s.packets, s.bytes) }
        case .other: return nil
        }
    }

    /// True when `live` (read back with ``init(qdisc:)``) does what this asks: every setting the
    /// same as the kernel stores it (percentages on its 32-bit scale, rates in bytes/s, times in
    /// nanoseconds), ignoring what the kernel cannot report (the distribution) and the seed when
    /// none was asked for.
    public func matches(_ live: LinkImpairment) -> Bool {
        var want = self, have = live
        want.distribution = nil
        have.distribution = nil
        if want.seed == nil { have.seed = nil }
        if want.limit == 1000 { want.limit = nil }
        if want.gap == 1, want.reorder != nil { want.gap = nil }
        if want.overhead == 0 { want.overhead = nil }
        if case .random(let p, let c)? = want.loss {
            if c != nil, want.lossCorrelation == nil { want.lossCorrelation = c }
            want.loss = p == .zero ? nil : .random(p)
        }
        if case .range(let lo, let hi)? = want.slot, hi < lo { want.slot = .range(min: lo, max: lo) }
        if case .distribution(_, let d, let j)? = want.slot { want.slot = .distribution(.normal, delay: d, jitter: j) }
        return want == have
    }
}
