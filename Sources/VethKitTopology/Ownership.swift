import VethKit

/// How a topology's objects are marked, so every path that changes or deletes something can
/// prove it is the topology's first (the contract in docs/topology.md). Anything without one of
/// these marks is the user's.
public enum Ownership {
    /// The alias prefix of every host-side link vethkit creates.
    public static let aliasPrefix = "vethkit:"
    /// `vethkit:<topology>`: the alias of host-side links and bridges, and of `lo` in each namespace.
    public static func alias(for topology: String) -> String { aliasPrefix + topology }
    /// The topology an alias names, if it is one of ours.
    public static func topology(fromAlias alias: String?) -> String? {
        guard let alias, alias.hasPrefix(aliasPrefix) else { return nil }
        return String(alias.dropFirst(aliasPrefix.count))
    }
    /// The link group of a topology's host-side links: 0x5600_0000 | a 24-bit FNV-1a hash of the name.
    /// Never 0 (group 0 is every link's default). A group is not a mark: anyone can put a link in
    /// it (`ip link add … group N`) and hashes collide, so deleting by group first checks that
    /// every member carries our alias.
    public static func group(for topology: String) -> UInt32 {
        var h: UInt32 = 2166136261
        for b in topology.utf8 { h = (h ^ UInt32(b)) &* 16777619 }
        return 0x5600_0000 | (h & 0x00ff_ffff)
    }
    /// True when a link's alias is the topology's mark. The group alone never makes a link ours.
    public static func owns(alias: String?, topology: String) -> Bool {
        alias == Self.alias(for: topology)
    }

    /// The route protocol number (rtm_protocol) marking routes vethkit added: only such routes
    /// are ever replaced or removed.
    public static let routeProtocol: UInt8 = RouteProtocol.vethkit.rawValue
    /// The address protocol (IFA_PROTO) marking addresses vethkit added (kernel ≥ 6.3).
    public static let addressProtocol: UInt8 = AddressProtocol.vethkit.rawValue

    // MARK: temporary names (what only an interrupted `up` leaves)

    /// The prefix of the file names under /run/netns that `up` uses while publishing a namespace:
    /// `.vethkit-tmp.<topology>.<node>.<pid>`. Topology names have no `.`, so the prefix of one
    /// topology is never the prefix of another's.
    public static func temporaryNamespacePrefix(for topology: String) -> String { ".vethkit-tmp.\(topology)." }

    /// The contents of the placeholder file `up` renames onto `/run/netns/<topology>-<node>` right
    /// before bind-mounting the namespace over it: a plain file with exactly this content under a
    /// topology's name is a publish interrupted between the rename and the mount.
    public static func placeholderContent(for topology: String) -> String { "vethkit-placeholder:\(topology)\n" }

    /// Host links that have no alias yet (bridges and veths with both ends in the host) are
    /// created under a temporary name `.vk<6 hex digits of the group><6 hex digits>` in the
    /// topology's temporary group (``temporaryGroup(for:)``) and get their final name, the alias
    /// and the topology's group in one request. So a link of a final name is ours only with the
    /// alias, and a temporary one only VethKit's naming produces is recognised (name pattern and
    /// group) and removed — by one delete of the temporary group when all its members are such.
    public static func temporaryLinkName(topology: String, serial: Int) -> String {
        let g = String(group(for: topology) & 0xff_ffff, radix: 16)
        let n = String(serial & 0xff_ffff, radix: 16)
        return ".vk" + String(repeating: "0", count: 6 - g.count) + g + String(repeating: "0", count: 6 - n.count) + n
    }

    /// The link group of a topology's links under temporary names: 0x5700_0000 | the same hash.
    public static func temporaryGroup(for topology: String) -> UInt32 {
        0x5700_0000 | (group(for: topology) & 0x00ff_ffff)
    }

    /// True for a link named as ``temporaryLinkName(topology:serial:)`` in the topology's temporary group.
    public static func isTemporaryLink(name: String, group linkGroup: UInt32, topology: String) -> Bool {
        guard linkGroup == temporaryGroup(for: topology) else { return false }
        let b = Array(name.utf8)
        guard b.count == 15, b[0] == UInt8(ascii: "."), b[1] == UInt8(ascii: "v"), b[2] == UInt8(ascii: "k") else { return false }
        guard b[3...].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return false }
        return name.dropFirst(3).prefix(6) == temporaryLinkName(topology: topology, serial: 0).dropFirst(3).prefix(6)
    }
}
