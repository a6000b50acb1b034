extension LinkImpairment {
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
        var want = normalized, have = live.normalized
        if want.seed == nil { have.seed = nil }
        return want == have
    }

    /// One spelling per kernel state: no distribution (the kernel cannot report it), a random
    /// loss's correlation in ``lossCorrelation``, the defaults (limit 1000, gap 1 with reorder,
    /// overhead 0) as nil, a slot range in order, a slot distribution's table forgotten.
    var normalized: LinkImpairment {
        var n = self
        n.distribution = nil
        if n.limit == 1000 { n.limit = nil }
        if n.gap == 1, n.reorder != nil { n.gap = nil }
        if n.overhead == 0 { n.overhead = nil }
        if case .random(let p, let c)? = n.loss {
            if n.lossCorrelation == nil { n.lossCorrelation = c }
            n.loss = p == .zero ? nil : .random(p)
        }
        if case .range(let lo, let hi)? = n.slot, hi < lo { n.slot = .range(min: lo, max: lo) }
        if case .distribution(_, let d, let j)? = n.slot { n.slot = .distribution(.normal, delay: d, jitter: j) }
        return n
    }
}
