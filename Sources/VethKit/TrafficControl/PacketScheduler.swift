import Glibc

/// The kernel's packet-scheduler clock as tc reads it (iproute2's tc_core.c): /proc/net/psched
/// gives ticks-to-µs, µs-to-ticks and the clock resolution; tc converts times to "ticks" with
/// `tick_in_usec` (15.625 on every kernel since 2.6.x: PSCHED_SHIFT is 6, a tick is 64 ns).
/// VethKit converts exactly as tc does, truncating where tc truncates, so requests match tc's.
enum PacketScheduler {
    /// Ticks per microsecond (tc's tick_in_usec): read once from /proc/net/psched, 15.625 when
    /// it cannot be read or makes no sense.
    static let ticksPerMicrosecond: Double = {
        let fd = open("/proc/net/psched", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 15.625 }
        defer { close(fd) }
        guard let text = try? BoundedRead.all(fd, limit: 4096) else { return 15.625 }
        let fields = String(decoding: text, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 3, var t2us = UInt32(fields[0], radix: 16), let us2t = UInt32(fields[1], radix: 16),
              let clockResolution = UInt32(fields[2], radix: 16), us2t != 0 else { return 15.625 }
        // tc's compatibility rule: a nanosecond clock advertises a multiplier of 1000 that means 1.
        if clockResolution == 1_000_000_000 { t2us = us2t }
        let value = Double(t2us) / Double(us2t) * (Double(clockResolution) / 1_000_000)
        return value.isFinite && value > 0 ? value : 15.625
    }()

    /// tc_core_time2tick: µs (an unsigned int in tc) to ticks, truncated, saturating.
    static func ticks(microseconds: UInt32) -> UInt32 { saturating(Double(microseconds) * ticksPerMicrosecond) }

    /// tc_core_tick2time: ticks to µs, truncated.
    static func microseconds(ticks: UInt32) -> UInt32 { saturating(Double(ticks) / ticksPerMicrosecond) }

    /// tc's check in get_ticks: a time whose ticks do not fit 32 bits ("Illegal … time (too large)").
    static func fitsTicks(microseconds: Int64) -> Bool {
        microseconds >= 0 && Double(microseconds) <= Double(UInt32.max) / ticksPerMicrosecond
    }

    /// tc_calc_xmittime: the ticks `size` bytes take at `rate` bytes/s (µs truncated to an
    /// unsigned int first, as tc does, then to ticks). Saturates instead of wrapping.
    static func transmitTicks(rate: UInt64, size: UInt32) -> UInt32 {
        guard rate > 0 else { return UInt32.max }
        let us = saturating(1_000_000 * (Double(size) / Double(rate)))
        return ticks(microseconds: us)
    }

    /// tc_calc_xmitsize: the bytes `rate` bytes/s sends in `ticks`.
    static func transmitSize(rate: UInt64, ticks: UInt32) -> UInt32 {
        saturating(Double(rate) * Double(microseconds(ticks: ticks)) / 1_000_000)
    }

    /// A double truncated to UInt32, 0 for negatives and NaN, UInt32.max above it (C's
    /// conversion is undefined there; Swift's would trap).
    static func saturating(_ x: Double) -> UInt32 {
        guard x.isFinite else { return x > 0 ? UInt32.max : 0 }
        if x <= 0 { return 0 }
        if x >= Double(UInt32.max) { return UInt32.max }
        return UInt32(x)
    }
}
