import VethKit

/// Names derived from an attachment (network, container id, interface): the host end of the
/// veth, the link group marking the network's host ends, the masquerade owner. Deriving them
/// (FNV-1a) instead of drawing them at random lets DEL and GC find an attachment's host-side
/// objects without any state, even after a crash half-way through ADD.
public enum Naming {
    static func fnv(_ parts: [String]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (i, p) in parts.enumerated() {
            if i > 0 { h = (h ^ 0) &* 0x100_0000_01b3 }
            for b in p.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return h
    }

    static func hex(_ v: UInt64, digits: Int) -> String {
        let s = String(v, radix: 16)
        let padded = String(repeating: "0", count: max(0, 16 - s.count)) + s
        return String(padded.suffix(digits))
    }

    /// `veth` + 11 hex digits (44 bits of the attachment's hash): 15 bytes, a valid name.
    public static func hostVeth(network: String, _ a: NetworkConfig.Attachment) -> InterfaceName {
        try! InterfaceName("veth" + hex(fnv([network, a.containerID, a.ifname]), digits: 11))
    }

    /// The IFLA_GROUP given to the network's host veth ends (never 0, the default group).
    public static func linkGroup(network: String) -> UInt32 {
        let g = UInt32(truncatingIfNeeded: fnv(["vethkit-cni", network]))
        return g == 0 ? 0x7665_7468 : g
    }

    /// The masquerade owner prefix of a network, and the owner of one attachment.
    public static func masqueradePrefix(network: String) -> String { "cni:" + hex(fnv([network]), digits: 12) + ":" }
    public static func masqueradeOwner(network: String, _ a: NetworkConfig.Attachment) -> String {
        masqueradePrefix(network: network) + hex(fnv([a.containerID, a.ifname]), digits: 16)
    }
}
