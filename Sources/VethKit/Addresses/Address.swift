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
    /// RT_SCOPE_* (0 global, 253 link, 254 host).
    public var scope: UInt8
    /// IFA_F_* flags (IFA_FLAGS when present, else `ifa_flags`).
    public var flags: UInt32

    /// True while IPv6 duplicate address detection is still running.
    public var isTentative: Bool { flags & UInt32(IFA_F_TENTATIVE) != 0 }

    /// The scope as iproute2 prints it.
    public var scopeName: String {
        switch Int(scope) {
        case Int(RT_SCOPE_UNIVERSE.rawValue): "global"
        case Int(RT_SCOPE_LINK.rawValue): "link"
        case Int(RT_SCOPE_HOST.rawValue): "host"
        case Int(RT_SCOPE_SITE.rawValue): "site"
        default: String(scope)
        }
    }

    /// Decodes an RTM_NEWADDR message.
    public init(message: NetlinkMessage) throws {
        let h = try message.header(ifaddrmsg.self)
        let attrs = try message.attributes(after: ifaddrmsg.self)
        linkIndex = Int32(bitPattern: h.ifa_index)
        scope = h.ifa_scope
        flags = UInt32(h.ifa_flags)
        let local = attrs[UInt16(IFA_LOCAL)].flatMap { IPAddress(bytes: $0.value) }
        let addr = attrs[UInt16(IFA_ADDRESS)].flatMap { IPAddress(bytes: $0.value) }
        guard let own = local ?? addr else { throw MalformedMessage("address without IFA_LOCAL or IFA_ADDRESS") }
        network = try IPNetwork(address: own, prefixLength: Int(h.ifa_prefixlen))
        if let local, let addr, local != addr { peer = addr }
        broadcast = attrs[UInt16(IFA_BROADCAST)].flatMap { IPAddress(bytes: $0.value) }
        label = attrs[UInt16(IFA_LABEL)]?.string
        if let f = attrs[UInt16(IFA_FLAGS)]?.uint32 { flags = f }
    }

    /// The RTM_NEWADDR / RTM_DELADDR request for `network` on the link with `index`.
    public static func request(_ type: Int32, _ network: IPNetwork, linkIndex: Int32, noDAD: Bool = false) -> MessageWriter {
        var m = MessageWriter(type: UInt16(type), flags: type == Int32(RTM_NEWADDR) ? NLM_F_CREATE | NLM_F_EXCL : 0)
        var h = ifaddrmsg()
        h.ifa_family = UInt8(network.address.family)
        h.ifa_prefixlen = UInt8(network.prefixLength)
        h.ifa_index = UInt32(bitPattern: linkIndex)
        m.append(header: h)
        let bytes = network.address.bytes
        if network.isIPv4 { m.attribute(UInt16(IFA_LOCAL), bytes) }
        m.attribute(UInt16(IFA_ADDRESS), bytes)
        if noDAD, type == Int32(RTM_NEWADDR) { m.attribute(UInt16(IFA_FLAGS), uint32: UInt32(IFA_F_NODAD)) }
        return m
    }
}
