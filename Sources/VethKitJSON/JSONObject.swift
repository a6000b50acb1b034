/// A JSON object whose keys keep the order they were set in (a key set again keeps its place).
/// Lookups are linear: objects here are small (configurations, results, one link's fields), and
/// a list beats hashing at that size, in time and in start-up.
public struct JSONObject: Sendable, Equatable, RandomAccessCollection, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral {
    public typealias Element = JSONField
    /// The fields in order. Appending here directly skips the check for a key already present
    /// (`set` and the subscript keep keys unique).
    public var fields: [JSONField]

    public init() { fields = [] }
    public init(_ fields: [JSONField]) {
        self.fields = []
        self.fields.reserveCapacity(fields.count)
        for f in fields { self[f.key] = f.value }
    }
    public init(dictionaryLiteral elements: (String, JSON)...) { self.init(elements.map { JSONField($0.0, $0.1) }) }
    public init(arrayLiteral elements: JSONField...) { self.init(elements) }

    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> JSONField { fields[position] }

    /// The keys in order.
    public var keys: [String] { fields.map(\.key) }

    /// The value of `key`; setting nil removes it, setting a new key appends it.
    public subscript(key: String) -> JSON? {
        get {
            for f in fields where f.key == key { return f.value }
            return nil
        }
        set {
            if let i = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[i].value = newValue } else { fields.remove(at: i) }
            } else if let newValue {
                fields.append(JSONField(key, newValue))
            }
        }
    }

    /// Appends `value` under `key` unless it is nil: for building output objects field by field,
    /// each key once (not checked in release builds: output of thousands of links stays linear).
    /// Inlinable, so callers in other modules get it specialised (an unspecialised generic
    /// integer conversion costs more than the rest of a link's JSON).
    @inlinable public mutating func set(_ key: String, _ value: JSON?) {
        guard let value else { return }
        assert(!fields.contains { $0.key == key }, "JSONObject.set: key \(key) set twice")
        fields.append(JSONField(key, value))
    }
    @inlinable public mutating func set(_ key: String, _ value: String?) { if let value { set(key, JSON.string(value)) } }
    @inlinable public mutating func set(_ key: String, _ value: Bool?) { if let value { set(key, JSON.bool(value)) } }
    @inlinable public mutating func set<I: BinaryInteger>(_ key: String, _ value: I?) { if let value { set(key, JSON(value)) } }

    /// This object as a value.
    public var json: JSON { .object(self) }

    /// Same keys with equal values, in any order.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.fields.count == b.fields.count && a.fields.allSatisfy { f in b[f.key] == f.value }
    }
}

/// One key and value of a JSON object.
public struct JSONField: Sendable, Equatable {
    public var key: String
    public var value: JSON
    @inlinable public init(_ key: String, _ value: JSON) {
        self.key = key
        self.value = value
    }
}
