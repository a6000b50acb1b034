/// A compact, left-aligned text table: a header row and one row per object. Cells come from the
/// kernel (a container names its own veth): control characters are written as `\xNN`, never raw.
struct Table {
    var header: [String]
    var rows: [[String]] = []
    /// Rows that are one free line (a route's next hop): printed as is, left out of the widths.
    var lines: Set<Int> = []

    init(_ header: String...) { self.header = header }
    init(_ header: [String]) { self.header = header }

    mutating func add(_ cells: [String]) { rows.append(cells.map { $0.terminalEscaped() }) }

    /// A line under the last row that does not follow the columns.
    mutating func addLine(_ text: String) {
        lines.insert(rows.count)
        rows.append([text.terminalEscaped()])
    }

    var text: String {
        var widths = header.map(\.count)
        for (n, r) in rows.enumerated() where !lines.contains(n) {
            for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) }
        }
        func line(_ cells: [String]) -> String {
            var s = ""
            for (i, c) in cells.enumerated() {
                if i == cells.count - 1 { s += c } else { s += c + String(repeating: " ", count: widths[i] - c.count + 2) }
            }
            return s
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
