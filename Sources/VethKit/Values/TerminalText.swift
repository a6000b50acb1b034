/// Text from the kernel or a file made safe for a terminal: a veth that a container named
/// `"\u{1b}]0;…"` must not retitle or recolour the host's terminal when listed.
extension String {
    /// The string with every control character written as `\xNN` (C0 controls, DEL and the C1
    /// range U+0080…U+009F, which some terminals take as escape sequences too). Newlines are kept
    /// when `keepingNewlines` (multi-line text); everything else printable is unchanged.
    public func terminalEscaped(keepingNewlines: Bool = false) -> String {
        guard unicodeScalars.contains(where: { Self.isControl($0) && !(keepingNewlines && $0 == "\n") }) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for u in unicodeScalars {
            if Self.isControl(u) && !(keepingNewlines && u == "\n") {
                let hex = String(u.value, radix: 16)
                out += u.value < 0x100 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func isControl(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (u.value >= 0x7f && u.value <= 0x9f)
    }
}
