import CLinuxUAPI
import Glibc
import Netlink

/// An IP address on an interface (RTM_NEWADDR).
public struct Address: Sendable, Hashable {
    /// The interface's index.
    public var linkIndex: Int32
    /// The address and prefix length (IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6).
    public var network: IPNetwork
    /// The peer address of a point-to-point link, when it differs from the local one.
    public var peer: IPAddress?
    public var broadcast: IPAddress?
    /// IFA_LABEL (IPv4).
    public var label: String?
    /// How far the address reaches (global, link, host).
    public var scope: RouteScope
    /// IFA_F_* flags (IFA_FLAGS when present, else `ifa_flags`).
    public var flags: UInt32
    /// Who added the address (IFA_PROTO, kernel ≥ 6.3); ``AddressProtocol/unspecified`` on older kernels.
    public var `protocol`: AddressProtocol = .unspecified
    /// Seconds the address stays valid and preferred (IFA_CACHEINFO); `UInt32.max` is forever.
    public var validLifetime: UInt32?
    public var preferredLifetime: UInt32?

    /// True while IPv6 duplicate address detection is still running.
    public var isTentative: Bool { flags & UInt32(IFA_F_TENTATIVE) != 0 }

    /// The scope as iproute2 prints it (`global`, `link`, `host`, or the number).
    public var scopeName: String { scope.name }

    /// Decodes an RTM_NEWADDR message.
    /// For the fuzzer of the decoders (fuzz/): `@_spi(Decoding) import VethKit`.
    @_spi(Decoding) public init(message: NetlinkMessage) throws {
        let h = try message.header(ifaddrmsg.self)
        let attrs = try message.attributes(after: ifaddrmsg.self)
        linkIndex = Int32(bitPattern: h.ifa_index)
        scope = RouteScope(rawValue: h.ifa_scope)
        flags = UInt32(h.ifa_flags)
        let local = attrs[UInt16(IFA_LOCAL)].flatMap { IPAddress(bytes: $0.value) }
        let addr = attrs[UInt16(IFA_ADDRESS)].flatMap { IPAddress(bytes: $0.value) }
        guard let own = local ?? addr else { throw MalformedMessage("address without IFA_LOCAL or IFA_ADDRESS") }
        network = try IPNetwork(address: own, prefixLength: Int(h.ifa_prefixlen))
        if let local, let addr, local != addr { peer = addr }
        broadcast = attrs[UInt16(IFA_BROADCAST)].flatMap { IPAddress(bytes: $0.value) }
        label = attrs[UInt16(IFA_LABEL)]?.string
        if let f = attrs[UInt16(IFA_FLAGS)]?.uint32 { flags = f }
        if let p = attrs[UInt16(IFA_PROTO)]?.value.first { self.protocol = AddressProtocol(rawValue: p) }
        if let c = attrs[UInt16(IFA_CACHEINFO)], c.value.count >= MemoryLayout<ifa_cacheinfo>.size {
            let info = c.structure(ifa_cacheinfo.self)
            (validLifetime, preferredLifetime) = (info.ifa_valid, info.ifa_prefered)
        }
    }

    /// The IFA_F_* flags by iproute2's names, as `ip -j addr` prints them (each `true`):
    /// `secondary` (`temporary` for IPv6), `tentative`, `nodad`, … and `dynamic` for an address
    /// that is not permanent (one with a lifetime).
    public var flagNames: [String] {
        let names: [(Int32, String)] = [
            (IFA_F_SECONDARY, network.isIPv4 ? "secondary" : "temporary"), (IFA_F_NODAD, "nodad"),
            (IFA_F_OPTIMISTIC, "optimistic"), (IFA_F_DADFAILED, "dadfailed"), (IFA_F_HOMEADDRESS, "home"),
            (IFA_F_DEPRECATED, "deprecated"), (IFA_F_TENTATIVE, "tentative"), (IFA_F_MANAGETEMPADDR, "mngtmpaddr"),
            (IFA_F_NOPREFIXROUTE, "noprefixroute"), (IFA_F_MCAUTOJOIN, "autojoin"), (IFA_F_STABLE_PRIVACY, "stable-privacy"),
        ]
        var out = names.filter { flags & UInt32($0.0) != 0 }.map(\.1)
        if flags & UInt32(IFA_F_PERMANENT) == 0 { out.append("dynamic") }
        return out
    }

    /// Writes the RTM_NEWADDR / RTM_DELADDR request for `network` on the link with `index` as the
    /// next message of `m`. `protocol` (RTM_NEWADDR only) is sent as IFA_PROTO, recording who added it.
    static func encode(_ type: Int32, _ network: IPNetwork, linkIndex: Int32, noDAD: Bool = false,
                       protocol: AddressProtocol? = nil, into m: inout MessageWriter) {
        m.begin(type: UInt16(type), flags: type == Int32(RTM_NEWADDR) ? NLM_F_CREATE | NLM_F_EXCL : 0)
        var h = ifaddrmsg()
        h.ifa_family = network.family.rawValue
        h.ifa_prefixlen = UInt8(network.prefixLength)
        h.ifa_index = UInt32(bitPattern: linkIndex)
        m.append(header: h)
        let bytes = network.address.bytes
        if network.isIPv4 { m.attribute(UInt16(IFA_LOCAL), bytes) }
        m.attribute(UInt16(IFA_ADDRESS), bytes)
        if noDAD, type == Int32(RTM_NEWADDR) { m.attribute(UInt16(IFA_FLAGS), uint32: UInt32(IFA_F_NODAD)) }
        if let p = `protocol`, type == Int32(RTM_NEWADDR) { m.attribute(UInt16(IFA_PROTO), CollectionOfOne(p.rawValue)) }
    }

    /// The request as a message of its own (tests compare its bytes).
    static func request(_ type: Int32, _ network: IPNetwork, linkIndex: Int32, noDAD: Bool = false,
                        protocol: AddressProtocol? = nil) -> MessageWriter {
        var m = MessageWriter(capacity: 64)
        encode(type, network, linkIndex: linkIndex, noDAD: noDAD, protocol: `protocol`, into: &m)
        return m
    }
}
