import CLinuxUAPI
import Foundation
import Netlink
import Synchronization
import VethKit
import XCTest

// What the running kernel lacks: link kinds (vlan, ipvlan, dummy, wireguard…) and qdiscs (netem)
// that slim kernels leave out. A kernel test that needs one calls `requireLinkKind("vlan")` or
// `requireQdisc("netem")` first: on a kernel without it the test reports itself skipped, naming
// the missing feature; scripts/vmtest runs the same tests under Debian's stock kernel, which has it.
// Each kind is probed once per test process (the answer cannot change while the suite runs).

/// Skips the calling test unless the kernel can create links of `kind` (IFLA_INFO_KIND, e.g.
/// `vlan`, `ipvlan`, `dummy`). Also a kernel test: it calls ``requireKernel(file:line:)`` first.
public func requireLinkKind(_ kind: String, file: StaticString = #filePath, line: UInt = #line) throws {
    try requireKernel(file: file, line: line)
    if case .missing(let why) = try KernelFeatures.linkKind(kind) {
        throw XCTSkip("kernel \(KernelFeatures.release) lacks the \(kind) link kind (\(why)): runs under scripts/vmtest",
                      file: file, line: line)
    }
}

/// Skips the calling test unless the kernel has the qdisc `kind` (TCA_KIND, e.g. `netem`).
/// Also a kernel test: it calls ``requireKernel(file:line:)`` first.
public func requireQdisc(_ kind: String, file: StaticString = #filePath, line: UInt = #line) throws {
    try requireKernel(file: file, line: line)
    if case .missing(let why) = try KernelFeatures.qdisc(kind) {
        throw XCTSkip("kernel \(KernelFeatures.release) lacks the \(kind) qdisc (\(why)): runs under scripts/vmtest",
                      file: file, line: line)
    }
}

/// The probes behind ``requireLinkKind(_:file:line:)`` and ``requireQdisc(_:)``; they run in a
/// throwaway namespace of their own, so call them only where kernel tests may run (the sandbox).
public enum KernelFeatures {
    /// A probe's answer: the kernel has the feature, or lacks it (with the kernel's own words,
    /// the errno and the config option / module that provides it).
    public enum Probe: Sendable, Equatable {
        case present
        case missing(String)
    }

    /// `uname -r`, for skip messages (they name the kernel that lacks the feature).
    public static let release: String = {
        var u = utsname()
        guard uname(&u) == 0 else { return "?" }
        return withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()

    /// Asks the kernel to create a link of `kind`, with no options and no parent, in a throwaway
    /// namespace. An unknown kind is refused before anything else with EOPNOTSUPP ("Unknown device
    /// type"), after the kernel tried to load `rtnl-link-KIND`; any other answer (created, or
    /// refused for the missing options: EINVAL, ENODEV) means the driver is there.
    public static func linkKind(_ kind: String) throws -> Probe {
        try memoised("link:\(kind)") {
            try inThrowawayNamespace { ns in
                do {
                    try NetHandle(namespace: ns).addLink(LinkSpec(LinkAttributes(name: InterfaceName("vkprobe0")),
                                                                  kind: ProbeKind(kindName: kind)))
                    return .present
                } catch let e as KernelError where e.errno.rawValue == EOPNOTSUPP {
                    return .missing("RTM_NEWLINK: \(e.message ?? "Operation not supported") (EOPNOTSUPP)\(provider(kind))")
                } catch is KernelError {
                    return .present
                }
            }
        }
    }

    /// Asks the kernel to attach a root qdisc of `kind`, with no options, to the loopback of a
    /// throwaway namespace (RTM_NEWQDISC with only TCA_KIND, as `tc qdisc add dev lo root KIND`
    /// would send if tc did not check options itself). An unknown kind is refused with ENOENT
    /// ("Specified qdisc kind is unknown") after the kernel tried to load `sch_KIND`; any other
    /// answer (created, or EINVAL for the missing options) means the qdisc is there.
    public static func qdisc(_ kind: String) throws -> Probe {
        try memoised("qdisc:\(kind)") {
            try inThrowawayNamespace { ns in
                let socket = try ns.run { try NetlinkSocket() }
                var m = MessageWriter(type: UInt16(RTM_NEWQDISC), flags: Int32(NLM_F_CREATE | NLM_F_EXCL))
                var t = tcmsg()
                t.tcm_family = UInt8(AF_UNSPEC)
                t.tcm_ifindex = 1   // lo: the first device of every namespace
                t.tcm_parent = tcHandleRoot
                m.append(header: t)
                m.attribute(UInt16(TCA_KIND), string: kind)
                do {
                    try socket.request(m)
                    return .present
                } catch let e as KernelError where e.errno.rawValue == ENOENT {
                    return .missing("RTM_NEWQDISC: \(e.message ?? "No such file or directory") (ENOENT)\(provider(kind, qdisc: true))")
                } catch is KernelError {
                    return .present
                }
            }
        }
    }

    /// TC_H_ROOT from linux/pkt_sched.h (not among CLinuxUAPI's headers): the root of a device.
    private static let tcHandleRoot: UInt32 = 0xFFFF_FFFF

    // MARK: - Probing

    /// Answers so far, by "link:KIND" / "qdisc:KIND".
    private static let answers = Mutex<[String: Probe]>([:])

    private static func memoised(_ key: String, _ probe: () throws -> Probe) throws -> Probe {
        if let known = answers.withLock({ $0[key] }) { return known }
        let answer = try probe()
        answers.withLock { $0[key] = answer }
        return answer
    }

    private static func inThrowawayNamespace(_ body: (NetworkNamespace) throws -> Probe) throws -> Probe {
        let name = try NamespaceName("vk-probe-\(uniqueSuffix())")
        let ns = try NetworkNamespace.create(name)
        defer { try? NetworkNamespace.delete(name) }
        return try body(ns)
    }

    /// "; CONFIG_X, module m" for the kinds tests use, so a skip says what to enable.
    private static func provider(_ kind: String, qdisc: Bool = false) -> String {
        let known: [String: (String, String)] = qdisc
            ? ["netem": ("CONFIG_NET_SCH_NETEM", "sch_netem"), "tbf": ("CONFIG_NET_SCH_TBF", "sch_tbf"),
               "htb": ("CONFIG_NET_SCH_HTB", "sch_htb"), "prio": ("CONFIG_NET_SCH_PRIO", "sch_prio")]
            : ["vlan": ("CONFIG_VLAN_8021Q", "8021q"), "dummy": ("CONFIG_DUMMY", "dummy"),
               "ipvlan": ("CONFIG_IPVLAN", "ipvlan"), "macvlan": ("CONFIG_MACVLAN", "macvlan"),
               "vxlan": ("CONFIG_VXLAN", "vxlan"), "wireguard": ("CONFIG_WIREGUARD", "wireguard"),
               "bridge": ("CONFIG_BRIDGE", "bridge"), "veth": ("CONFIG_VETH", "veth")]
        guard let (option, module) = known[kind] else { return "" }
        return "; \(option), module \(module)"
    }
}

/// A link kind with no options: what the probe sends (IFLA_INFO_KIND only).
private struct ProbeKind: LinkKind {
    let kindName: String
    var hasInfoData: Bool { false }
    func encodeInfoData(into message: inout MessageWriter) throws {}
}
