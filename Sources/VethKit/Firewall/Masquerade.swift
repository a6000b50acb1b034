import Glibc
import Netlink

/// Source NAT (masquerade) for traffic from a source prefix, as nftables rules in VethKit's own
/// table `inet vethkit`. Each owner (a CNI attachment, a topology's network…) gets its own NAT
/// base chain, named from a hash of the owner and carrying the owner as its comment, so removal
/// deletes exactly that owner's rule and nothing else. No subprocess: libnftables in process.
public enum Masquerade {
    /// The table all rules live in.
    public static let table = "vethkit"

    /// The chain name of `owner`: `m` + 16 hex digits of its FNV-1a hash.
    public static func chainName(owner: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in owner.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return "m" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func validateOwner(_ owner: String) throws {
        guard !owner.isEmpty, owner.utf8.count <= 120,
              owner.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        else { throw InvalidInput("masquerade owner", owner, "must be 1-120 printable ASCII characters without spaces, quotes or backslashes") }
    }

    /// Masquerades packets from `source` leaving for anywhere outside `excluding` (when given),
    /// in `namespace` (nil: the calling thread's). Re-installing for the same owner replaces its rule.
    public static func install(source: IPNetwork, excluding: IPNetwork? = nil, owner: String,
                               in namespace: NetworkNamespace? = nil) throws {
        try install([(source, excluding)], owner: owner, in: namespace)
    }

    /// Installs several (source, excluded destination) rules under one owner, in one transaction.
    public static func install(_ rules: [(source: IPNetwork, excluding: IPNetwork?)], owner: String,
                               in namespace: NetworkNamespace? = nil) throws {
        try validateOwner(owner)
        for (source, excluding) in rules {
            if let excluding, excluding.isIPv4 != source.isIPv4 {
                throw InvalidInput("masquerade exclusion", excluding.description, "is not of the source's address family")
            }
        }
        let chain = chainName(owner: owner)
        var cmds = """
            add table inet \(table)
            add chain inet \(table) \(chain) { type nat hook postrouting priority srcnat; comment "\(owner)"; }
            flush chain inet \(table) \(chain)

            """
        for (source, excluding) in rules {
            let fam = source.isIPv4 ? "ip" : "ip6"
            var rule = "\(fam) saddr \(source.masked)"
            if let excluding { rule += " \(fam) daddr != \(excluding.masked)" }
            cmds += "add rule inet \(table) \(chain) \(rule) masquerade\n"
        }
        try NFTables.run(cmds, in: namespace)
    }

    /// Removes the owner's rule; no rule (or no table) is not an error.
    public static func remove(owner: String, in namespace: NetworkNamespace? = nil) throws {
        try validateOwner(owner)
        let chain = chainName(owner: owner)
        do {
            try NFTables.run("flush chain inet \(table) \(chain)\ndelete chain inet \(table) \(chain)", in: namespace)
        } catch let e as NFTables.CommandError where e.isNotFound {
            return
        }
    }

    /// The chains of VethKit's table in `namespace`, each with its comment (nil when it has none):
    /// a caller that must touch only its own rules checks the comment before ``remove(owner:in:)``.
    public static func chains(in namespace: NetworkNamespace? = nil) throws -> [String: String?] {
        let out: String
        do { out = try NFTables.run("list table inet \(table)", in: namespace) } catch let e as NFTables.CommandError where e.isNotFound {
            return [:]
        }
        return parseChains(out)
    }

    /// The chains of a `list table` listing, each with its comment (nil when it has none).
    static func parseChains(_ listing: String) -> [String: String?] {
        var chains: [String: String?] = [:]
        var current: String?
        for line in listing.split(separator: "\n") {
            let t = line.drop { $0 == " " || $0 == "\t" }
            if t.hasPrefix("chain "), t.hasSuffix("{") {
                let name = String(t.dropFirst(6).dropLast().trimmingSuffix())
                current = name
                chains[name] = .some(nil)
            } else if let c = current, t.hasPrefix("comment \""), t.hasSuffix("\"") {
                chains[c] = .some(String(t.dropFirst(9).dropLast()))
            } else if t == "}" {
                current = nil
            }
        }
        return chains
    }

    /// The owners that have a rule in `namespace` (from the chains' comments).
    public static func owners(in namespace: NetworkNamespace? = nil) throws -> [String] {
        try chains(in: namespace).values.compactMap { $0 }
    }
}

extension Substring {
    fileprivate func trimmingSuffix() -> Substring {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
