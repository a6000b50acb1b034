extension Netem {
    /// True when changing a live netem into this in place could leave something behind that no
    /// attribute clears: a delay distribution table (netem_change keeps the old one when
    /// TCA_NETEM_DELAY_DIST is absent; it shapes the jitter of a uniform impairment) or a slot
    /// distribution table (it overrides a slot range). The kernel does not report tables, and a
    /// table survives changes that do not use it, so any live netem may hold one: a jittered
    /// uniform delay or a slot range gets a fresh qdisc.
    func needsFreshQdisc(replacing live: Netem) -> Bool {
        if distribution == .uniform, (jitter ?? .zero) != .zero { return true }
        if case .range? = slot?.timing { return true }
        return false
    }
}
