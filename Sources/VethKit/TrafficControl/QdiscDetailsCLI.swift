import CLinuxUAPI
import Netlink

/// The options of common qdisc kinds VethKit does not model (``QdiscOptions/other(kind:)``),
/// decoded for display only, so `vethctl qdisc show` prints a user's htb or fifo as tc does.
/// VethKit never changes these qdiscs; nothing here is sent to the kernel.
public enum QdiscDetails: Hashable, Sendable {
    /// htb's root options (TCA_HTB_INIT's `tc_htb_glob`, TCA_HTB_DIRECT_QLEN).
    case htb(rateToQuantum: UInt32, defaultClass: UInt32, directPackets: UInt32, directQueueLength: UInt32?)
    /// pfifo's limit in packets, bfifo's in bytes (`tc_fifo_qopt`).
    case fifo(limit: UInt32)
    /// prio's and pfifo_fast's bands and priority map (`tc_prio_qopt`, TCA_PRIO_MQ).
    case prio(bands: Int32, priomap: [UInt8], multiqueue: Bool?)

    /// Decodes `kind`'s TCA_OPTIONS; nil for other kinds or options too short to be the kind's.
    init?(kind: String, options: ArraySlice<UInt8>) {
        switch kind {
        case "htb":
            var glob: tc_htb_glob?
            var directQueueLength: UInt32?
            guard (try? AttributeList.scan(options, { a in
                switch Int(a.type) {
                case Int(TCA_HTB_INIT) where a.value.count >= MemoryLayout<tc_htb_glob>.size: glob = a.structure(tc_htb_glob.self)
                case Int(TCA_HTB_DIRECT_QLEN): directQueueLength = a.uint32
                default: break
                }
            })) != nil, let glob else { return nil }
            self = .htb(rateToQuantum: glob.rate2quantum, defaultClass: glob.defcls, directPackets: glob.direct_pkts,
                        directQueueLength: directQueueLength)
        case "pfifo", "bfifo":
            guard options.count >= MemoryLayout<tc_fifo_qopt>.size else { return nil }
            self = .fifo(limit: Attribute(type: 0, value: options).structure(tc_fifo_qopt.self).limit)
        case "prio", "pfifo_fast":
            let size = MemoryLayout<tc_prio_qopt>.size
            guard options.count >= size else { return nil }
            let q = Attribute(type: 0, value: options.prefix(size)).structure(tc_prio_qopt.self)
            let map = withUnsafeBytes(of: q.priomap) { Array($0) }
            var multiqueue: Bool?
            let rest = options.dropFirst(Int(vk_nla_align(UInt32(size))))
            _ = try? AttributeList.scan(rest) { a in if a.type == Self.prioMultiqueue { multiqueue = (a.value.first ?? 0) != 0 } }
            self = .prio(bands: q.bands, priomap: map, multiqueue: multiqueue)
        default:
            return nil
        }
    }

    /// TCA_PRIO_MQ: the kernel's include/uapi/linux/pkt_sched.h (the first attribute after
    /// `tc_prio_qopt`); this machine's UAPI headers lack the enum.
    static let prioMultiqueue: UInt16 = 1
}

/// Where a qdisc is: its device, handle and parent (one qdisc per place).
public struct QdiscPlace: Hashable, Sendable {
    public var linkIndex: Int32
    public var handle: QdiscHandle
    public var parent: QdiscHandle

    public init(linkIndex: Int32, handle: QdiscHandle, parent: QdiscHandle) {
        (self.linkIndex, self.handle, self.parent) = (linkIndex, handle, parent)
    }
}

extension Qdisc {
    /// Its device, handle and parent.
    public var place: QdiscPlace { QdiscPlace(linkIndex: linkIndex, handle: handle, parent: parent) }
}

extension NetHandle {
    /// The ``QdiscDetails`` of every qdisc of a kind VethKit does not model that has them (one
    /// RTM_GETQDISC dump, as ``qdiscs(link:)``), by place; for display (`vethctl qdisc show`).
    public func qdiscDetails(link: LinkReference? = nil) throws -> [QdiscPlace: QdiscDetails] {
        let index = try link.map { try self.index(of: $0) }
        var out: [QdiscPlace: QdiscDetails] = [:]
        for m in try socket.dump(Self.qdiscDumpRequest(linkIndex: index ?? 0)) where m.type == UInt16(RTM_NEWQDISC) {
            let t = try m.header(tcmsg.self)
            if let index, t.tcm_ifindex != index { continue }
            var kind = "", options: ArraySlice<UInt8>?
            try m.forEachAttribute(after: tcmsg.self) { a in
                switch Int(a.type) {
                case Int(TCA_KIND): kind = a.string
                case Int(TCA_OPTIONS): options = a.value
                default: break
                }
            }
            guard kind != "netem", kind != "tbf", let options, let d = QdiscDetails(kind: kind, options: options) else { continue }
            out[QdiscPlace(linkIndex: t.tcm_ifindex, handle: QdiscHandle(rawValue: t.tcm_handle), parent: QdiscHandle(rawValue: t.tcm_parent))] = d
        }
        return out
    }
}
