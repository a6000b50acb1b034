import VethKitTopology

/// libFuzzer entry: the bytes as a topology file, through the same path as `vethctl up FILE`
/// after reading (size, UTF-8 and forbidden-character checks, libyaml with the depth and
/// alias-expansion bounds, the schema).
/// Every outcome must be a Topology or SchemaErrors/InvalidInput; the printed errors stay within
/// their bound (at most 100 lines and the "… and N more" line).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTopology(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let t = try Topology.parse(bytes: bytes, file: "fuzz.yaml")
        _ = t.name
    } catch let e as SchemaErrors {
        let lines = e.lines(prefix: "vethctl: ")
        if lines.count > TopologyLimits.reportedErrors + 1 { fatalError("\(lines.count) error lines printed") }
        if e.count == 0 { fatalError("SchemaErrors without an error") }
    } catch {
        _ = "\(error)"
    }
    return 0
}
