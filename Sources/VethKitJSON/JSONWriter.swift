/// Writing JSON text straight into one byte buffer (thousands of links in milliseconds). Keys in
/// their object's order; strings escaped per RFC 8259 (control characters and DEL as `\u00XX`,
/// so output never carries a raw terminal control byte).
extension JSON {
    /// Compact text on one line.
    public var serialized: String { text() }

    /// Compact text, or indented by two spaces per level with `pretty`.
    public func text(pretty: Bool = false) -> String {
        String(decoding: bytes(pretty: pretty), as: UTF8.self)
    }

    /// The UTF-8 encoding.
    public func bytes(pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(estimatedSize)
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    /// Appends the encoding to `out`.
    public func write(to out: inout [UInt8], pretty: Bool = false) {
        write(to: &out, pretty: pretty, indent: 0)
    }

    /// A cheap estimate of the encoded size, so the buffer is allocated about once.
    var estimatedSize: Int {
        switch self {
        case .array(let items): return 2 + items.count * (items.first?.estimatedSize ?? 8)
        case .object(let o): return 2 + o.count * 24
        case .string(let s): return s.utf8.count + 2
        default: return 16
        }
    }

    func write(to out: inout [UInt8], pretty: Bool, indent: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let v): out.append(contentsOf: String(v).utf8)
        case .uint(let v): out.append(contentsOf: String(v).utf8)
        case .double(let d):
            // JSON has no NaN or infinity; integral values print without a fraction.
            if !d.isFinite { out.append(contentsOf: "null".utf8) }
            else if d == d.rounded() && abs(d) < 1e15 { out.append(contentsOf: String(Int64(d)).utf8) }
            else { out.append(contentsOf: "\(d)".utf8) }
        case .fixed(let d, let places):
            if !d.isFinite { out.append(contentsOf: "null".utf8); return }
            // Rounded to `places` decimals and written digit by digit (no Foundation formatting).
            let p = max(0, min(places, 15))
            var scale: Double = 1
            for _ in 0..<p { scale *= 10 }
            let scaled = (abs(d) * scale).rounded()
            guard scaled < 9e18 else { out.append(contentsOf: "\(d)".utf8); return }
            let n = UInt64(scaled), unit = UInt64(scale)
            if d < 0 && n != 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: String(n / unit).utf8)
            if p > 0 {
                let frac = String(n % unit)
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: (String(repeating: "0", count: p - frac.count) + frac).utf8)
            }        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { JSON.newline(&out, indent + 1) }
                item.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { JSON.newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (i, field) in o.fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { JSON.newline(&out, indent + 1) }
                JSON.writeString(field.key, to: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                field.value.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { JSON.newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(UInt8(ascii: "\n"))
        for _ in 0..<(indent * 2) { out.append(UInt8(ascii: " ")) }
    }

    /// `s` as a JSON string literal, quotes included.
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        writeString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7f:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xf)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
