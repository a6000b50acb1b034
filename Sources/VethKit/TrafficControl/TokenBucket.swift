/// The options of a tbf qdisc (`tc qdisc … tbf rate R burst B latency L|limit N [peakrate P mtu M]`):
/// a rate cap with a bucket of `burst` bytes and a queue bounded by a latency or a byte limit.
/// tbf is in every kernel (this machine's included), so a rate alone works without sch_netem.
public struct TokenBucket: Hashable, Sendable {
    /// How the queue is bounded.
    public enum QueueLimit: Hashable, Sendable {
        /// The longest a packet may wait (tc computes the byte limit from it: rate × latency + burst).
        case latency(TCTime)
        /// The queue's size in bytes.
        case bytes(UInt32)
    }

    /// The sustained rate.
    public var rate: Rate
    /// The bucket size in bytes (`burst`): how much may leave at once at line speed.
    public var burst: UInt32
    /// The queue bound.
    public var limit: QueueLimit
    /// A second, faster bucket limiting bursts (`peakrate`; needs ``mtu``).
    public var peakRate: Rate?
    /// The peak bucket's size in bytes (`mtu`/`minburst`).
    public var mtu: UInt32?

    public init(rate: Rate, burst: UInt32, limit: QueueLimit, peakRate: Rate? = nil, mtu: UInt32? = nil) {
        (self.rate, self.burst, self.limit, self.peakRate, self.mtu) = (rate, burst, limit, peakRate, mtu)
    }

    /// Checks what tc and the kernel refuse: a zero rate or burst, a peak rate without an mtu or
    /// not above the rate, a latency past tc's 32-bit microseconds.
    public func validate() throws {
        func bad(_ what: String, _ value: String, _ why: String) -> InvalidInput { InvalidInput("tbf \(what)", value, why) }
        if rate.bytesPerSecond == 0 { throw bad("rate", rate.description, "must be at least 8bit") }
        if burst == 0 { throw bad("burst", "0", "must be at least one byte") }
        if case .latency(let l) = limit, l.microseconds > Int64(UInt32.max) {
            throw bad("latency", l.description, "longer than tc's 4294 s")
        }
        if let p = peakRate {
            if mtu == nil || mtu == 0 { throw bad("peakrate", p.description, "needs an mtu (the peak bucket's size)") }
            if p.bytesPerSecond <= rate.bytesPerSecond { throw bad("peakrate", p.description, "must be above the rate \(rate)") }
        } else if mtu != nil {
            throw bad("mtu", "\(mtu!)", "is the peak bucket's size: needs a peakrate")
        }
    }

    /// The queue limit in bytes, as tc computes it for a latency (q_tbf.c: rate × latency + burst,
    /// or the peak bucket's if smaller), saturating at 32 bits.
    public var limitBytes: UInt32 {
        switch limit {
        case .bytes(let b): return b
        case .latency(let l):
            let latency = Double(UInt32(clamping: l.microseconds))
            var lim = Double(rate.bytesPerSecond) * latency / 1_000_000 + Double(burst)
            if let p = peakRate {
                let lim2 = Double(p.bytesPerSecond) * latency / 1_000_000 + Double(mtu ?? 0)
                if lim2 < lim { lim = lim2 }
            }
            return PacketScheduler.saturating(lim)
        }
    }
}
