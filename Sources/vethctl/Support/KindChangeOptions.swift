import VethKit

/// `link set`'s kind options: checked before any syscall, then turned into the typed change
/// for the kind the link turns out to have.
extension KindOptions {
    /// The syntax of every value, and combinations no kind takes.
    func checkChange(name: String) throws {
        if learningTwice { throw UsageError("link set \(name): --learning and --nolearning together") }
        if let mode, MACVLAN.Mode(name: mode) == nil || mode == "source", IPVLAN.Mode(name: mode) == nil {
            throw InvalidInput("mode", mode, "must be a macvlan mode (bridge, private, vepa, passthru) or an ipvlan mode (l2, l3, l3s)")
        }
        if mode != nil, isVXLANChange {
            throw UsageError("link set \(name): --mode (macvlan, ipvlan) and vxlan options together")
        }
        if remote != nil && group != nil { throw UsageError("link set \(name): --remote and --group together") }
        let change = try vlanChange()
        if change != nil, mode != nil || isVXLANChange {
            throw UsageError("link set \(name): vlan flags together with macvlan, ipvlan or vxlan options")
        }
        if isVXLANChange { try vxlanChange().validate() }
    }

    var isVXLANChange: Bool { remote != nil || group != nil || local != nil || learning != nil }

    /// The vlan flags to set and clear; nil when no flag option was given.
    func vlanChange() throws -> VLAN.Change? {
        let flags: [String: VLAN.Flags] = ["--reorder-hdr": .reorderHeader, "--loose-binding": .looseBinding, "--bridge-binding": .bridgeBinding]
        var c = VLAN.Change()
        var any = false
        for (option, value) in vlanFlags {
            guard let value else { continue }
            guard let flag = flags[option] else { continue }
            switch value {
            case "on": c.set.insert(flag)
            case "off": c.clear.insert(flag)
            default: throw InvalidInput(option, value, "must be on or off")
            }
            any = true
        }
        return any ? c : nil
    }

    func vxlanChange() throws -> VXLAN.Change {
        VXLAN.Change(learning: learning, remote: try remote.map(IPAddress.init(parsing:)),
                     group: try group.map(IPAddress.init(parsing:)), local: try local.map(IPAddress.init(parsing:)))
    }

    /// The typed change for `link` (nil when no kind option was given); refuses options its
    /// kind does not take, and a vxlan address of the other family.
    func change(for link: Link) throws -> (any LinkKindChange)? {
        let kind = link.kind ?? "device"
        if let vlan = try vlanChange() {
            guard case .vlan? = link.kindOptions else {
                throw InvalidInput("vlan flag option", vlanFlags.filter { $0.value != nil }.map(\.option).joined(separator: " "),
                                   "applies to a vlan; \(link.name) is a \(kind)")
            }
            return vlan
        }
        if let mode {
            switch link.kindOptions {
            case .macvlan?: return MACVLAN.Change(mode: try Self.macvlanMode(mode))
            case .ipvlan?: return IPVLAN.Change(mode: try Self.ipvlanMode(mode))
            default: throw InvalidInput("mode", mode, "applies to a macvlan or ipvlan; \(link.name) is a \(kind)")
            }
        }
        guard isVXLANChange else { return nil }
        guard case .vxlan(let current)? = link.kindOptions else {
            throw InvalidInput("vxlan option", given.joined(separator: " "), "applies to a vxlan; \(link.name) is a \(kind)")
        }
        let c = try vxlanChange()
        let family = (current.remote ?? current.group ?? current.local)?.family
        for a in [c.remote, c.group, c.local].compactMap({ $0 }) where family != nil && a.family != family {
            throw InvalidInput("vxlan address", a.description, "is not of \(link.name)'s address family (the kernel cannot change it)")
        }
        return c
    }
}
