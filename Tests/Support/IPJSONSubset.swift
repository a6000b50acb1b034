import VethKitJSON

/// Where `ours` differs from what `ip -j` printed (`theirs`): every key of every object iproute2
/// prints must be in ours with the same value and the same JSON type (a string is not a
/// number, `0.00` is not `0`); extra keys of ours are allowed. Arrays compare element by element
/// in order. Keys in `ignoring` (at any depth, or as `a.b` paths) are skipped; those in
/// `typeOnly` (values that move on their own, as a bridge's timers) must be present with the same
/// type. Empty when ours holds everything iproute2 prints.
public func differencesFromIP(_ theirs: JSON, _ ours: JSON, path: String = "", ignoring: Set<String> = [],
                              typeOnly: Set<String> = []) -> [String] {
    func kind(_ j: JSON) -> String {
        switch j {
        case .int, .uint: "integer"
        case .double, .fixed: "fraction"
        default: j.typeName
        }
    }
    switch (theirs, ours) {
    case (.object(let t), .object(let o)):
        var out: [String] = []
        for f in t.fields {
            let p = path.isEmpty ? f.key : path + "." + f.key
            if ignoring.contains(f.key) || ignoring.contains(p) { continue }
            guard let mine = o[f.key] else { out.append("\(p): missing (ip -j: \(f.value.text()))"); continue }
            if typeOnly.contains(f.key) {
                if kind(f.value) != kind(mine) { out.append("\(p): \(mine.text()) is \(kind(mine)) (ip -j: \(f.value.text()))") }
                continue
            }
            out += differencesFromIP(f.value, mine, path: p, ignoring: ignoring, typeOnly: typeOnly)
        }
        return out
    case (.array(let t), .array(let o)):
        guard t.count == o.count else { return ["\(path): \(o.count) items, ip -j has \(t.count): \(theirs.text()) vs \(ours.text())"] }
        return zip(t, o).enumerated().flatMap { i, pair in differencesFromIP(pair.0, pair.1, path: "\(path)[\(i)]", ignoring: ignoring, typeOnly: typeOnly) }
    default:
        if theirs == ours && kind(theirs) == kind(ours) { return [] }
        return ["\(path): \(ours.text()) (ip -j: \(theirs.text()))"]
    }
}
