/// A duration as tc writes it (`20ms`, `1.5s`, `500us`), kept in nanoseconds: netem takes
/// nanoseconds (TCA_NETEM_LATENCY64), tbf and tc's other TIME arguments microseconds.
public struct TCTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The duration in nanoseconds (never negative).
    public let nanoseconds: Int64

    /// The duration in whole microseconds (rounded down).
    public var microseconds: Int64 { nanoseconds / 1000 }

    /// No time.
    public static let zero = TCTime(nanoseconds: 0)

    /// The largest duration: what a signed 64-bit count of nanoseconds holds (about 292 years).
    public static let max = TCTime(nanoseconds: Int64.max)

    /// `microseconds` µs (negative values count as 0; more than ``max`` as ``max``).
    public init(microseconds: Int64) {
        nanoseconds = microseconds <= 0 ? 0 : (microseconds > Int64.max / 1000 ? Int64.max : microseconds * 1000)
    }

    /// `nanoseconds` ns (negative values count as 0).
    public init(nanoseconds: Int64) { self.nanoseconds = Swift.max(0, nanoseconds) }

    /// Parses a duration in tc's words: a decimal number and a unit, `s`/`sec`/`secs`,
    /// `ms`/`msec`/`msecs`, `us`/`usec`/`usecs` or `ns`/`nsec`/`nsecs` (case-insensitive); a bare
    /// number is microseconds, as tc(8) documents for TIME (`tc … tbf latency 20` is 20 µs).
    /// Fractions below a nanosecond are dropped, as tc drops them. Throws ``InvalidInput`` naming
    /// the value for anything else: an empty string, an unknown unit (`20xs`), a negative or
    /// non-finite number, or one past ``max``.
    public init(parsing text: String) throws {
        guard let (value, unit) = TCNumber.split(text) else {
            throw InvalidInput("time", text, "expected a number and a unit, e.g. 20ms, 1.5s, 500us")
        }
        let scale: Double
        switch unit.lowercased() {
        case "": scale = 1_000
        case "s", "sec", "secs": scale = 1_000_000_000
        case "ms", "msec", "msecs": scale = 1_000_000
        case "us", "usec", "usecs": scale = 1_000
        case "ns", "nsec", "nsecs": scale = 1
        default: throw InvalidInput("time", text, "unknown unit \"\(String(unit))\" (expected s, ms, us or ns)")
        }
        let ns = value * scale
        guard ns < 9.2e18 else { throw InvalidInput("time", text, "too long (at most 292 years)") }
        nanoseconds = Int64(ns)
    }

    public static func < (a: TCTime, b: TCTime) -> Bool { a.nanoseconds < b.nanoseconds }

    /// As tc prints a time, exactly: the largest unit in which the value is at least 1, with as
    /// many decimals as it needs (`20ms`, `1.5s`, `500us`, `1.25ms`, `999ns`, `0us` for zero).
    public var description: String {
        if nanoseconds == 0 { return "0us" }
        for (unit, size) in [("s", Int64(1_000_000_000)), ("ms", 1_000_000), ("us", 1_000)] where nanoseconds >= size {
            return Self.decimal(nanoseconds, per: size) + unit
        }
        return "\(nanoseconds)ns"
    }

    /// `value / per` written exactly in decimal (`per` a power of ten).
    static func decimal(_ value: Int64, per: Int64) -> String {
        let whole = value / per
        var fraction = value % per
        guard fraction != 0 else { return "\(whole)" }
        var width = 0
        var p = per
        while p > 1 { p /= 10; width += 1 }
        while fraction % 10 == 0 { fraction /= 10; width -= 1 }
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: width - digits.count) + digits
    }
}
