import Glibc

/// A JSON value, as CNI configurations and results carry them. Parsing and writing are our own
/// (JSONParser below, `serialized`): no Foundation at all in the plugin's process. Measured here,
/// linking FoundationEssentials statically for its JSONDecoder cost ~1.5 ms of start-up per
/// process (hello world 2.8 ms vs 4.4 ms on the loaded build machine) — per container, per verb.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    /// Parses `bytes`; throws ``CNIError`` code 6 (failed to decode content) naming `what`.
    public static func parse(_ bytes: [UInt8], what: String) throws -> JSON {
        do {
            return try JSONParser.parse(bytes)
        } catch let e as JSONParser.Failure {
            throw CNIError(.decodingFailure, "failed to decode \(what)", details: "\(what) is not valid JSON: \(e.reason) at byte \(e.offset)")
        }
    }

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var objectValue: [String: JSON]? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: return Int64(d)
        default: return nil
        }
    }
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// Compact JSON text; object keys sorted so output is deterministic.
    public var serialized: String {
        var out = ""
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite { out += d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)" } else { out += "null" }
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSON.writeString(k, to: &out)
                out += ":"
                o[k]!.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7f {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, b in b }))
    }
}

/// Reads typed fields out of a JSON object, throwing ``CNIError`` code 7 (invalid network
/// configuration) that names the field when a value has the wrong type.
struct FieldReader {
    let object: [String: JSON]
    let context: String

    init(_ value: JSON, context: String) throws {
        guard case .object(let o) = value else {
            throw CNIError(.invalidNetworkConfig, "\(context) must be a JSON object", details: "got \(value.typeName)")
        }
        object = o
        self.context = context
    }

    func bad(_ key: String, _ expected: String) -> CNIError {
        CNIError(.invalidNetworkConfig, "\(context).\(key) must be \(expected)",
                 details: "got \(object[key]?.serialized ?? "nothing")")
    }

    func has(_ key: String) -> Bool { if let v = object[key], !v.isNull { return true }; return false }

    func string(_ key: String) throws -> String? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw bad(key, "a string") }
        return s
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let b = v.boolValue else { throw bad(key, "true or false") }
        return b
    }

    func int(_ key: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let i = v.intValue, range.contains(i) else { throw bad(key, "an integer in \(range.lowerBound)...\(range.upperBound)") }
        return i
    }

    func array(_ key: String) throws -> [JSON]? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw bad(key, "a list") }
        return a
    }

    func stringArray(_ key: String) throws -> [String]? {
        guard let a = try array(key) else { return nil }
        return try a.map { guard let s = $0.stringValue else { throw bad(key, "a list of strings") }; return s }
    }
}
