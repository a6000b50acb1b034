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
    /// Who added the address (IFA_PROTO, kernel ≥ 6.3): 0 unspecified, IFAPROT_KERNEL_LO/RA/LL,
    /// or a value of the adder's choosing such as ``vethkitProtocol``. Kernels before 6.3 drop
    /// the attribute silently, so there it always reads 0.
    public var protocolID: UInt8 = 0

    /// The address protocol VethKit's topology engine marks its addresses with (0x56, 'V', the
    /// same number as its routes' rtm_protocol). Not a kernel constant: if_addr.h defines 0–3 only.
    public static let vethkitProtocol: UInt8 = 0x56

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
        if let p = attrs[UInt16(IFA_PROTO)]?.value.first { protocolID = p }
    }

    /// The RTM_NEWADDR / RTM_DELADDR request for `network` on the link with `index`. `protocolID`
    /// (RTM_NEWADDR only) is sent as IFA_PROTO, recording who added the address.
    public static func request(_ type: Int32, _ network: IPNetwork, linkIndex: Int32, noDAD: Bool = false,
                               protocolID: UInt8? = nil) -> MessageWriter {
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
        if let protocolID, type == Int32(RTM_NEWADDR) { m.attribute(UInt16(IFA_PROTO), [protocolID]) }
        return m
    }
}
