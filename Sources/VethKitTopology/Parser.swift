import VethKit

/// The topology name rule: `[a-z0-9-]`, 1–12 characters.
public func validateTopologyName(_ name: String) throws {
    guard (1...12).contains(name.utf8.count),
          name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }) else {
        throw InvalidInput("topology name", name, "must be 1-12 characters of a-z, 0-9 and '-'")
    }
}

/// Validates a ``YAMLNode`` tree against the topology schema (docs/topology.md), collecting every
/// problem with its line and column. The sections are in files of their own: ParserNodes
/// (nodes, bridges, sysctls), ParserKinds (vlans, macvlans, ipvlans, vxlans, dummies), ParserLinks (links and endpoints), ParserRoutes (routes and their
/// reachability), ParserRoot (the top level and checks); this file holds the state they share
/// and the typed readers of one value.
struct TopologyParser {
    let file: String
    var errors: [SchemaError] = []
    /// Errors found past ``TopologyLimits/storedErrors`` (counted, not kept).
    var omitted = 0

    // What the sections declare, for the checks across them.
    /// The topology's name once read (node names are checked with it).
    var topologyName: String?
    var nodeNames: Set<String> = []
    /// Interface declarations per node, for duplicate and reference checks.
    var ifaces: [String: [String: YAMLNode]] = [:]
    var bridgeNames: [String: Set<String>] = [:]
    /// Every address once, for the duplicate check.
    var addressSeen: [IPAddress: SourceLocation] = [:]
    var ifaceAddresses: [String: [String: [IPNetwork]]] = [:]
    var routeNodes: [(node: String, route: Topology.Route, via: YAMLNode, dev: YAMLNode?)] = []
    var pendingMasters: [(node: String, master: String, at: YAMLNode)] = []
    /// Kind links per node: name -> (parent, where declared), for ``checkParents()``.
    var kindLinkNodes: [String: [String: (parent: String?, at: YAMLNode)]] = [:]

    init(file: String) { self.file = file }

    func loc(_ node: YAMLNode) -> SourceLocation {
        SourceLocation(file: file, line: node.line, column: node.column)
    }

    mutating func error(_ node: YAMLNode, _ message: String) {
        // Bounded: a document of a million bad nodes keeps the first errors and counts the rest.
        if errors.count < TopologyLimits.storedErrors { errors.append(SchemaError(loc(node), message)) } else { omitted += 1 }
    }

    // MARK: typed readers

    /// The mapping's pairs, reporting unknown and duplicate keys. Nil (with an error) when not a mapping.
    mutating func mapping(_ node: YAMLNode, _ what: String, allowed: Set<String>?) -> [(key: String, keyNode: YAMLNode, value: YAMLNode)]? {
        guard let m = node.mapping else {
            if node.isNull { return [] }
            error(node, "\(what) must be a mapping")
            return nil
        }
        var out: [(String, YAMLNode, YAMLNode)] = []
        var seen: Set<String> = []
        for (k, v) in m {
            guard let key = k.scalar else { error(k, "\(what): keys must be plain text"); continue }
            if let allowed, !allowed.contains(key) {
                error(k, "unknown key \"\(key)\" in \(what) (expected: \(allowed.sorted().joined(separator: ", ")))")
                continue
            }
            if !seen.insert(key).inserted { error(k, "duplicate key \"\(key)\" in \(what)"); continue }
            out.append((key, k, v))
        }
        return out
    }

    mutating func sequence(_ node: YAMLNode, _ what: String) -> [YAMLNode]? {
        if let s = node.sequence { return s }
        if node.isNull { return [] }
        error(node, "\(what) must be a list")
        return nil
    }

    mutating func string(_ node: YAMLNode, _ what: String) -> String? {
        guard let s = node.scalar, !node.isNull else {
            error(node, "\(what) must be a text value")
            return nil
        }
        return s
    }

    /// An integer in `range`, written as decimal digits (quoted or not, as before).
    mutating func int(_ node: YAMLNode, _ what: String, _ range: ClosedRange<Int>) -> Int? {
        guard let s = node.scalar, let v = Int(s) else { error(node, "\(what) must be an integer"); return nil }
        guard range.contains(v) else { error(node, "\(what) \(v) is out of range \(range.lowerBound)...\(range.upperBound)"); return nil }
        return v
    }

    mutating func interfaceName(_ node: YAMLNode, _ what: String) -> String? {
        guard let s = string(node, what) else { return nil }
        do { try InterfaceName.validate(s) } catch { self.error(node, "\(error)"); return nil }
        if s == "lo" { self.error(node, "invalid interface name \"lo\": reserved for the loopback device"); return nil }
        return s
    }

    mutating func cidrs(_ node: YAMLNode, _ what: String, bare: Bool = false) -> [(IPNetwork, YAMLNode)] {
        guard let items = sequence(node, what) else { return [] }
        var out: [(IPNetwork, YAMLNode)] = []
        for item in items {
            guard let s = string(item, what) else { continue }
            do { out.append((try IPNetwork(s, allowBareAddress: bare), item)) } catch { self.error(item, "\(error)") }
        }
        return out
    }

    mutating func mac(_ node: YAMLNode) -> MACAddress? {
        guard let s = string(node, "mac") else { return nil }
        do { return try MACAddress(s) } catch { self.error(node, "\(error)"); return nil }
    }

    // MARK: declarations shared by the sections

    mutating func declareIface(node: String, name: String, at n: YAMLNode) {
        if let prev = ifaces[node]?[name] {
            error(n, "duplicate interface name \"\(name)\" in node \"\(node)\" (first declared at \(loc(prev).line):\(loc(prev).column))")
        } else {
            ifaces[node, default: [:]][name] = n
        }
    }

    mutating func declareAddresses(node: String, iface: String, _ list: [(IPNetwork, YAMLNode)]) {
        for (a, n) in list {
            if let prev = addressSeen[a.address] {
                error(n, "address \(a.address) is used twice (first at \(prev.line):\(prev.column))")
            } else {
                addressSeen[a.address] = loc(n)
            }
            ifaceAddresses[node, default: [:]][iface, default: []].append(a)
        }
    }
}
