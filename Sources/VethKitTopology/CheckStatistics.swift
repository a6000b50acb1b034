import Glibc
import VethKit
import VethKitJSON

/// A claim's echo statistics, computed exactly as iputils' `ping` prints its summary
/// (ping_common.c): round-trip times in whole microseconds (truncated), duplicates' times in the
/// sums, the average and the variance in integer arithmetic (the variance as
/// `(Σt² − (Σt)²/n) / n` while Σt < INT_MAX, else `Σt²/n − avg²`), the deviation by ping's
/// integer Newton square root, and the loss as the float `(sent − received) × 100 / sent`
/// printed with `%g`.
public struct EchoStatistics: Sendable, Hashable {
    public var transmitted: Int
    public var received: Int
    public var duplicates: Int
    /// Microseconds; nil when nothing was received.
    public var minimum: Int64?
    public var average: Int64?
    public var maximum: Int64?
    public var deviation: Int64?

    /// From the per-echo times (nil = lost) and the duplicates' times, in seconds.
    public init(rtts: [Double?], duplicateRTTs: [Double] = []) {
        let got = rtts.compactMap { $0 }
        self.init(transmitted: rtts.count, received: got.count, duplicates: duplicateRTTs.count,
                  microseconds: (got + duplicateRTTs).map(Self.microseconds))
    }

    /// From trip times already in microseconds (ping's `triptime`s, duplicates included).
    public init(transmitted: Int, received: Int, duplicates: Int, microseconds micro: [Int64]) {
        self.transmitted = transmitted
        self.received = received
        self.duplicates = duplicates
        guard received > 0, !micro.isEmpty else { return }
        var tsum: Int64 = 0, tsum2: Int64 = 0
        for t in micro {
            tsum &+= t
            tsum2 &+= t &* t
        }
        let total = Int64(received + duplicates)
        let avg = tsum / total
        let variance = tsum < Int64(Int32.max) ? (tsum2 - (tsum * tsum) / total) / total : tsum2 / total - avg * avg
        minimum = micro.min()
        maximum = micro.max()
        average = avg
        deviation = Self.integerSquareRoot(variance)
    }

    /// Seconds → whole microseconds, truncated (as ping's timeval arithmetic).
    static func microseconds(_ seconds: Double) -> Int64 {
        let ns = (seconds * 1e9).rounded()
        return ns >= 0 && ns < 9e18 ? Int64(ns) / 1000 : 0
    }

    /// iputils' `llsqrt`: Newton's iteration in integers, 0 for a non-positive argument.
    static func integerSquareRoot(_ a: Int64) -> Int64 {
        var prev = Int64.max
        var x = a
        if x > 0 {
            while x < prev {
                prev = x
                x = (x + a / x) / 2
            }
        }
        return x
    }

    /// The loss in percent as ping computes it: a float.
    public var lossPercent: Double {
        guard transmitted > 0 else { return 0 }
        return Double(Float(Double(transmitted - received) * 100.0 / Double(transmitted)))
    }

    /// `10%`, `33.3333%` — ping's `%g`.
    public var lossText: String { Self.g(lossPercent) + "%" }

    /// `0.045/0.061/0.102/0.017` (ms, as ping's `rtt min/avg/max/mdev = … ms`), nil without replies.
    public var rttText: String? {
        guard let minimum, let average, let maximum, let deviation else { return nil }
        return [minimum, average, maximum, deviation].map(Self.milliseconds).joined(separator: "/")
    }

    /// ping's `%ld.%03ld` of microseconds.
    static func milliseconds(_ us: Int64) -> String {
        let frac = String(us % 1000)
        return "\(us / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    /// printf's `%g`.
    static func g(_ x: Double) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([x]) { vsnprintf(&buf, buf.count, "%g", $0) }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The line ping prints: `50 packets transmitted, 50 received, 0% packet loss`.
    public var summaryLine: String {
        var s = "\(transmitted) packets transmitted, \(received) received"
        if duplicates > 0 { s += ", +\(duplicates) duplicates" }
        return s + ", \(lossText) packet loss"
    }

    /// `{"transmitted","received","duplicates","loss_percent","rtt_min_ms","rtt_avg_ms","rtt_max_ms","rtt_mdev_ms"}`
    /// (times as ping prints them: microsecond resolution, in ms).
    public var jsonFields: JSONObject {
        var f: JSONObject = ["transmitted": JSON(transmitted), "received": JSON(received), "duplicates": JSON(duplicates),
                             "loss_percent": .double(lossPercent)]
        if let minimum, let average, let maximum, let deviation {
            f["rtt_min_ms"] = .double(Double(minimum) / 1000)
            f["rtt_avg_ms"] = .double(Double(average) / 1000)
            f["rtt_max_ms"] = .double(Double(maximum) / 1000)
            f["rtt_mdev_ms"] = .double(Double(deviation) / 1000)
        }
        return f
    }
}
