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
    /// NDA_CACHEINFO: seconds since the entry was last used, confirmed and updated, and its
    /// reference count (`ip -s neigh`'s `used`/`confirmed`/`updated` and `refcnt`).
    public var cache: NeighbourCacheInfo?
    /// NDA_PROBES: the probes sent since the entry was last confirmed.
    public var probes: UInt32?
    /// NDA_PROTOCOL: who made the entry (`ip neigh add … protocol P`), when someone said.
    public var `protocol`: UInt8?

    /// An entry to add or delete (``NetHandle/addNeighbour(_:on:replace:)``): `state` PERMANENT
    /// by default, as `ip neigh add`; `router` and `proxy` set NTF_ROUTER and NTF_PROXY (a proxy
    /// entry answers ARP/NDP for `destination` and has no link-layer address).
    public init(destination: IPAddress, linkLayerAddress: MACAddress? = nil, state: UInt16 = Neighbour.permanent,
                router: Bool = false, proxy: Bool = false) {
        self.destination = destination
        self.linkLayerAddress = linkLayerAddress
        self.state = state
        flags = (router ? UInt8(NTF_ROUTER) : 0) | (proxy ? UInt8(NTF_PROXY) : 0)
        family = destination.family.rawValue
        linkIndex = 0
    }

    /// True for a proxy entry (NTF_PROXY).
    public var isProxy: Bool { flags & UInt8(NTF_PROXY) != 0 }

    /// Decodes an RTM_NEWNEIGH or RTM_DELNEIGH message.
    /// For the fuzzer of the decoders (fuzz/): `@_spi(Decoding) import VethKit`.
    @_spi(Decoding) public init(message: NetlinkMessage) throws {
        let h = try message.header(ndmsg.self)
        (linkIndex, state, flags, family) = (h.ndm_ifindex, h.ndm_state, h.ndm_flags, h.ndm_family)
        let attrs = try message.attributes(after: ndmsg.self)
        destination = attrs[UInt16(NDA_DST)].flatMap { IPAddress(bytes: $0.value) }
        linkLayerAddress = attrs[UInt16(NDA_LLADDR)].flatMap { $0.value.count == 6 ? MACAddress(bytes: Array($0.value)) : nil }
        if let c = attrs[UInt16(NDA_CACHEINFO)], c.value.count >= MemoryLayout<nda_cacheinfo>.size {
            let ci = c.structure(nda_cacheinfo.self)
            let hz = UInt32(Route.clockTicksPerSecond)
            cache = NeighbourCacheInfo(used: ci.ndm_used / hz, confirmed: ci.ndm_confirmed / hz, updated: ci.ndm_updated / hz,
                                       referenceCount: ci.ndm_refcnt)
        }
        probes = attrs[UInt16(NDA_PROBES)]?.uint32
        `protocol` = attrs[UInt16(NDA_PROTOCOL)]?.uint8
    }

    /// NUD_PERMANENT: an entry set by hand that never expires (`ip neigh add`'s default).
    public static let permanent = UInt16(NUD_PERMANENT)
    /// NUD_NOARP: an entry that needs no resolution (multicast, loopback).
    public static let noARP = UInt16(NUD_NOARP)

    /// The NUD_* state bits by name, `ip neigh`'s words: permanent, noarp, reachable, stale,
    /// none, incomplete, delay, probe, failed (lower case, as `nud STATE` takes them).
    public static let stateWords: [(String, UInt16)] = [
        ("permanent", UInt16(NUD_PERMANENT)), ("noarp", UInt16(NUD_NOARP)), ("reachable", UInt16(NUD_REACHABLE)),
        ("stale", UInt16(NUD_STALE)), ("none", UInt16(NUD_NONE)), ("incomplete", UInt16(NUD_INCOMPLETE)),
        ("delay", UInt16(NUD_DELAY)), ("probe", UInt16(NUD_PROBE)), ("failed", UInt16(NUD_FAILED)),
    ]

    /// The request for RTM_NEWNEIGH or RTM_DELNEIGH on link `index`, as `ip neigh add|replace|del` writes it.
    func encode(_ type: Int32, index: Int32, replace: Bool, into m: inout MessageWriter) {
        let isNew = type == Int32(RTM_NEWNEIGH)
        m.begin(type: UInt16(type), flags: isNew ? NLM_F_CREATE | (replace ? Int32(NLM_F_REPLACE) : NLM_F_EXCL) : 0)
        var h = ndmsg()
        h.ndm_family = family
        h.ndm_ifindex = index
        h.ndm_state = isNew ? state : 0
        h.ndm_flags = flags
        m.append(header: h)
        if let destination { m.attribute(UInt16(NDA_DST), destination.bytes) }
        if let linkLayerAddress, isNew { m.attribute(UInt16(NDA_LLADDR), linkLayerAddress.bytes) }
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

/// A neighbour entry's times (NDA_CACHEINFO, converted from clock ticks to seconds as iproute2 does).
public struct NeighbourCacheInfo: Hashable, Sendable {
    /// Seconds since the entry was last used, confirmed (reachability proven) and updated.
    public var used: UInt32, confirmed: UInt32, updated: UInt32
    /// How many users hold it (`refcnt`).
    public var referenceCount: UInt32
}
