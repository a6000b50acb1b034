import CLinuxUAPI
import Glibc
import Netlink

/// A forwarding database entry (an AF_BRIDGE neighbour: `bridge fdb`): a MAC address a bridge
/// port (`master`) or a device's own table (`self`: a vxlan's remotes, a port's unicast and
/// multicast filters) knows, with its VLAN, and for a vxlan the remote it tunnels to.
public struct FDBEntry: Hashable, Sendable {
    /// NDA_LLADDR.
    public var mac: MACAddress
    /// The port's (or device's) index.
    public var linkIndex: Int32
    /// NDA_MASTER: the bridge, for an entry of the bridge's table.
    public var masterIndex: Int32?
    /// NDA_VLAN.
    public var vlan: UInt16?
    /// NDA_DST: a vxlan entry's remote.
    public var destination: IPAddress?
    /// NDA_PORT, NDA_VNI, NDA_SRC_VNI: a vxlan entry's UDP port and VNIs.
    public var port: UInt16?
    public var vni: UInt32?
    public var sourceVNI: UInt32?
    /// NDA_IFINDEX: the device a vxlan entry goes out of (`via`), and NDA_LINK_NETNSID when it is
    /// in another namespace.
    public var viaIndex: UInt32?
    public var linkNetnsID: Int32?
    /// NDA_NH_ID: a nexthop group a vxlan entry uses.
    public var nexthopID: UInt32?
    /// NDA_CACHEINFO's used and updated, in seconds.
    public var used: UInt32?
    public var updated: UInt32?
    /// NTF_* flags and NUD_* state.
    public var flags: UInt8
    public var state: UInt16

    /// An entry to add or delete: in the bridge's table (`master`) or the device's own (`self`,
    /// the default, as `bridge fdb add`); `state` permanent by default.
    public init(mac: MACAddress, master: Bool = false, state: FDBState = .permanent, sticky: Bool = false,
                vlan: UInt16? = nil, destination: IPAddress? = nil) {
        self.mac = mac
        linkIndex = 0
        flags = UInt8(master ? NTF_MASTER : NTF_SELF) | (sticky ? UInt8(NTF_STICKY) : 0)
        self.state = state.bits
        self.vlan = vlan
        self.destination = destination
    }

    /// Decodes an AF_BRIDGE RTM_NEWNEIGH / RTM_DELNEIGH; ``MalformedMessage`` for another family
    /// or an entry without a 6-byte address.
    /// For the fuzzer of the decoders (fuzz/): `@_spi(Decoding) import VethKit`.
    @_spi(Decoding) public init(message: NetlinkMessage) throws {
        let h = try message.header(ndmsg.self)
        guard h.ndm_family == UInt8(AF_BRIDGE) else { throw MalformedMessage("fdb entry of family \(h.ndm_family), not AF_BRIDGE") }
        let a = try message.attributes(after: ndmsg.self)
        guard let ll = a[UInt16(NDA_LLADDR)], ll.value.count == 6 else { throw MalformedMessage("fdb entry without a 6-byte NDA_LLADDR") }
        mac = MACAddress(bytes: Array(ll.value))
        (linkIndex, flags, state) = (h.ndm_ifindex, h.ndm_flags, h.ndm_state)
        masterIndex = a[UInt16(NDA_MASTER)]?.int32
        vlan = a[UInt16(NDA_VLAN)]?.uint16
        destination = a[UInt16(NDA_DST)].flatMap { IPAddress(bytes: $0.value) }
        port = a[UInt16(NDA_PORT)]?.uint16.map { UInt16(bigEndian: $0) }
        vni = a[UInt16(NDA_VNI)]?.uint32
        sourceVNI = a[UInt16(NDA_SRC_VNI)]?.uint32
        viaIndex = a[UInt16(NDA_IFINDEX)]?.uint32
        linkNetnsID = a[UInt16(NDA_LINK_NETNSID)]?.int32
        nexthopID = a[UInt16(NDA_NH_ID)]?.uint32
        if let c = a[UInt16(NDA_CACHEINFO)], c.value.count >= MemoryLayout<nda_cacheinfo>.size {
            let ci = c.structure(nda_cacheinfo.self)
            let hz = UInt32(Route.clockTicksPerSecond)
            (used, updated) = (ci.ndm_used / hz, ci.ndm_updated / hz)
        }
    }

    /// The flags `bridge fdb` prints, in its order: self, router, extern_learn, offload, master, sticky.
    public var flagNames: [String] {
        let names: [(Int32, String)] = [(NTF_SELF, "self"), (NTF_ROUTER, "router"), (NTF_EXT_LEARNED, "extern_learn"),
                                        (NTF_OFFLOADED, "offload"), (NTF_MASTER, "master"), (NTF_STICKY, "sticky")]
        return names.filter { flags & UInt8($0.0) != 0 }.map(\.1)
    }

    /// The state as `bridge fdb` names it: `permanent`, `static`, `stale`, "" (a learnt, dynamic
    /// entry), or the bits in hex.
    public var stateName: String {
        if state & UInt16(NUD_PERMANENT) != 0 { return "permanent" }
        if state & UInt16(NUD_NOARP) != 0 { return "static" }
        if state & UInt16(NUD_STALE) != 0 { return "stale" }
        if state & UInt16(NUD_REACHABLE) != 0 { return "" }
        return "0x" + String(state, radix: 16)
    }

    /// The NUD_* bits `bridge fdb show state WORD` keeps, by its words.
    public static let stateFilters: [(String, UInt16)] = [
        ("permanent", UInt16(NUD_PERMANENT)), ("static", UInt16(NUD_NOARP)), ("stale", UInt16(NUD_STALE)),
        ("dynamic", UInt16(NUD_REACHABLE)), ("reachable", UInt16(NUD_REACHABLE)),
    ]

    /// RTM_NEWNEIGH / RTM_DELNEIGH for this entry on link `index`, as `bridge fdb add|del` writes it.
    func encode(_ type: Int32, index: Int32, flags requestFlags: Int32, into m: inout MessageWriter) {
        m.begin(type: UInt16(type), flags: requestFlags)
        var h = ndmsg()
        h.ndm_family = UInt8(AF_BRIDGE)
        h.ndm_ifindex = index
        h.ndm_flags = flags
        h.ndm_state = state
        m.append(header: h)
        m.attribute(UInt16(NDA_LLADDR), mac.bytes)
        if let destination { m.attribute(UInt16(NDA_DST), destination.bytes) }
        if let vlan { m.attribute(UInt16(NDA_VLAN), uint16: vlan) }
        if let port { m.attribute(UInt16(NDA_PORT), uint16: port.bigEndian) }
        if let vni { m.attribute(UInt16(NDA_VNI), uint32: vni) }
    }
}

/// How an added fdb entry ages, in `bridge fdb add`'s words.
public enum FDBState: String, Sendable, CaseIterable {
    /// Never ages, and the address is the device's own (`local`).
    case permanent
    /// Never ages (`static`).
    case `static`
    /// Ages like a learnt entry (`dynamic`).
    case dynamic

    /// The NUD_* bits `bridge fdb add` sends for it.
    var bits: UInt16 {
        switch self {
        case .permanent: UInt16(NUD_NOARP | NUD_PERMANENT)
        case .static: UInt16(NUD_NOARP | NUD_REACHABLE)
        case .dynamic: UInt16(NUD_REACHABLE)
        }
    }
}
