import VethKitCNI

/// libFuzzer entry: the bytes as a CNI plugin's stdin. The JSON parser must accept or refuse
/// (CNIError), never trap; what it accepts must survive a round trip through `serialized`
/// unchanged; the network configuration, IPAM and prevResult decoders run on whatever parsed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCNI(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let json = try? JSON.parse(bytes, what: "fuzz input") else { return 0 }
    let text = json.serialized
    guard let again = try? JSON.parse(Array(text.utf8), what: "round trip") else {
        fatalError("serialized JSON does not parse again: \(text.prefix(200))")
    }
    if !sameValue(again, json) { fatalError("round trip changed the value: \(text.prefix(200))") }
    for command in CNICommand.allCases {
        if let config = try? NetworkConfig(json: json, command: command) {
            _ = config.name
            if let ipam = config.ipam { _ = try? IPAMConfig(json: ipam) }
        }
    }
    _ = try? IPAMConfig(json: json)
    _ = try? CNIResult(json: json, context: "fuzz")
    if let ipam = json["ipam"] { _ = try? IPAMConfig(json: ipam) }
    if let prev = json["prevResult"] { _ = try? CNIResult(json: prev, context: "prevResult") }
    return 0
}

/// Equality of JSON values as JSON means them: `serialized` writes an integral double as an
/// integer (2.0 → 2), so a number equals another of the same value whatever its case.
func sameValue(_ a: JSON, _ b: JSON) -> Bool {
    switch (a, b) {
    case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
    case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy(sameValue)
    case let (.object(x), .object(y)):
        return x.count == y.count && x.allSatisfy { k, v in y[k].map { sameValue(v, $0) } ?? false }
    default: return a == b
    }
}
