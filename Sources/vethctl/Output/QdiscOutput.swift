import Glibc
import VethKitJSON
import VethKit

/// Renders qdiscs as iproute2 6.1's tc does: `tc -s -j qdisc show` key names and value types in
/// JSON (rates in bytes per second, netem's times in seconds and its probabilities as fractions,
/// tbf's latency in microseconds), `tc -s qdisc show` lines in text.
struct QdiscOutput {
    /// Names of links by index (for `dev`).
    var names: [Int32: String]
    /// The options of the kinds VethKit does not model (htb, fifo, prio), by place.
    var details: [QdiscPlace: QdiscDetails] = [:]
    /// Text without `dev NAME` (tc leaves it out when one device was asked for; JSON keeps it).
    var textWithoutDevice = false

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

    // MARK: one qdisc

    /// `tc -s -j qdisc show`'s object for `q`: kind, handle, dev, root or parent, refcnt (when
    /// not 1), options, counters.
    func json(_ q: Qdisc) -> JSON {
        var o = JSONObject()
        o.set("kind", q.kind)
        o.set("handle", String(q.handle.rawValue >> 16, radix: 16) + ":")
        o.set("dev", names[q.linkIndex] ?? "if\(q.linkIndex)")
        if q.isRoot { o.set("root", true) } else if q.parent.rawValue != 0 { o.set("parent", Self.classid(q.parent.rawValue)) }
        if q.refcount != 1 { o.set("refcnt", q.refcount) }
        o.set("options", options(q))
        Self.setStatistics(q.statistics, in: &o)
        return o.json
    }

    /// The `options` object: tbf's and netem's as tc prints them, empty for the kinds VethKit
    /// does not decode.
    func options(_ q: Qdisc) -> JSON {
        var o = JSONObject()
        switch q.options {
        case .tbf(let t):
            o.set("rate", t.rate.bytesPerSecond)
            o.set("burst", Self.shownSize(t.burst, at: t.rate))
            if let p = t.peakRate { o.set("peakrate", p.bytesPerSecond) }
            if let p = t.peakRate, let mtu = t.mtu { o.set("minburst", Self.shownSize(mtu, at: p)) }
            let lat = Self.latency(t)
            if lat >= 0 { o.set("lat", UInt32(min(lat, Double(UInt32.max)))) } else { o.set("limit", t.limitBytes) }
        case .netem(let n):
            o.set("limit", n.limit)
            if let d = n.delay, d != .zero {
                var delay = JSONObject()
                delay.set("delay", Self.tcFloat(Self.seconds(d)))
                delay.set("jitter", Self.tcFloat(Self.seconds(n.jitter ?? .zero)))
                delay.set("correlation", Self.fraction(n.delayCorrelation))
                o.set("delay", delay.json)
            }
            switch n.loss {
            case .random(let p, let c)? where p != .zero:
                o.set("loss-random", JSON.object([JSONField("loss", Self.fraction(p)), JSONField("correlation", Self.fraction(c))]))
            case .fourState(let p13, let p31, let p32, let p23, let p14)?:
                o.set("loss-state", JSON.object([JSONField("p13", Self.fraction(p13)), JSONField("p31", Self.fraction(p31)),
                                                 JSONField("p32", Self.fraction(p32)), JSONField("p23", Self.fraction(p23)),
                                                 JSONField("p14", Self.fraction(p14))]))
            case .gilbertElliott(let p, let r, let h, let k1)?:
                o.set("loss-gemodel", JSON.object([JSONField("p", Self.fraction(p)), JSONField("r", Self.fraction(r)),
                                                   JSONField("1-h", Self.fraction(h)), JSONField("1-k", Self.fraction(k1))]))
            default: break
            }
            if let d = n.duplicate, d != .zero {
                o.set("duplicate", JSON.object([JSONField("duplicate", Self.fraction(d)), JSONField("correlation", Self.fraction(n.duplicateCorrelation))]))
            }
            if let r = n.reorder, r != .zero {
                o.set("reorder", JSON.object([JSONField("reorder", Self.fraction(r)), JSONField("correlation", Self.fraction(n.reorderCorrelation))]))
            }
            if let c = n.corrupt, c != .zero {
                o.set("corrupt", JSON.object([JSONField("corrupt", Self.fraction(c)), JSONField("correlation", Self.fraction(n.corruptCorrelation))]))
            }
            if let r = n.rate, r.bytesPerSecond != 0 {
                var rate = JSONObject()
                rate.set("rate", r.bytesPerSecond)
                rate.set("packetoverhead", n.packetOverhead)
                rate.set("cellsize", n.cellSize)
                rate.set("celloverhead", n.cellOverhead)
                o.set("rate", rate.json)
            }
            if let s = n.slot {
                var slot = JSONObject()
                switch s.timing {
                case .distribution(_, let delay, let jitter):
                    slot.set("distribution", Self.tcFloat(Self.seconds(delay)))
                    slot.set("jitter", Self.tcFloat(Self.seconds(jitter)))
                case .range(let lo, let hi):
                    slot.set("min-delay", Self.tcFloat(Self.seconds(lo)))
                    slot.set("max-delay", Self.tcFloat(Self.seconds(hi)))
                }
                slot.set("packets", s.packets ?? 0)
                slot.set("bytes", s.bytes ?? 0)
                o.set("slot", slot.json)
            }
            o.set("ecn", n.ecn)
            o.set("gap", n.gap ?? 0)
            o.set("seed", n.seed)
        case .other:
            switch details[q.place] {
            case .htb(let r2q, let defcls, let direct, let qlen)?:
                o.set("r2q", r2q)
                o.set("default", Self.hex(defcls))
                o.set("direct_packets_stat", direct)
                o.set("direct_qlen", qlen)
            case .fifo(let limit)?:
                o.set("limit", limit)
            case .prio(let bands, let map, let mq)?:
                o.set("bands", bands)
                o.set("priomap", JSON.array(map.map { JSON.int(Int64($0)) }))
                o.set("multiqueue", mq ?? false)
            case nil: break
            }
        }
        return o.json
    }

