import CLinuxUAPI
import Netlink

extension TokenBucket {
    /// Decodes tbf's TCA_OPTIONS as the kernel dumps it (tbf_dump): TCA_TBF_PARMS (rates, the
    /// byte limit, the burst and peak burst as ticks), TCA_TBF_RATE64/PRATE64 past 32 bits. The
    /// kernel keeps the limit in bytes, so the result's ``limit`` is `.bytes`; the burst is
    /// recomputed from its ticks of 64 ns, rounded to the nearest byte (so 32 KiB at 100mbit
    /// reads back as 32768; tc prints 32762b, going through whole microseconds). Throws
    /// ``MalformedMessage`` without TCA_TBF_PARMS or when it is short.
    init(kernelOptions bytes: ArraySlice<UInt8>) throws {
        var parms: Attribute?
        var rate64: UInt64?, prate64: UInt64?
        try AttributeList.scan(bytes) { a in
            switch a.type {
            case UInt16(TCA_TBF_PARMS): parms = a
            case UInt16(TCA_TBF_RATE64): rate64 = a.uint64
            case UInt16(TCA_TBF_PRATE64): prate64 = a.uint64
            default: break
            }
        }
        guard let parms, parms.value.count >= MemoryLayout<tc_tbf_qopt>.size else {
            throw MalformedMessage("tbf options without a whole TCA_TBF_PARMS")
        }
        let opt = parms.structure(tc_tbf_qopt.self)
        let r = Swift.max(rate64 ?? 0, UInt64(opt.rate.rate))
        let p = Swift.max(prate64 ?? 0, UInt64(opt.peakrate.rate))
        func size(_ rate: UInt64, _ ticks: UInt32) -> UInt32 {
            PacketScheduler.saturating((Double(rate) * Double(ticks) * 64 / 1_000_000_000).rounded())
        }
        self.init(rate: Rate(bytesPerSecond: r), burst: size(r, opt.buffer), limit: .bytes(opt.limit),
                  peakRate: p == 0 ? nil : Rate(bytesPerSecond: p), mtu: p == 0 ? nil : size(p, opt.mtu))
    }
}
