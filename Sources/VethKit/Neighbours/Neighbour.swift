import CLinuxUAPI
import Glibc
import Netlink

/// A neighbour (ARP / NDP) entry, or a bridge forwarding entry (family AF_BRIDGE, no IP), as
/// RTM_NEWNEIGH / RTM_DELNEIGH announce it.
public struct Neighbour: Hashable, Sendable {
    /// The link's index.
    public var linkIndex: Int32
    /// NDA_DST: the neighbour's IP address (nil for a bridge forwarding entry).
    public var destination: IPAddress?
    /// NDA_LLADDR: its link-layer address, when known.
    public var linkLayerAddress: MACAddress?
    /// NUD_* state bits.
    public var state: UInt16
    /// NTF_* flags.
    public var flags: UInt8
    /// The address family (AF_INET, AF_INET6, AF_BRIDGE).
    public var family: UInt8

    /// Decodes an RTM_NEWNEIGH or RTM_DELNEIGH message.
    /// For the fuzzer of the decoders (fuzz/): `@_spi(Decoding) import VethKit`.
    @_spi(Decoding) public init(message: NetlinkMessage) throws {
        let h = try message.header(ndmsg.self)
        (linkIndex, state, flags, family) = (h.ndm_ifindex, h.ndm_state, h.ndm_flags, h.ndm_family)
        let attrs = try message.attributes(after: ndmsg.self)
        destination = attrs[UInt16(NDA_DST)].flatMap { IPAddress(bytes: $0.value) }
        linkLayerAddress = attrs[UInt16(NDA_LLADDR)].flatMap { $0.value.count == 6 ? MACAddress(bytes: Array($0.value)) : nil }
    }

    /// The NUD_* states by iproute2's names (`REACHABLE`, `PERMANENT`…), as `ip -j neigh` prints them.
    public var stateNames: [String] {
        let names: [(Int32, String)] = [(NUD_INCOMPLETE, "INCOMPLETE"), (NUD_REACHABLE, "REACHABLE"), (NUD_STALE, "STALE"),
                                        (NUD_DELAY, "DELAY"), (NUD_PROBE, "PROBE"), (NUD_FAILED, "FAILED"),
                                        (NUD_NOARP, "NOARP"), (NUD_PERMANENT, "PERMANENT")]
        return names.filter { state & UInt16($0.0) != 0 }.map(\.1)
    }

    /// The NTF_* flags iproute2 prints as keys of their own (`router`, `proxy`, `extern_learn`…).
    public var flagNames: [String] {
        let names: [(Int32, String)] = [(NTF_ROUTER, "router"), (NTF_PROXY, "proxy"), (NTF_EXT_LEARNED, "extern_learn"),
                                        (NTF_OFFLOADED, "offload")]
        return names.filter { flags & UInt8($0.0) != 0 }.map(\.1)
    }
}
