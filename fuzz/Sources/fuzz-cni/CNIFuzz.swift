import VethKitCNI
import VethKitJSON

/// libFuzzer entry: the bytes as a CNI plugin's stdin. The JSON parser must accept or refuse
/// (CNIError), never trap; what it accepts must survive a round trip through `serialized`
/// unchanged, keys in their order; the network configuration, IPAM and prevResult decoders run on whatever parsed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCNI(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let json = try? JSON.parse(bytes, what: "fuzz input") else { return 0 }
    let text = json.serialized
    guard let again = try? JSON.parse(Array(text.utf8), what: "round trip") else {
        fatalError("serialized JSON does not parse again: \(text.prefix(200))")
    }
    // JSON's == compares numbers by value (2.0 is written as 2) and objects key by key.
    if again != json { fatalError("round trip changed the value: \(text.prefix(200))") }
    if again.serialized != text { fatalError("writing is not deterministic (key order?): \(text.prefix(200))") }
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
