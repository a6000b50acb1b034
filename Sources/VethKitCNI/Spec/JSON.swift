import VethKitJSON

/// The CNI's use of VethKitJSON: configurations and results are parsed and written by the one
/// JSON module (no Foundation in the plugin's process: measured here, linking FoundationEssentials
/// for its JSONDecoder cost ~1.5 ms of start-up per process — per container, per verb).
extension JSON {
    /// Parses `bytes`; throws ``CNIError`` code 6 (failed to decode content) naming `what`.
    public static func parse(_ bytes: [UInt8], what: String) throws -> JSON {
        do {
            return try JSON.parse(bytes)
        } catch {
            throw CNIError(.decodingFailure, "failed to decode \(what)", details: "\(what) is not valid JSON: \(error.reason) at byte \(error.offset)")
        }
    }
}

/// Reads typed fields out of a JSON object, throwing ``CNIError`` code 7 (invalid network
/// configuration) that names the field when a value has the wrong type.
struct FieldReader {
    let object: JSONObject
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
