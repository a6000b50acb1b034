extension QdiscOptions {
    /// The same qdisc in tc's own words, after `tc qdisc add dev DEV root handle 564b:`:
    /// `["netem", "delay", "20ms", "5ms", "25%", "distribution", "normal", "loss", "1%"]`,
    /// `["tbf", "rate", "100Mbit", "burst", "65536", "latency", "50ms"]`. For people (a plan,
    /// an error, a workaround) and for cross-checks; iproute2 6.1 has no `seed` (later tc has).
    public var tcArguments: [String] {
        switch self {
        case .other(let kind): return [kind]
        case .tbf(let t):
            var a = ["tbf", "rate", t.rate.description, "burst", "\(t.burst)"]
            switch t.limit {
            case .latency(let l): a += ["latency", l.description]
            case .bytes(let b): a += ["limit", "\(b)"]
            }
            if let p = t.peakRate { a += ["peakrate", p.description, "mtu", "\(t.mtu ?? 0)"] }
            return a
        case .netem(let n):
            var a = ["netem"]
            if let d = n.delay {
                a += ["delay", d.description]
                if let j = n.jitter {
                    a.append(j.description)
                    if let c = n.delayCorrelation { a.append(c.description) }
                }
            }
            if let table = n.distribution.table, !table.isEmpty { a += ["distribution", n.distribution.description] }
            switch n.loss {
            case .random(let p, let c)?: a += ["loss", p.description] + (c.map { [$0.description] } ?? [])
            case .gilbertElliott(let p, let r, let h, let k1)?:
                a += ["loss", "gemodel", p.description] + [r, h, k1].prefix { $0 != nil }.map { $0!.description }
            case .fourState(let p13, let p31, let p32, let p23, let p14)?:
                a += ["loss", "state", p13.description] + [p31, p32, p23, p14].prefix { $0 != nil }.map { $0!.description }
            case nil: break
            }
            if n.ecn { a.append("ecn") }
            func probability(_ key: String, _ p: Percentage?, _ c: Percentage?) {
                if let p { a += [key, p.description] + (c.map { [$0.description] } ?? []) }
            }
            probability("duplicate", n.duplicate, n.duplicateCorrelation)
            probability("corrupt", n.corrupt, n.corruptCorrelation)
            probability("reorder", n.reorder, n.reorderCorrelation)
            if let g = n.gap, !(g == 1 && n.reorder != nil) { a += ["gap", "\(g)"] }
            if let r = n.rate {
                a += ["rate", r.description]
                let extra = [n.packetOverhead != 0 || n.cellSize != 0 || n.cellOverhead != 0, n.cellSize != 0 || n.cellOverhead != 0, n.cellOverhead != 0]
                if extra[0] { a.append("\(n.packetOverhead)") }
                if extra[1] { a.append("\(n.cellSize)") }
                if extra[2] { a.append("\(n.cellOverhead)") }
            }
            if n.limit != 1000 { a += ["limit", "\(n.limit)"] }
            if let s = n.slot {
                switch s.timing {
                case .range(let lo, let hi): a += ["slot", lo.description] + (hi > lo ? [hi.description] : [])
                case .distribution(let d, let delay, let jitter): a += ["slot", "distribution", d.description, delay.description, jitter.description]
                }
                if let p = s.packets { a += ["packets", "\(p)"] }
                if let b = s.bytes { a += ["bytes", "\(b)"] }
            }
            if let seed = n.seed { a += ["seed", "\(seed)"] }
            return a
        }
    }
}
