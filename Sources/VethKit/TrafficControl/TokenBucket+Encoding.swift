import CLinuxUAPI
import Netlink

extension TokenBucket {
    /// Writes tbf's TCA_OPTIONS exactly as iproute2's tc 6.1 does (q_tbf.c): a plain nest (no
    /// NLA_F_NESTED) of TCA_TBF_PARMS (the rate specs, the byte limit, the burst as ticks at the
    /// rate capped to 32 bits), TCA_TBF_BURST, TCA_TBF_RATE64 for rates of 2^32 bytes/s and more,
    /// TCA_TBF_RTAB (the 256-entry rate table tc_calc_rtable computes), and for a peak rate
    /// TCA_TBF_PRATE64, TCA_TBF_PBURST and TCA_TBF_PTAB. The kernel (since 3.13) reads the
    /// rates and bursts from RATE64/BURST and ignores the tables for Ethernet; they are sent
    /// for byte equality with tc and for older kernels.
    func encodeOptions(into m: inout MessageWriter) {
        let rate64 = rate.bytesPerSecond
        let prate64 = peakRate?.bytesPerSecond ?? 0
        let mtu = self.mtu ?? 0
        var opt = tc_tbf_qopt()
        opt.rate.rate = rate64 >= 1 << 32 ? UInt32.max : UInt32(rate64)
        opt.peakrate.rate = prate64 >= 1 << 32 ? UInt32.max : UInt32(prate64)
        opt.limit = limitBytes
        let rtab = Self.rateTable(&opt.rate, mtu: mtu)
        opt.buffer = PacketScheduler.transmitTicks(rate: UInt64(opt.rate.rate), size: burst)
        var ptab: [UInt32] = []
        if opt.peakrate.rate != 0 {
            ptab = Self.rateTable(&opt.peakrate, mtu: mtu)
            opt.mtu = PacketScheduler.transmitTicks(rate: UInt64(opt.peakrate.rate), size: mtu)
        }
        m.attribute(UInt16(TCA_OPTIONS), contents: { m in
            m.attribute(UInt16(TCA_TBF_PARMS), value: opt)
            m.attribute(UInt16(TCA_TBF_BURST), uint32: burst)
            if rate64 >= 1 << 32 { m.attribute(UInt16(TCA_TBF_RATE64), value: rate64) }
            m.attribute(UInt16(TCA_TBF_RTAB), Self.bytes(rtab))
            if opt.peakrate.rate != 0 {
                if prate64 >= 1 << 32 { m.attribute(UInt16(TCA_TBF_PRATE64), value: prate64) }
                m.attribute(UInt16(TCA_TBF_PBURST), uint32: mtu)
                m.attribute(UInt16(TCA_TBF_PTAB), Self.bytes(ptab))
            }
        })
    }

    /// tc_calc_rtable for Ethernet (no size adjustment, mpu 0): the ticks each of 256 packet
    /// sizes (cell_log steps; cell_log the smallest with mtu >> cell_log <= 255, mtu 2047 when
    /// none) takes at the spec's 32-bit rate. Sets the spec's cell_log, cell_align = -1 and
    /// linklayer, as tc does.
    static func rateTable(_ r: inout tc_ratespec, mtu: UInt32) -> [UInt32] {
        let mtu = mtu == 0 ? 2047 : mtu
        var cellLog: UInt32 = 0
        while (mtu >> cellLog) > 255 { cellLog += 1 }
        var table = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            let size = UInt32(truncatingIfNeeded: UInt64(i + 1) << UInt64(cellLog))
            table[i] = PacketScheduler.transmitTicks(rate: UInt64(r.rate), size: size)
        }
        r.cell_align = -1
        r.cell_log = UInt8(cellLog)
        r.linklayer = UInt8(TC_LINKLAYER_ETHERNET.rawValue) & UInt8(TC_LINKLAYER_MASK)
        return table
    }

    static func bytes(_ table: [UInt32]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(table.count * 4)
        for v in table { for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
        return out
    }
}
