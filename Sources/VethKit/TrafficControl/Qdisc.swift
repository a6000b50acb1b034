import CLinuxUAPI
import Netlink

/// A qdisc as the kernel reports it (RTM_NEWQDISC in a dump): where it is, what it is, its
/// options (decoded for netem and tbf) and its counters.
public struct Qdisc: Hashable, Sendable {
    /// The device's ifindex.
    public var linkIndex: Int32
    /// Its handle (`564b:` for VethKit's; 0 for a default the kernel attached).
    public var handle: QdiscHandle
    /// Its parent (``QdiscHandle/root`` for a device's root qdisc).
    public var parent: QdiscHandle
    /// TCA_KIND (`netem`, `tbf`, `noqueue`, `fq_codel`…).
    public var kind: String
    /// The options: `.netem`/`.tbf` decoded, `.other(kind:)` for the rest (and for netem/tbf
    /// whose options did not decode).
    public var options: QdiscOptions
    /// The counters.
    public var statistics: QdiscStatistics
    /// The kernel's reference count (tcm_info; tc prints it as `refcnt`).
    public var refcount: UInt32

    /// True when VethKit attached it (its handle is ``QdiscHandle/vethkit``): the only qdiscs
    /// VethKit changes or deletes.
    public var isVethKit: Bool { handle == .vethkit }

    /// True for a qdisc the kernel attached by itself (handle 0: `pfifo_fast`, `mq`, `fq_codel`,
    /// `noqueue` at the root or under `mq`). A user's qdisc always has a handle (tc picks one).
    public var isKernelDefault: Bool { handle == .unspecified }

    /// True at the device's root.
    public var isRoot: Bool { parent == .root }

    public init(linkIndex: Int32, handle: QdiscHandle, parent: QdiscHandle, kind: String, options: QdiscOptions,
                statistics: QdiscStatistics = QdiscStatistics(), refcount: UInt32 = 1) {
        (self.linkIndex, self.handle, self.parent, self.kind) = (linkIndex, handle, parent, kind)
        (self.options, self.statistics, self.refcount) = (options, statistics, refcount)
    }

    /// Decodes an RTM_NEWQDISC message. Never traps: a short header or attribute is an error
    /// (``MalformedMessage``), options that do not decode leave ``options`` as `.other(kind:)`.
    /// For the fuzzer of the decoders: `@_spi(Decoding) import VethKit`.
    @_spi(Decoding) public init(message: NetlinkMessage) throws {
        let t = try message.header(tcmsg.self)
        linkIndex = t.tcm_ifindex
        handle = QdiscHandle(rawValue: t.tcm_handle)
        parent = QdiscHandle(rawValue: t.tcm_parent)
        refcount = t.tcm_info
        var kind = "", optionBytes: ArraySlice<UInt8>?, stats2: ArraySlice<UInt8>?, legacy: Attribute?
        try message.forEachAttribute(after: tcmsg.self) { a in
            switch Int(a.type) {
            case Int(TCA_KIND): kind = a.string
            case Int(TCA_OPTIONS): optionBytes = a.value
            case Int(TCA_STATS2): stats2 = a.value
            case Int(TCA_STATS): legacy = a
            default: break
            }
        }
        if kind.isEmpty { throw MalformedMessage("qdisc \(handle) on link \(linkIndex) has no TCA_KIND") }
        self.kind = kind
        if let stats2 { statistics = try QdiscStatistics(stats2: stats2) } else if let legacy {
            statistics = QdiscStatistics(legacy: legacy)
        } else { statistics = QdiscStatistics() }
        switch kind {
        case "netem": options = optionBytes.flatMap { try? Netem(kernelOptions: $0) }.map(QdiscOptions.netem) ?? .other(kind: kind)
        case "tbf": options = optionBytes.flatMap { try? TokenBucket(kernelOptions: $0) }.map(QdiscOptions.tbf) ?? .other(kind: kind)
        default: options = .other(kind: kind)
        }
    }
}
