import CLinuxUAPI

extension Rule {
    /// The checks of ``NetHandle/addRule(_:)`` (and, with `forDelete`, of ``NetHandle/deleteRule(_:)``),
    /// made before any syscall: one family throughout, prefixes without host bits, ranges in
    /// order and in the kernel's bounds, a forward goto, device names the kernel takes.
    public func validate(forDelete: Bool = false) throws {
        guard family == .inet || family == .inet6 else { throw InvalidInput("rule family", family.name, "is not inet or inet6") }
        for (what, p) in [("rule source", source), ("rule destination", destination)] {
            guard let p else { continue }
            if p.family != family {
                throw InvalidInput(what, "\(p)", "is \(p.isIPv4 ? "IPv4" : "IPv6") but the rule is \(family == .inet ? "IPv4 (give -6 for IPv6)" : "IPv6")")
            }
            if p.address != p.network { throw InvalidInput(what, "\(p)", "has host bits set (did you mean \(p.masked)?)") }
        }
        // The ECN bits are not part of the DS field a rule matches (the kernel refuses them).
        if tos & 0x03 != 0 { throw InvalidInput("tos", String(tos), "has ECN bits (0x03) set") }
        if markMask != nil && mark == nil { throw InvalidInput("fwmask", String(markMask!), "needs a fwmark") }
        if let mark, let markMask, mark & ~markMask != 0 {
            throw InvalidInput("fwmark", "0x\(String(mark, radix: 16))/0x\(String(markMask, radix: 16))", "has bits outside its mask (it would never match)")
        }
        for name in [inputInterface, outputInterface].compactMap({ $0 }) {
            try InterfaceName.validate(name)
            // The kernel would take them, but a rule's device name is printed back to terminals.
            if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
                throw InvalidInput("interface name", name, "contains a control character")
            }
        }
        for (what, r) in [("sport", sourcePorts), ("dport", destinationPorts)] {
            // fib_rule_port_range_valid (net/fib_rules.h): 1 ≤ start ≤ end < 65535.
            if let r, r.lowerBound == 0 || r.upperBound == 0xffff {
                throw InvalidInput(what, "\(r.lowerBound)-\(r.upperBound)", "is outside 1-65534")
            }
        }
        if let s = suppressPrefixLength, s < 0 || s > (family == .inet ? 32 : 128) {
            throw InvalidInput("suppress_prefixlength", String(s), "is not 0-\(family == .inet ? 32 : 128)")
        }
        if forDelete { return }
        switch action {
        case .lookup(let t):
            if t == .unspecified && !l3mdev { throw InvalidInput("table", "0", "is not a table (give main, local, default or 1-4294967295)") }
            if l3mdev && t != .unspecified { throw InvalidInput("table", t.name, "cannot be given with l3mdev (the device's table is looked up)") }
        case .goto(let target):
            if let priority, target <= priority {
                throw InvalidInput("goto", String(target), "does not come after the rule's priority \(priority) (the kernel only jumps forward)")
            }
        case .other(let n): throw InvalidInput("rule action", String(n), "is not lookup, goto, nop, blackhole, unreachable or prohibit")
        default: if l3mdev { throw InvalidInput("rule action", "\(action)", "cannot be given with l3mdev") }
        }
    }

    /// True when the kernel, asked to delete `self` (RTM_DELRULE), could take `r` for it:
    /// rule_find() in net/core/fib_rules.c, where what a request leaves out matches anything
    /// (no table, no priority, no mark…), then the family's compare() (prefix lengths, addresses, tos).
    public func kernelDeleteMatches(_ r: Rule) -> Bool {
        if r.family != family { return false }
        if action.code != 0 && r.action.code != action.code { return false }
        if let t = action.table, t != .unspecified, r.action.table != t { return false }
        if let priority, r.priority != priority { return false }
        if let i = inputInterface, !i.isEmpty, r.inputInterface != i { return false }
        if let o = outputInterface, !o.isEmpty, r.outputInterface != o { return false }
        if let m = mark, m != 0, r.mark != m { return false }
        if let m = markMask, m != 0, r.markMask != m { return false }
        if let s = suppressInterfaceGroup, r.suppressInterfaceGroup != s { return false }
        if let s = suppressPrefixLength, r.suppressPrefixLength != s { return false }
        if l3mdev && !r.l3mdev { return false }
        if let u = uidRange, r.uidRange != u { return false }
        if let p = ipProtocol, p != 0, r.ipProtocol != p { return false }
        if `protocol` != .unspecified && r.protocol != `protocol` { return false }
        if let p = sourcePorts, r.sourcePorts != p { return false }
        if let p = destinationPorts, r.destinationPorts != p { return false }
        if let s = source, s.prefixLength != 0, r.source != s { return false }
        if let d = destination, d.prefixLength != 0, r.destination != d { return false }
        if tos != 0 && r.tos != tos { return false }
        return true
    }

    /// True when `r` is the rule `self` describes, every field alike (the priority too, when
    /// `self` gives one): what ``NetHandle/deleteRule(_:)`` insists on before it deletes.
    public func sameRule(as r: Rule) -> Bool {
        var mine = self, theirs = r
        if mine.priority == nil { mine.priority = theirs.priority }
        // What a delete leaves out: no action or table given (FR_ACT_UNSPEC), no protocol.
        if mine.action == .other(0) { mine.action = theirs.action }
        if mine.protocol == .unspecified { mine.protocol = theirs.protocol }
        if mine.source?.prefixLength == 0 { mine.source = nil }
        if mine.destination?.prefixLength == 0 { mine.destination = nil }
        if theirs.source?.prefixLength == 0 { theirs.source = nil }
        if theirs.destination?.prefixLength == 0 { theirs.destination = nil }
        // A mark without a mask matches every bit (the kernel reports the mask 0xffffffff).
        if mine.mark != nil && mine.markMask == nil { mine.markMask = 0xffff_ffff }
        if theirs.mark != nil && theirs.markMask == nil { theirs.markMask = 0xffff_ffff }
        if mine.mark == 0 && mine.markMask == 0xffff_ffff { (mine.mark, mine.markMask) = (nil, nil) }
        if theirs.mark == 0 && theirs.markMask == 0 { (theirs.mark, theirs.markMask) = (nil, nil) }
        mine.flags = theirs.flags & ~UInt32(FIB_RULE_INVERT) | (mine.invert ? UInt32(FIB_RULE_INVERT) : 0)
        return mine == theirs
    }
}