    /// C's `%#x`: `0x10`, and `0` for zero.
    static func hex(_ v: UInt32) -> String { v == 0 ? "0" : "0x" + String(v, radix: 16) }

    /// One qdisc as `tc -s qdisc show` prints it: the qdisc line, then its counters.
    func text(_ q: Qdisc) -> String {
        var line = "qdisc \(q.kind) \(String(q.handle.rawValue >> 16, radix: 16)): "
        if !textWithoutDevice { line += "dev \(names[q.linkIndex] ?? "if\(q.linkIndex)") " }
        if q.isRoot { line += "root " } else if q.parent.rawValue != 0 { line += "parent \(Self.classid(q.parent.rawValue)) " }
        if q.refcount != 1 { line += "refcnt \(q.refcount) " }
        line += optionsText(q)
        return line.terminalEscaped() + "\n" + Self.statisticsLines(q.statistics)
    }

    /// The options as tc's print_qopt writes them.
    func optionsText(_ q: Qdisc) -> String {
        switch q.options {
        case .tbf(let t):
            var s = "rate \(t.rate) burst \(Self.size(Self.shownSize(t.burst, at: t.rate))) "
            if let p = t.peakRate {
                s += "peakrate \(p) "
                if let mtu = t.mtu { s += "minburst \(Self.size(Self.shownSize(mtu, at: p))) " }
            }
            let lat = Self.latency(t)
            if lat >= 0 { s += "lat \(Self.time(microseconds: lat)) " } else { s += "limit \(Self.size(t.limitBytes)) " }
            return s
        case .netem(let n):
            var s = "limit \(n.limit)"
            if let d = n.delay, d != .zero {
                s += " delay \(Self.time(microseconds: Self.seconds(d) * 1_000_000))"
                if let j = n.jitter, j != .zero {
                    s += "  \(Self.time(microseconds: Self.seconds(j) * 1_000_000))"
                    if let c = n.delayCorrelation, c != .zero { s += " \(c)" }
                }
            }
            switch n.loss {
            case .random(let p, let c)? where p != .zero:
                s += " loss \(p)"
                if let c, c != .zero { s += " \(c)" }
            case .fourState(let p13, let p31, let p32, let p23, let p14)?:
                s += " loss state p13 \(p13) p31 \(p31 ?? .zero) p32 \(p32 ?? .zero) p23 \(p23 ?? .zero) p14 \(p14 ?? .zero)"
            case .gilbertElliott(let p, let r, let h, let k1)?:
                s += " loss gemodel p \(p) r \(r ?? .zero) 1-h \(h ?? .zero) 1-k \(k1 ?? .zero)"
            default: break
            }
            for (word, p, c) in [("duplicate", n.duplicate, n.duplicateCorrelation), ("reorder", n.reorder, n.reorderCorrelation),
                                 ("corrupt", n.corrupt, n.corruptCorrelation)] {
                guard let p, p != .zero else { continue }
                s += " \(word) \(p)"
                if let c, c != .zero { s += " \(c)" }
            }
            if let r = n.rate, r.bytesPerSecond != 0 {
                s += " rate \(r)"
                if n.packetOverhead != 0 { s += " packetoverhead \(n.packetOverhead)" }
                if n.cellSize != 0 { s += " cellsize \(n.cellSize)" }
                if n.cellOverhead != 0 { s += " celloverhead \(n.cellOverhead)" }
            }
            if n.ecn { s += " ecn " }
            if let g = n.gap, g != 0 { s += " gap \(g)" }
            return s
        case .other:
            switch details[q.place] {
            case .htb(let r2q, let defcls, let direct, let qlen)?:
                return "r2q \(r2q) default \(Self.hex(defcls)) direct_packets_stat \(direct)" + (qlen.map { " direct_qlen \($0)" } ?? "")
            case .fifo(let limit)?:
                return q.kind == "bfifo" ? "limit \(Self.size(limit))" : "limit \(limit)p"
            case .prio(let bands, let map, let mq)?:
                return "bands \(bands) priomap " + map.map { "\($0) " }.joined() + (mq.map { " multiqueue: \($0 ? "on" : "off") " } ?? "")
            case nil:
                return q.kind == "ingress" ? "---------------- " : ""
            }
        }
    }

