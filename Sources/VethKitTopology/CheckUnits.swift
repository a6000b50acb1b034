import VethKit

/// Times and percentages for `checks:` and `vethctl check`, read by the traffic-control
/// library's parsers (``TCTime``, ``Percentage``: tc's units and spellings, `60ms`, `1.5s`,
/// `250us`, `5%`), with one rule of the check's own: a time needs its unit.
public enum CheckUnits {
    /// Seconds from `<number><unit>`, unit one of tc's: s, sec, secs, ms, msec, msecs, us, usec,
    /// usecs, ns, nsec, nsecs. Unlike tc, a bare number (tc: microseconds) is refused: in a check
    /// it would more likely mean milliseconds (the impairments refuse it too). At most a day. Nil when invalid.
    public static func seconds(_ text: String) -> Double? {
        guard let last = text.utf8.last, (0x41...0x5a).contains(last) || (0x61...0x7a).contains(last),
              let t = try? TCTime(parsing: text) else { return nil }
        let v = Double(t.nanoseconds) / 1e9
        return v <= 86_400 ? v : nil
    }

    /// A fraction 0...1 from `<number>%` (or a bare number, as tc reads it: percent). Nil when invalid or above 100 %.
    public static func fraction(_ text: String) -> Double? {
        (try? Percentage(parsing: text))?.fraction
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
