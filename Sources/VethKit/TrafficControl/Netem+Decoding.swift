import CLinuxUAPI
import Netlink

extension Netem {
    /// Decodes netem's TCA_OPTIONS as the kernel dumps it (netem_dump): a `tc_netem_qopt`, then
    /// LATENCY64/JITTER64 (preferred to the qopt's ticks), CORR, REORDER, CORRUPT, RATE(64), ECN,
    /// LOSS, SLOT and PRNG_SEED. The kernel does not dump distribution tables: a decoded netem's
    /// ``distribution`` reads `.uniform` whatever it is (and a slot distribution reads as a zero
    /// range with its delay and jitter). Throws ``MalformedMessage`` for a qopt shorter than
    /// the kernel's or attributes that run past it.
    init(kernelOptions bytes: ArraySlice<UInt8>) throws {
        let size = MemoryLayout<tc_netem_qopt>.size
        guard bytes.count >= size else { throw MalformedMessage("netem options of \(bytes.count) bytes, expected at least \(size)") }
        let opt = Attribute(type: 0, value: bytes.prefix(size)).structure(tc_netem_qopt.self)
        self.init()
        limit = opt.limit
        func time(ticks: UInt32) -> TCTime? { ticks == 0 ? nil : TCTime(nanoseconds: Int64(ticks) * 64) }
        delay = time(ticks: opt.latency)
        jitter = time(ticks: opt.jitter)
        if opt.loss != 0 { loss = .random(Percentage(kernelValue: opt.loss)) }
        if opt.duplicate != 0 { duplicate = Percentage(kernelValue: opt.duplicate) }
        gap = opt.gap == 0 ? nil : opt.gap
        var rate64: UInt64?
        var rate32: UInt32?
        func nonzero(_ v: UInt32) -> Percentage? { v == 0 ? nil : Percentage(kernelValue: v) }
        try AttributeList.scan(bytes.dropFirst(Int(vk_nla_align(UInt32(size))))) { a in
            switch a.type {
            case UInt16(TCA_NETEM_LATENCY64):
                if let v = a.uint64 { delay = v == 0 ? nil : TCTime(nanoseconds: Int64(bitPattern: v)) }
            case UInt16(TCA_NETEM_JITTER64):
                if let v = a.uint64 { jitter = v == 0 ? nil : TCTime(nanoseconds: Int64(bitPattern: v)) }
            case UInt16(TCA_NETEM_CORR):
                let c = a.structure(tc_netem_corr.self)
                delayCorrelation = nonzero(c.delay_corr)
                duplicateCorrelation = nonzero(c.dup_corr)
                if c.loss_corr != 0, case .random(let p, _)? = loss { loss = .random(p, correlation: Percentage(kernelValue: c.loss_corr)) }
                if c.loss_corr != 0, loss == nil { loss = .random(.zero, correlation: Percentage(kernelValue: c.loss_corr)) }
            case UInt16(TCA_NETEM_REORDER):
                let r = a.structure(tc_netem_reorder.self)
                reorder = nonzero(r.probability)
                reorderCorrelation = nonzero(r.correlation)
            case UInt16(TCA_NETEM_CORRUPT):
                let c = a.structure(tc_netem_corrupt.self)
                corrupt = nonzero(c.probability)
                corruptCorrelation = nonzero(c.correlation)
            case UInt16(TCA_NETEM_RATE):
                let r = a.structure(tc_netem_rate.self)
                rate32 = r.rate
                (packetOverhead, cellSize, cellOverhead) = (r.packet_overhead, r.cell_size, r.cell_overhead)
            case UInt16(TCA_NETEM_RATE64): rate64 = a.uint64
            case UInt16(TCA_NETEM_ECN): ecn = (a.uint32 ?? 0) != 0
            case UInt16(TCA_NETEM_LOSS):
                try AttributeList.scan(a.value) { l in
                    if l.type == UInt16(NETEM_LOSS_GE) {
                        let ge = l.structure(tc_netem_gemodel.self)
                        loss = .gilbertElliott(p: Percentage(kernelValue: ge.p), r: Percentage(kernelValue: ge.r),
                                               h: Percentage(kernelValue: UInt32.max - ge.h), k1: Percentage(kernelValue: ge.k1))
                    } else if l.type == UInt16(NETEM_LOSS_GI) {
                        let gi = l.structure(tc_netem_gimodel.self)
                        loss = .fourState(p13: Percentage(kernelValue: gi.p13), p31: Percentage(kernelValue: gi.p31),
                                          p32: Percentage(kernelValue: gi.p32), p23: Percentage(kernelValue: gi.p23),
                                          p14: Percentage(kernelValue: gi.p14))
                    }
                }
            case UInt16(TCA_NETEM_SLOT):
                let s = a.structure(tc_netem_slot.self)
                let packets = s.max_packets == 0 || s.max_packets == Int32.max ? nil : s.max_packets
                let bytes = s.max_bytes == 0 || s.max_bytes == Int32.max ? nil : s.max_bytes
                if s.dist_jitter != 0 || s.dist_delay != 0 {
                    slot = Slot(.distribution(.normal, delay: TCTime(nanoseconds: s.dist_delay), jitter: TCTime(nanoseconds: s.dist_jitter)),
                                packets: packets, bytes: bytes)
                } else if s.min_delay != 0 || s.max_delay != 0 {
                    slot = Slot(.range(min: TCTime(nanoseconds: s.min_delay), max: TCTime(nanoseconds: s.max_delay)), packets: packets, bytes: bytes)
                }
            case TCA_NETEM_PRNG_SEED: seed = a.uint64
            default: break
            }
        }
        let bytesPerSecond = Swift.max(rate64 ?? 0, UInt64(rate32 ?? 0))
        if bytesPerSecond > 0 { rate = Rate(bytesPerSecond: bytesPerSecond) }
    }
}
