/// Text formatting without Foundation: fixed decimals and column padding for the tables and
/// summaries the engine's results describe themselves with.
enum TextFormat {
    /// `value` with exactly `decimals` digits after the point, rounded half away from zero:
    /// `fixed(0.0123, 3)` is `0.012`, `fixed(2, 1)` is `2.0` (what `%.Nf` prints for finite values).
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale: Double = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9e18 else { return "\(value)" }
        let n = UInt64(scaled)
        let p = UInt64(scale)
        var s = value < 0 && n != 0 ? "-" : ""
        s += String(n / p)
        if decimals > 0 {
            let frac = String(n % p)
            s += "." + String(repeating: "0", count: decimals - frac.count) + frac
        }
        return s
    }

    /// `s` padded with spaces to `width` characters (longer strings are kept whole).
    static func padded(_ s: String, to width: Int) -> String {
        let n = s.count
        return n >= width ? s : s + String(repeating: " ", count: width - n)
    }

    /// Rows as aligned columns two spaces apart; the last column is not padded, trailing spaces
    /// are dropped.
    static func table(_ rows: [[String]]) -> [String] {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return [] }
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { r in
            var line = r.enumerated().map { c, v in c == r.count - 1 ? v : padded(v, to: widths[c]) }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}
