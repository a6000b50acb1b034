/// A JSON value written straight to text: no Foundation, no reflection, fast enough to print
/// thousands of links in milliseconds. Keys keep their insertion order, as iproute2's do.
enum JSON {
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case bool(Bool)
    case null
    case array([JSON])
    case object([JSONField])

    /// Compact text (one line), or indented with `pretty`.
    func text(pretty: Bool = false) -> String {
        String(decoding: bytes(pretty: pretty), as: UTF8.self)
    }

    /// The UTF-8 encoding, built straight into one byte buffer (thousands of links in milliseconds).
    func bytes(pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(estimatedSize)
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    /// A cheap upper-ish bound on the encoded size, so the buffer is allocated once.
    var estimatedSize: Int {
        switch self {
        case .array(let items): return 2 + items.count * (items.first?.estimatedSize ?? 8)
        case .object(let fields): return 2 + fields.count * 24
        default: return 16
        }
    }

    func write(to out: inout [UInt8], pretty: Bool, indent: Int) {
        switch self {
        case .string(let s): JSON.writeString(s, to: &out)
        case .int(let v): out.append(contentsOf: String(v).utf8)
        case .uint(let v): out.append(contentsOf: String(v).utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 1) }
                item.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            if fields.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (i, field) in fields.enumerated() {
                let (k, v) = (field.key, field.value)
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 1) }
                JSON.writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                v.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(UInt8(ascii: "\n"))
        for _ in 0..<(indent * 2) { out.append(UInt8(ascii: " ")) }
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xf)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Builds a JSON object field by field, skipping nil values.
struct JSONObject {
    var fields: [JSONField] = []
    mutating func set(_ key: String, _ value: JSON?) { if let value { fields.append(JSONField(key, value)) } }
    mutating func set(_ key: String, _ value: String?) { if let value { fields.append(JSONField(key, .string(value))) } }
    mutating func set<I: BinaryInteger>(_ key: String, _ value: I?) {
        if let value { fields.append(JSONField(key, value < 0 ? .int(Int64(value)) : .uint(UInt64(value)))) }
    }
    var json: JSON { .object(fields) }
}

/// One key and value of a JSON object.
struct JSONField {
    var key: String
    var value: JSON
    init(_ key: String, _ value: JSON) {
        self.key = key
        self.value = value
    }
}
