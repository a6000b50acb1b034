/// Times and percentages for `checks:` and `vethctl check`, written as `tc` writes them: `60ms`,
/// `1.5s`, `250us`, `5%`. (A small parser of the check's own, so that `checks:` does not depend
/// on the traffic-control library: the same units, the same spellings.)
public enum CheckUnits {
    /// Seconds from `<number><unit>`, unit one of tc's: s, sec, secs, ms, msec, msecs, us, usec,
    /// usecs, ns, nsec, nsecs. Unlike tc, a bare number (tc: microseconds) is refused: in a check
    /// it would more likely mean milliseconds. Nil when invalid.
    public static func seconds(_ text: String) -> Double? {
        let (number, unit) = split(text)
        guard let n = number else { return nil }
        let scale: Double
        switch unit {
        case "s", "sec", "secs": scale = 1
        case "ms", "msec", "msecs": scale = 1e-3
        case "us", "usec", "usecs": scale = 1e-6
        case "ns", "nsec", "nsecs": scale = 1e-9
        default: return nil
        }
        let v = n * scale
        return v.isFinite && v <= 86_400 ? v : nil
    }

    /// A fraction 0...1 from `<number>%` (or a bare number, as tc reads it: percent). Nil when invalid or above 100 %.
    public static func fraction(_ text: String) -> Double? {
        let (number, unit) = split(text)
        guard let n = number, unit == "%" || unit.isEmpty, n <= 100 else { return nil }
        return n / 100
    }

    /// The decimal number at the start (digits, optionally `.` and digits; no sign, exponent,
    /// hex, inf or nan, which strtod would take) and the rest.
    static func split(_ text: String) -> (Double?, Substring) {
        let u = Array(text.utf8)
        var i = 0
        var digits = 0
        while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1; digits += 1 }
        if i < u.count, u[i] == 0x2e {
            i += 1
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1; digits += 1 }
        }
        guard digits > 0, digits <= 30 else { return (nil, "") }
        let number = String(decoding: u[0..<i], as: UTF8.self)
        let rest = text.utf8.dropFirst(i)
        return (Double(number), Substring(rest))
    }

    /// `0.06` → `60ms`, `1.5` → `1.5s`, `0.00025` → `250us` (as tc prints times).
    public static func text(seconds: Double) -> String {
        if seconds >= 1 { return FixedPoint.trimmed(seconds, places: 3) + "s" }
        if seconds >= 1e-3 { return FixedPoint.trimmed(seconds * 1e3, places: 3) + "ms" }
        return FixedPoint.trimmed(seconds * 1e6, places: 3) + "us"
    }

    /// `0.05` → `5%`.
    public static func text(fraction: Double) -> String { FixedPoint.trimmed(fraction * 100, places: 4) + "%" }
}

extension FixedPoint {
    /// ``text(_:places:)`` without trailing zeros (and without a trailing `.`).
    static func trimmed(_ x: Double, places: Int) -> String {
        var s = text(x, places: places)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
}
