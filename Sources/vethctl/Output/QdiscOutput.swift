import Glibc
import VethKitJSON
import VethKit

/// Renders qdiscs as iproute2 6.1's tc does: `tc -s -j qdisc show` key names and value types in
/// JSON (rates in bytes per second, netem's times in seconds and its probabilities as fractions,
/// tbf's latency in microseconds), `tc -s qdisc show` lines in text.
struct QdiscOutput {
    /// Names of links by index (for `dev`).
    var names: [Int32: String]

    // MARK: tc's number formats

    /// A handle or parent as tc prints it (print_tc_classid): `root`, `none`, `564b:`, `1:10`, `:5`.
    static func classid(_ raw: UInt32) -> String {
        if raw == 0xFFFF_FFFF { return "root" }
        if raw == 0 { return "none" }
        let major = raw >> 16, minor = raw & 0xFFFF
        if major == 0 { return ":" + String(minor, radix: 16) }
        if minor == 0 { return String(major, radix: 16) + ":" }
        return String(major, radix: 16) + ":" + String(minor, radix: 16)
    }

    /// `printf(format, value)` for one double (tc's `%g`, `%.3g`).
    static func printf(_ format: String, _ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, format, $0) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A double as tc's JSON writer prints it (`%g`: 6 significant digits), so values compare equal.
    static func tcFloat(_ value: Double) -> JSON {
        .double(Double(printf("%g", value)) ?? value)
    }

    /// A size in bytes as tc prints it (print_size): `32Kb` when within 16 bytes of whole KiB,
    /// `1Mb` within 1 KiB of whole MiB, else `1500b`.
    static func size(_ bytes: UInt32) -> String {
        let d = Double(bytes)
        if bytes >= 1024 * 1024, abs(1024 * 1024 * (d / (1024 * 1024)).rounded(.toNearestOrEven) - d) < 1024 {
            return printf("%g", (d / (1024 * 1024)).rounded(.toNearestOrEven)) + "Mb"
        }
        if bytes >= 1024, abs(1024 * (d / 1024).rounded(.toNearestOrEven) - d) < 16 {
            return printf("%g", (d / 1024).rounded(.toNearestOrEven)) + "Kb"
        }
        return "\(bytes)b"
    }

    /// A time in microseconds as tc prints it (print_time): `50ms`, `9.78ms`, `1.5s`, `500us`.
    static func time(microseconds us: Double) -> String {
        if us >= 1_000_000 { return printf("%.3g", us / 1_000_000) + "s" }
        if us >= 1000 { return printf("%.3g", us / 1000) + "ms" }
        return "\(UInt32(max(0, us)))us"
    }

    /// A percentage as tc prints it in text (`%g%%`).
    static func percent(_ p: Percentage) -> String { p.description }

    // MARK: counters

    /// tc's counters, at the top level of each qdisc's JSON object (as `tc -s -j` puts them).
    static func setStatistics(_ s: QdiscStatistics?, in o: inout JSONObject) {
        guard let s else { return }
        o.set("bytes", s.bytes)
        o.set("packets", s.packets)
        o.set("drops", s.drops)
        o.set("overlimits", s.overlimits)
        o.set("requeues", s.requeues)
        o.set("backlog", s.backlog)
        o.set("qlen", s.qlen)
    }

    /// ` Sent 260 bytes 4 pkt (dropped 0, overlimits 0 requeues 0) ` and ` backlog 0b 0p requeues 0`.
    static func statisticsLines(_ s: QdiscStatistics?) -> String {
        guard let s else { return "" }
        return " Sent \(s.bytes) bytes \(s.packets) pkt (dropped \(s.drops), overlimits \(s.overlimits) requeues \(s.requeues)) \n"
            + " backlog \(size(UInt32(truncatingIfNeeded: s.backlog))) \(s.qlen)p requeues \(s.requeues)\n"
    }
}
