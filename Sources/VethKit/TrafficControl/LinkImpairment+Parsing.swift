extension LinkImpairment {
    /// Sets one key from text, as `--KEY VALUE` on vethctl's command line and `KEY: VALUE` in a
    /// topology file write it: the one parser of impairments. Keys (``keys``; `_` may stand for
    /// `-`) and values, in tc's units:
    ///
    /// - `delay`, `jitter`: a time (`20ms`, `1.5s`, `500us`); `correlation`: a percentage
    /// - `distribution`: `uniform`, `normal`, `pareto`, `paretonormal`
    /// - `loss`: `1%`, `random 1% [CORRELATION]`, `gemodel P [R [1-H [1-K]]]`, `state P13 [P31 [P32 [P23 [P14]]]]`
    /// - `duplicate`, `corrupt`, `reorder` and their `-correlation`s, `loss-correlation`: percentages
    /// - `gap`, `limit`: whole numbers; `seed`: 0…2^64-1; `overhead`: bytes, may be negative
    /// - `rate`: `100mbit`, `1gbit`, `10MBps`…
    /// - `slot`: `MIN [MAX]` or `distribution NAME DELAY JITTER`; `slot-packets`, `slot-bytes`
    /// - `ecn`: `true` or `false`
    ///
    /// Throws ``InvalidInput`` naming the key and the value (`invalid delay "20xs": unknown unit…`);
    /// an unknown key names itself and the known ones.
    public mutating func set(_ key: String, _ value: String) throws {
        let k = String(key.map { $0 == "_" ? "-" : $0 })
        func fail(_ reason: String) -> InvalidInput { InvalidInput(Self.shown(key), Self.shown(value), reason) }
        func rewrap<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch let e as InvalidInput { throw fail(e.reason) }
        }
        func percent(_ s: String) throws -> Percentage { try rewrap { try Percentage(parsing: s) } }
        func time(_ s: String) throws -> TCTime { try rewrap { try TCTime(parsing: s) } }
        func whole(_ max: UInt64) throws -> UInt64 {
            guard let v = TCNumber.unsigned(value, max: max) else { throw fail("expected a whole number from 0 to \(max)") }
            return v
        }
        let words = value.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        switch k {
        case "delay": delay = try time(value)
        case "jitter": jitter = try time(value)
        case "correlation", "delay-correlation": correlation = try percent(value)
        case "distribution": distribution = try rewrap { try Netem.Distribution(parsing: value) }
        case "loss": loss = try Self.parseLoss(words, fail: fail, percent: percent)
        case "loss-correlation": lossCorrelation = try percent(value)
        case "duplicate": duplicate = try percent(value)
        case "duplicate-correlation": duplicateCorrelation = try percent(value)
        case "corrupt": corrupt = try percent(value)
        case "corrupt-correlation": corruptCorrelation = try percent(value)
        case "reorder": reorder = try percent(value)
        case "reorder-correlation": reorderCorrelation = try percent(value)
        case "gap": gap = UInt32(try whole(UInt64(UInt32.max)))
        case "rate": rate = try rewrap { try Rate(parsing: value) }
        case "overhead":
            guard let v = TCNumber.signed(value, min: Int64(Int32.min), max: Int64(Int32.max)) else {
                throw fail("expected a whole number of bytes (may be negative)")
            }
            overhead = Int32(v)
        case "limit":
            let v = try whole(UInt64(UInt32.max))
            guard v > 0 else { throw fail("must be at least 1 packet") }
            limit = UInt32(v)
        case "seed": seed = try whole(UInt64.max)
        case "slot":
            if words.first == "distribution" {
                guard words.count == 4 else { throw fail("expected distribution NAME DELAY JITTER") }
                let d = try rewrap { try Netem.Distribution(parsing: words[1]) }
                slot = .distribution(d, delay: try time(words[2]), jitter: try time(words[3]))
            } else {
                guard words.count == 1 || words.count == 2 else { throw fail("expected MIN [MAX] (e.g. 10ms 20ms)") }
                let lo = try time(words[0])
                slot = .range(min: lo, max: words.count == 2 ? try time(words[1]) : lo)
            }
        case "slot-packets": slotPackets = Int32(try whole(UInt64(Int32.max)))
        case "slot-bytes": slotBytes = Int32(try whole(UInt64(Int32.max)))
        case "ecn":
            switch value {
            case "true", "yes", "on": ecn = true
            case "false", "no", "off": ecn = false
            default: throw fail("expected true or false")
            }
        default:
            throw InvalidInput("impairment key", Self.shown(key), "expected one of \(Self.keys.joined(separator: ", "))")
        }
    }

    /// `loss`'s forms, as tc's (`1%`, `random P [C]`, `gemodel …`, `state …`).
    static func parseLoss(_ w: [String], fail: (String) -> InvalidInput, percent: (String) throws -> Percentage) throws -> Netem.Loss {
        guard let first = w.first else { throw fail("expected a percentage (1%), random P [C], gemodel P [R [1-H [1-K]]] or state P13 …") }
        func p(_ i: Int) throws -> Percentage? { i < w.count ? try percent(w[i]) : nil }
        switch first {
        case "random":
            guard w.count == 2 || w.count == 3 else { throw fail("expected random PERCENT [CORRELATION]") }
            return .random(try percent(w[1]), correlation: try p(2))
        case "gemodel":
            guard (2...5).contains(w.count) else { throw fail("expected gemodel P [R [1-H [1-K]]]") }
            return .gilbertElliott(p: try percent(w[1]), r: try p(2), h: try p(3), k1: try p(4))
        case "state":
            guard (2...6).contains(w.count) else { throw fail("expected state P13 [P31 [P32 [P23 [P14]]]]") }
            return .fourState(p13: try percent(w[1]), p31: try p(2), p32: try p(3), p23: try p(4), p14: try p(5))
        default:
            guard w.count == 1 else { throw fail("expected a percentage (1%), random P [C], gemodel … or state …") }
            return .random(try percent(first))
        }
    }

    /// A value for an error message: at most 64 characters of it.
    static func shown(_ s: String) -> String {
        s.unicodeScalars.count <= 64 ? s : String(String.UnicodeScalarView(s.unicodeScalars.prefix(64))) + "…"
    }

    /// Every setting as (key, value) in ``keys`` order, each value as ``set(_:_:)`` reads it
    /// back: `[("delay", "20ms"), ("loss", "1%"), ("rate", "100Mbit")]`.
    public var settings: [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        func add(_ k: String, _ v: CustomStringConvertible?) { if let v { out.append((k, v.description)) } }
        add("delay", delay)
        add("jitter", jitter)
        add("correlation", correlation)
        add("distribution", distribution)
        switch loss {
        case .random(let p, let c)?:
            add("loss", p)
            add("loss-correlation", lossCorrelation ?? c)
        case .gilbertElliott(let p, let r, let h, let k1)?:
            add("loss", (["gemodel", p.description] + [r, h, k1].prefix { $0 != nil }.map { $0!.description }).joined(separator: " "))
        case .fourState(let p13, let p31, let p32, let p23, let p14)?:
            add("loss", (["state", p13.description] + [p31, p32, p23, p14].prefix { $0 != nil }.map { $0!.description }).joined(separator: " "))
        case nil: add("loss-correlation", lossCorrelation)
        }
        add("duplicate", duplicate)
        add("duplicate-correlation", duplicateCorrelation)
        add("corrupt", corrupt)
        add("corrupt-correlation", corruptCorrelation)
        add("reorder", reorder)
        add("reorder-correlation", reorderCorrelation)
        add("gap", gap)
        add("rate", rate)
        add("overhead", overhead)
        add("limit", limit)
        add("seed", seed)
        switch slot {
        case .range(let lo, let hi)?: add("slot", hi == lo ? lo.description : "\(lo) \(hi)")
        case .distribution(let d, let delay, let jitter)?: add("slot", "distribution \(d) \(delay) \(jitter)")
        case nil: break
        }
        add("slot-packets", slotPackets)
        add("slot-bytes", slotBytes)
        if ecn { add("ecn", "true") }
        return out
    }

    /// `delay 20ms jitter 2ms loss 1% rate 100Mbit` (every setting, key then value; `none` when empty).
    public var description: String {
        isEmpty ? "none" : settings.map { "\($0.key) \($0.value)" }.joined(separator: " ")
    }
}
