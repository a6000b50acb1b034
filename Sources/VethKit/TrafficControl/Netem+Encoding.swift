import CLinuxUAPI
import Netlink

/// TCA_NETEM_PRNG_SEED: the PRNG seed attribute (u64), added in Linux 6.4 after
/// TCA_NETEM_SLOT_DIST in include/uapi/linux/pkt_sched.h; the UAPI headers here predate it.
let TCA_NETEM_PRNG_SEED: UInt16 = UInt16(TCA_NETEM_SLOT_DIST) + 1

extension Netem {
    /// Writes netem's TCA_OPTIONS as iproute2's tc 6.1 does (q_netem.c): a `tc_netem_qopt`
    /// (delay and jitter in ticks, limit, random loss, gap, duplicate), then TCA_NETEM_CORR,
    /// REORDER, ECN, CORRUPT, SLOT, LOSS (a nest), RATE64 + RATE, DELAY_DIST and SLOT_DIST, each
    /// only when tc would send it. Where VethKit differs, by design (TrafficControlEncodingTests
    /// lists these):
    /// - a delay or jitter that ticks cannot hold exactly (not a multiple of 64 ns, or past
    ///   tc's 274.9 s) also goes as TCA_NETEM_LATENCY64 / JITTER64 in nanoseconds, which the
    ///   kernel prefers (tc rounds it, or refuses it as "too large");
    /// - a duplicate correlation is sent (in TCA_NETEM_CORR; tc 6.1 parses and drops it);
    /// - the seed goes as TCA_NETEM_PRNG_SEED, last (tc 6.1 has no `seed`).
    ///
    /// With `complete` (a change of an existing netem), every attribute the kernel would
    /// otherwise keep from before is sent, zero when unset: CORR, REORDER, CORRUPT, RATE, ECN
    /// and SLOT (netem_change leaves an absent attribute's old value in place).
    func encodeOptions(into m: inout MessageWriter, complete: Bool = false) {
        m.attribute(UInt16(TCA_OPTIONS), contents: { m in
            var opt = tc_netem_qopt()
            let (latencyTicks, latencyExact) = Self.ticks(delay)
            let (jitterTicks, jitterExact) = Self.ticks(jitter)
            opt.latency = latencyTicks
            opt.jitter = jitterTicks
            opt.limit = limit
            opt.loss = loss?.randomProbability?.kernelValue ?? 0
            opt.duplicate = duplicate?.kernelValue ?? 0
            let reorderGiven = reorder != nil && reorder != .zero
            opt.gap = gap ?? (reorderGiven ? 1 : 0)
            if reorderGiven, opt.gap == 0 { opt.gap = 1 }
            m.append(header: opt)

            var lossCorrelation: Percentage?
            if case .random(_, let c)? = loss { lossCorrelation = c }
            // tc sends TCA_NETEM_CORR when a delay or loss correlation is given, and (a quirk
            // kept for byte equality) when a reorder or corrupt correlation is, with zeros.
            let corr = delayCorrelation != nil || lossCorrelation != nil || duplicateCorrelation != nil
                || reorderCorrelation != nil || corruptCorrelation != nil
            if corr || complete {
                var c = tc_netem_corr()
                c.delay_corr = delayCorrelation?.kernelValue ?? 0
                c.loss_corr = lossCorrelation?.kernelValue ?? 0
                c.dup_corr = duplicateCorrelation?.kernelValue ?? 0
                m.attribute(UInt16(TCA_NETEM_CORR), value: c)
            }
            if !latencyExact, let d = delay { m.attribute(UInt16(TCA_NETEM_LATENCY64), value: d.nanoseconds) }
            if !jitterExact, let j = jitter { m.attribute(UInt16(TCA_NETEM_JITTER64), value: j.nanoseconds) }
            if reorder != nil || complete {
                var r = tc_netem_reorder()
                r.probability = reorder?.kernelValue ?? 0
                r.correlation = reorderCorrelation?.kernelValue ?? 0
                m.attribute(UInt16(TCA_NETEM_REORDER), value: r)
            }
            if ecn || complete { m.attribute(UInt16(TCA_NETEM_ECN), uint32: ecn ? 1 : 0) }
            if corrupt != nil || complete {
                var c = tc_netem_corrupt()
                c.probability = corrupt?.kernelValue ?? 0
                c.correlation = corruptCorrelation?.kernelValue ?? 0
                m.attribute(UInt16(TCA_NETEM_CORRUPT), value: c)
            }
            if slot != nil || complete {
                var s = tc_netem_slot()
                if let slot {
                    switch slot.timing {
                    case .range(let lo, let hi):
                        s.min_delay = lo.nanoseconds
                        s.max_delay = Swift.max(hi, lo).nanoseconds
                    case .distribution(_, let delay, let jitter):
                        s.dist_delay = delay.nanoseconds
                        s.dist_jitter = jitter.nanoseconds
                    }
                    s.max_packets = slot.packets ?? 0
                    s.max_bytes = slot.bytes ?? 0
                }
                m.attribute(UInt16(TCA_NETEM_SLOT), value: s)
            }
            switch loss {
            case .gilbertElliott(let p, let r, let h, let k1)?:
                m.nested(UInt16(TCA_NETEM_LOSS)) { m in
                    var ge = tc_netem_gemodel()
                    ge.p = p.kernelValue
                    ge.r = (r ?? p.complement).kernelValue
                    // tc's third argument is "1-h" (the loss in the bad state); the kernel takes h.
                    ge.h = h.map { UInt32.max - $0.kernelValue } ?? 0
                    ge.k1 = k1?.kernelValue ?? 0
                    m.attribute(UInt16(NETEM_LOSS_GE), value: ge)
                }
            case .fourState(let p13, let p31, let p32, let p23, let p14)?:
                m.nested(UInt16(TCA_NETEM_LOSS)) { m in
                    var gi = tc_netem_gimodel()
                    gi.p13 = p13.kernelValue
                    gi.p31 = (p31 ?? p13.complement).kernelValue
                    gi.p32 = p32?.kernelValue ?? 0
                    gi.p14 = p14?.kernelValue ?? 0
                    gi.p23 = (p23 ?? .hundred).kernelValue
                    m.attribute(UInt16(NETEM_LOSS_GI), value: gi)
                }
            case .random?, nil: break
            }
            if rate != nil || complete {
                var r = tc_netem_rate()
                let bytes = rate?.bytesPerSecond ?? 0
                if bytes >= 1 << 32 {
                    m.attribute(UInt16(TCA_NETEM_RATE64), value: bytes)
                    r.rate = UInt32.max
                } else {
                    r.rate = UInt32(bytes)
                }
                if rate != nil {
                    r.packet_overhead = packetOverhead
                    r.cell_size = cellSize
                    r.cell_overhead = cellOverhead
                }
                m.attribute(UInt16(TCA_NETEM_RATE), value: r)
            }
            if let table = distribution.table { m.attribute(UInt16(TCA_NETEM_DELAY_DIST), Self.bytes(table)) }
            if case .distribution(let d, _, _)? = slot?.timing, let table = d.table {
                m.attribute(UInt16(TCA_NETEM_SLOT_DIST), Self.bytes(table))
            }
            if let seed { m.attribute(TCA_NETEM_PRNG_SEED, value: seed) }
        })
    }

    /// tc's get_ticks for a delay: whole µs times ticks per µs, truncated; `exact` when the
    /// kernel's nanoseconds (ticks × 64) give back the time itself.
    static func ticks(_ time: TCTime?) -> (UInt32, exact: Bool) {
        guard let time else { return (0, true) }
        let us = time.microseconds
        guard PacketScheduler.fitsTicks(microseconds: us) else { return (UInt32.max, false) }
        let t = PacketScheduler.ticks(microseconds: UInt32(us))
        return (t, Int64(t) * 64 == time.nanoseconds)
    }

    static func bytes(_ table: [Int16]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(table.count * 2)
        for v in table { out.append(UInt8(truncatingIfNeeded: v)); out.append(UInt8(truncatingIfNeeded: v >> 8)) }
        return out
    }
}
