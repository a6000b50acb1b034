import CLinuxUAPI
import Glibc
import Netlink
import Synchronization

/// Questions about the kernel's traffic control as a whole.
public enum TrafficControl {
    /// True when the kernel has the qdisc `kind` (built in or as a loadable module, which the
    /// question loads as tc would).
    ///
    /// How: one harmless request on the calling thread's namespace's loopback (ifindex 1):
    /// RTM_NEWQDISC with NLM_F_CREATE|NLM_F_REPLACE, parent TC_H_INGRESS, handle 0, TCA_KIND =
    /// `kind` and an empty TCA_STAB. The kernel looks the kind up first (loading `sch_KIND` if it
    /// can) and answers ENOENT "Specified qdisc kind is unknown" when there is none; a kind it
    /// has is refused right after (a non-ingress kind at the ingress hook: EINVAL "Specified
    /// parent ID is reserved for ingress and clsact Qdiscs"; an ingress kind: the empty size
    /// table, EINVAL), so nothing is ever attached. A user's ingress or clsact already on lo is
    /// not touched either: another kind goes the same create path and fails the same way, its
    /// own kind is a change without options that the empty size table fails before anything
    /// is applied. When the request cannot answer (no CAP_NET_ADMIN), the files say:
    /// /sys/module/sch_KIND (a loaded module), then /lib/modules/$(uname -r)/modules.builtin
    /// and modules.dep. A kind found present is remembered for the process.
    public static func isAvailable(qdisc kind: String) -> Bool {
        guard (try? QdiscOptions.other(kind: kind).validate()) != nil else { return false }
        if known.withLock({ $0.contains(kind) }) { return true }
        let answer: Bool
        if let socket = try? NetlinkSocket(), let probed = probe(kind, on: socket) {
            answer = probed
        } else {
            answer = inModuleFiles(kind)
        }
        if answer { known.withLock { _ = $0.insert(kind) } }
        return answer
    }

    /// `uname -r`.
    public static let kernelRelease: String = {
        var u = utsname()
        guard uname(&u) == 0 else { return "?" }
        return withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()

    /// The running kernel's major and minor version (from ``kernelRelease``), nil if unreadable.
    static let kernelVersion: (Int, Int)? = {
        let parts = kernelRelease.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }()

    /// True when the kernel honours netem's seed: TCA_NETEM_PRNG_SEED came with Linux 6.6
    /// (François Michel's "netem: use a seeded PRNG for loss and corruption events"); older
    /// kernels ignore the attribute silently (netem parses its options leniently).
    public static var supportsNetemSeed: Bool {
        guard let (major, minor) = kernelVersion else { return true }
        return major > 6 || (major == 6 && minor >= 6)
    }

    /// Throws ``TrafficControlUnsupported`` for options this kernel would accept and ignore.
    static func checkHonoured(_ options: QdiscOptions) throws {
        if case .netem(let n) = options, n.seed != nil, !supportsNetemSeed {
            throw TrafficControlUnsupported(feature: "netem seed", reason: "TCA_NETEM_PRNG_SEED needs Linux 6.6 or later (older kernels ignore it)")
        }
    }

    /// Kinds found present so far.
    private static let known = Mutex<Set<String>>([])

    /// The netlink probe on `socket`'s namespace: true/false, or nil when it cannot tell
    /// (`remembered`: a kind found present before is not asked again).
    static func probe(_ kind: String, on socket: NetlinkSocket, remembered: Bool = true) -> Bool? {
        if remembered, known.withLock({ $0.contains(kind) }) { return true }
        var m = MessageWriter(type: UInt16(RTM_NEWQDISC), flags: Int32(NLM_F_CREATE | NLM_F_REPLACE))
        var t = tcmsg()
        t.tcm_family = UInt8(AF_UNSPEC)
        t.tcm_ifindex = 1
        t.tcm_parent = TC_H_INGRESS
        m.append(header: t)
        m.attribute(UInt16(TCA_KIND), string: kind)
        m.nested(UInt16(TCA_STAB)) { _ in }
        do {
            try socket.request(m)
            // Attached after all (a kernel older than both checks): take it away again.
            var d = MessageWriter(type: UInt16(RTM_DELQDISC))
            d.append(header: t)
            _ = try? socket.request(d)
            known.withLock { _ = $0.insert(kind) }
            return true
        } catch let e as KernelError {
            switch e.errno {
            case .noSuchFileOrDirectory: return false
            case .fileExists, .notPermitted, .permissionDenied, Errno(rawValue: ENODEV): return nil
            default:
                known.withLock { _ = $0.insert(kind) }
                return true
            }
        } catch {
            return nil
        }
    }

    /// The module files' answer (for when the kernel cannot be asked). With no module index to
    /// read (a container without /lib/modules), it cannot tell and says present: the request
    /// itself then gets the kernel's answer (without privilege: EPERM, a permission error, not a
    /// wrong "this kernel has no sch_tbf").
    static func inModuleFiles(_ kind: String) -> Bool {
        if access("/sys/module/sch_\(kind)", F_OK) == 0 { return true }
        let release = kernelRelease
        let module = "/sch_\(kind).ko"
        var readAny = false
        for file in ["modules.builtin", "modules.dep"] {
            let fd = open("/lib/modules/\(release)/\(file)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            readAny = true
            defer { close(fd) }
            guard let bytes = try? BoundedRead.all(fd, limit: 16 << 20) else { continue }
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                let path = line.prefix { $0 != UInt8(ascii: ":") }
                let name = String(decoding: path, as: UTF8.self)
                if name.hasSuffix(module) || name.hasSuffix(module + ".xz") || name.hasSuffix(module + ".zst") || name.hasSuffix(module + ".gz") {
                    return true
                }
            }
        }
        return !readAny
    }
}
