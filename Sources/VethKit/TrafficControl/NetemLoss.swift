extension Netem {
    /// How netem loses packets (tc's `loss random|state|gemodel`).
    public enum Loss: Hashable, Sendable {
        /// Each packet is lost with `probability`; with a `correlation`, each draw depends that
        /// much on the previous one (`loss random 1% 25%`).
        case random(Percentage, correlation: Percentage? = nil)
        /// The Gilbert-Elliott model (`loss gemodel P [R [1-H [1-K]]]`): `p` is good → bad, `r`
        /// bad → good (default 1 - p), `h` the loss probability in the bad state (tc's third
        /// argument, "1-h"; default 100 %), `k1` the loss probability in the good state (tc's
        /// fourth, "1-k"; default 0 %).
        case gilbertElliott(p: Percentage, r: Percentage? = nil, h: Percentage? = nil, k1: Percentage? = nil)
        /// The 4-state Markov model (`loss state P13 [P31 [P32 [P23 [P14]]]]`), with tc's defaults:
        /// p31 = 1 - p13, p32 = 0, p23 = 100 %, p14 = 0.
        case fourState(p13: Percentage, p31: Percentage? = nil, p32: Percentage? = nil, p23: Percentage? = nil, p14: Percentage? = nil)

        /// The random loss probability (the whole of tc_netem_qopt.loss), 0 for the models.
        var randomProbability: Percentage? {
            if case .random(let p, _) = self { return p }
            return nil
        }
    }
}
