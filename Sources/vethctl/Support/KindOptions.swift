import VethKit

/// The kind-specific options of `link add` and `link set` as typed text, parsed and checked
/// before any syscall: `--link`, `--id`, `--protocol`, `--mode`, `--remote`, `--group` (an IP
/// address here: a vxlan's multicast group; a number is the link group), `--local`,
/// `--dstport`, `--dev`, `--learning`/`--nolearning`.
struct KindOptions {
    var link: String?
    var id: String?
    var `protocol`: String?
    var mode: String?
    var remote: String?
    /// `--group` when it is not a link-group number.
    var group: String?
    var local: String?
    var dstport: String?
    var dev: String?
    var learning: Bool?
    /// Both `--learning` and `--nolearning` were given.
    var learningTwice = false
    /// `link set`'s vlan flag options and their values (`on`/`off`), nil when not given.
    var vlanFlags: [(option: String, value: String?)] = []

    /// The options given, by their flag names, for "applies to … only" messages.
    var given: [String] {
        var out: [String] = []
        if link != nil { out.append("--link") }
        if id != nil { out.append("--id") }
        if `protocol` != nil { out.append("--protocol") }
        if mode != nil { out.append("--mode") }
        if remote != nil { out.append("--remote") }
        if group != nil { out.append("--group IP") }
        if local != nil { out.append("--local") }
        if dstport != nil { out.append("--dstport") }
        if dev != nil { out.append("--dev") }
        if let learning { out.append(learning ? "--learning" : "--nolearning") }
        return out
    }

    /// `--group VALUE`: a decimal number is the link group (IFLA_GROUP), anything else is taken
    /// as a vxlan's multicast group address. Returns the link group; stores the other in `group`.
    mutating func takeGroup(_ value: String?) throws -> UInt32? {
        guard let value else { return nil }
        if !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let g = UInt32(value) else { throw InvalidInput("link group", value, "must be 0...\(UInt32.max)") }
            return g
        }
        guard IPAddress(value) != nil else {
            throw InvalidInput("group", value, "neither a link group number nor a vxlan multicast group address")
        }
        group = value
        return nil
    }

    /// Refuses every option given that `kind` does not take.
    func refuse(allBut allowed: Set<String>, for kind: String, _ name: String) throws {
        if learningTwice { throw UsageError("link add \(name): --learning and --nolearning together") }
        let extra = given.filter { !allowed.contains($0) && !($0 == "--nolearning" && allowed.contains("--learning")) }
        guard let first = extra.first else { return }
        let hint = kind == "vxlan" && first == "--link" ? " (a vxlan's underlay device is --dev)"
            : kind != "vxlan" && first == "--dev" ? " (the parent of a \(kind) is --link)" : ""
        throw UsageError("link add \(name): \(first) does not apply to a \(kind)\(hint)")
    }

    /// The kind `type` with these options, its parent named by name (resolved by VethKit).
    func linkKind(_ type: LinkCommand.Kind, name: String) throws -> (any LinkKind)? {
        switch type {
        case .veth, .bridge, .dummy:
            try refuse(allBut: [], for: type.rawValue, name)
            return nil
        case .vlan:
            try refuse(allBut: ["--link", "--id", "--protocol"], for: "vlan", name)
            let parent = try required(link, "--link PARENT", "vlan", name)
            let id = try Self.number(required(id, "--id N", "vlan", name), "VLAN id", VLAN.idRange)
            var proto = VLAN.TagProtocol.dot1Q
            if let p = `protocol` {
                guard let t = VLAN.TagProtocol(name: p) else { throw InvalidInput("VLAN protocol", p, "must be 802.1Q or 802.1ad") }
                proto = t
            }
            return VLAN(parent: .name(try InterfaceName(parent)), id: id, protocol: proto)
        case .macvlan:
            try refuse(allBut: ["--link", "--mode"], for: "macvlan", name)
            let parent = try required(link, "--link PARENT", "macvlan", name)
            let m = try required(mode, "--mode bridge|private|vepa|passthru", "macvlan", name)
            return MACVLAN(parent: .name(try InterfaceName(parent)), mode: try Self.macvlanMode(m))
        case .ipvlan:
            try refuse(allBut: ["--link", "--mode"], for: "ipvlan", name)
            let parent = try required(link, "--link PARENT", "ipvlan", name)
            let m = try required(mode, "--mode l2|l3|l3s", "ipvlan", name)
            return IPVLAN(parent: .name(try InterfaceName(parent)), mode: try Self.ipvlanMode(m))
        case .vxlan:
            try refuse(allBut: ["--id", "--remote", "--group IP", "--local", "--dstport", "--dev", "--learning"], for: "vxlan", name)
            let vni = try Self.number(required(id, "--id N", "vxlan", name), "VXLAN id", 0...VXLAN.maxID)
            if remote == nil && group == nil { throw UsageError("link add \(name): a vxlan needs --remote IP or --group IP") }
            if remote != nil && group != nil { throw UsageError("link add \(name): a vxlan takes --remote or --group, not both") }
            let port = try dstport.map { try Self.number($0, "VXLAN port", UInt16(1)...UInt16.max) } ?? VXLAN.ianaPort
            let vx = VXLAN(id: vni, remote: try remote.map(IPAddress.init(parsing:)), group: try group.map(IPAddress.init(parsing:)),
                           local: try local.map(IPAddress.init(parsing:)), port: port,
                           parent: try dev.map { .name(try InterfaceName($0)) }, learning: learning ?? true)
            return vx
        }
    }

    private func required(_ value: String?, _ option: String, _ kind: String, _ name: String) throws -> String {
        guard let value else { throw UsageError("link add \(name): a \(kind) needs \(option)") }
        return value
    }

    /// A decimal number in `range`, refused naming `what` and the text.
    static func number<T: FixedWidthInteger>(_ text: String, _ what: String, _ range: ClosedRange<T>) throws -> T {
        guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let v = T(text), range.contains(v) else {
            throw InvalidInput(what, text, "must be a whole number \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    static func macvlanMode(_ text: String) throws -> MACVLAN.Mode {
        guard let m = MACVLAN.Mode(name: text), m != .source else {
            throw InvalidInput("macvlan mode", text, "must be bridge, private, vepa or passthru")
        }
        return m
    }

    static func ipvlanMode(_ text: String) throws -> IPVLAN.Mode {
        guard let m = IPVLAN.Mode(name: text) else { throw InvalidInput("ipvlan mode", text, "must be l2, l3 or l3s") }
        return m
    }
}
