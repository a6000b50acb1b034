/// A JSON value: what vethctl prints, the topology engine reports and CNI configurations and
/// results carry. Objects keep their keys in order (``JSONObject``), so output reads like the
/// input or like iproute2's. Writing (``serialized``, ``bytes(pretty:)``) and parsing
/// (``parse(_:)``) are this module's own: no Foundation, no reflection, nothing at start-up.
public enum JSON: Sendable {
    case null
    case bool(Bool)
    /// An integer that fits in 64 signed bits (every integer the parser sees that does).
    case int(Int64)
    /// A non-negative integer; the parser makes one only above `Int64.max`.
    case uint(UInt64)
    /// A number with a fraction or an exponent, or an integer too large for 64 bits.
    case double(Double)
    /// A number written with exactly `places` decimals, as C's `%.Nf` (iproute2's timers:
    /// `"gc_timer":0.00`); parsed back it is a ``double(_:)``.
    case fixed(Double, places: Int)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// The value of `key` in an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var objectValue: JSONObject? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// The value as an integer when it is one exactly (`5`, `5.0`; not `5.5`, not above Int64).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .uint(let u): return u <= UInt64(Int64.max) ? Int64(u) : nil
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: return Int64(d)
        case .fixed(let d, _) where d == d.rounded() && abs(d) < 1e15: return Int64(d)
        default: return nil
        }
    }

    /// The value as a number of any of the three kinds.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d), .fixed(let d, _): return d
        default: return nil
        }
    }

    /// A short name of the value's type, for error messages (`a string`, `an object`…).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .uint, .double, .fixed: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

extension JSON: Equatable {
    /// Numbers are equal by value whatever their case (`.int(5) == .uint(5) == .double(5)`);
    /// objects are equal when they hold the same keys with equal values, in any order.
    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.uint(let x), .uint(let y)): return x == y
        case (.int(let x), .uint(let y)), (.uint(let y), .int(let x)): return x >= 0 && UInt64(x) == y
        default:
            if let x = a.doubleValue, let y = b.doubleValue { return x == y }
            return false
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    /// An object with the keys in the literal's order (a repeated key keeps the last value).
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var o = JSONObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

extension JSON {
    /// An integer of any width: `.int` when it fits, else `.uint` (inlinable: specialised in the caller).
    @inlinable public init<I: BinaryInteger>(_ value: I) {
        if let i = Int64(exactly: value) { self = .int(i) } else { self = .uint(UInt64(truncatingIfNeeded: value)) }
    }
}
