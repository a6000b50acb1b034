/// Column layout without Foundation, for the tables the engine's results describe themselves
/// with (numbers: ``FixedPoint``).
enum TextFormat {
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
