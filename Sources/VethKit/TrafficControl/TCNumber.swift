/// The number grammar of tc's units (`20ms`, `1.5%`, `100mbit`): a decimal number, then a unit.
/// tc itself reads the number with strtod, which also takes hex, `inf`, `nan`, leading blanks and
/// any sign; VethKit accepts the plain decimal forms only (`20`, `1.5`, `.5`, `2e3`, `-4` where a
/// sign is allowed), so a typo is an error rather than a surprising value.
enum TCNumber {
    /// Splits `text` into its number and its unit (the rest, possibly empty). Returns nil when it
    /// does not start with a number of the grammar, or when the number is not finite.
    static func split(_ text: String, signed: Bool = false) -> (value: Double, unit: Substring)? {
        let u = Array(text.utf8)
        guard !u.isEmpty, u.count <= 64 else { return nil }
        var i = 0
        if signed, u[0] == UInt8(ascii: "-") || u[0] == UInt8(ascii: "+") { i = 1 }
        let intStart = i
        while i < u.count, isDigit(u[i]) { i += 1 }
        var digits = i - intStart
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            let f = i
            while i < u.count, isDigit(u[i]) { i += 1 }
            digits += i - f
        }
        guard digits > 0 else { return nil }
        // An exponent only when digits follow (so `1e` stays a unit error, not a number).
        if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            var j = i + 1
            if j < u.count, u[j] == UInt8(ascii: "-") || u[j] == UInt8(ascii: "+") { j += 1 }
            let e = j
            while j < u.count, isDigit(u[j]) { j += 1 }
            if j > e, j - e <= 4 { i = j }
        }
        let numberText = String(decoding: u[0..<i], as: UTF8.self)
        guard let value = Double(numberText), value.isFinite else { return nil }
        let rest = text.utf8.dropFirst(i)
        return (value, Substring(rest))
    }

    /// A whole number in 0...max (decimal digits only, as tc's get_u32 with base 10).
    static func unsigned(_ text: String, max: UInt64) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy(isDigit) else { return nil }
        guard let v = UInt64(text), v <= max else { return nil }
        return v
    }

    /// A whole number in min...max, with an optional sign.
    static func signed(_ text: String, min: Int64, max: Int64) -> Int64? {
        var body = Substring(text)
        if body.first == "+" { body = body.dropFirst() }
        let digits = body.first == "-" ? body.dropFirst() : body
        guard !digits.isEmpty, digits.utf8.count <= 19, digits.utf8.allSatisfy(isDigit) else { return nil }
        guard let v = Int64(body), v >= min, v <= max else { return nil }
        return v
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// `x` with trailing zeros (and a trailing point) removed from its shortest decimal form:
    /// 1.5 → "1.5", 20.0 → "20".
    static func trimmed(_ x: Double) -> String {
        var s = x.description
        if s.contains("e") { return s }
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
}