    // MARK: conversions as tc makes them

    /// The whole microseconds a bucket of `bytes` takes at `rate` (the kernel keeps a bucket as
    /// 64 ns ticks; tc 6.1 turns them into whole µs, tc_core_tick2time, before anything else).
    static func bucketMicroseconds(_ bytes: UInt32, at rate: Rate) -> Double {
        guard rate.bytesPerSecond > 0 else { return 0 }
        return (Double(bytes) * 1_000_000 / Double(rate.bytesPerSecond) + 1e-9).rounded(.down)
    }

    /// A bucket's size as tc 6.1 prints it (tc_calc_xmitsize of the kernel's ticks: the whole
    /// microseconds at the rate, truncated): 64 KiB at 100mbit is 65525 bytes there.
    static func shownSize(_ bytes: UInt32, at rate: Rate) -> UInt32 {
        UInt32(min(Double(UInt32.max), Double(rate.bytesPerSecond) * bucketMicroseconds(bytes, at: rate) / 1_000_000))
    }

    /// tbf's latency in µs as tc computes it from what the kernel reports: the time the byte
    /// limit takes at the rate, less the bucket's (the larger of the rate's and the peak rate's);
    /// negative when the limit is below the burst (tc then prints the limit instead).
    static func latency(_ t: TokenBucket) -> Double {
        let limit = Double(t.limitBytes)
        func lat(_ rate: Rate, _ burst: UInt32) -> Double {
            rate.bytesPerSecond == 0 ? -1 : 1_000_000 * limit / Double(rate.bytesPerSecond) - bucketMicroseconds(burst, at: rate)
        }
        var l = lat(t.rate, t.burst)
        if let p = t.peakRate { l = max(l, lat(p, t.mtu ?? 0)) }
        return l
    }

    /// A time in seconds, as netem's JSON has it (tc 6.1 reads the 64 ns ticks of the qopt).
    static func seconds(_ t: TCTime) -> Double {
        let ticks = min(t.nanoseconds >> 6, Int64(UInt32.max))
        return Double(UInt32(ticks)) / 15.625 / 1_000_000
    }

    /// A probability as a fraction (tc's JSON: 1 % is 0.01), 0 when absent.
    static func fraction(_ p: Percentage?) -> JSON { tcFloat(Double(p?.kernelValue ?? 0) / Double(UInt32.max)) }
}
