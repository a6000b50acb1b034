import VethKitJSON
import ArgumentParser
import VethKit

/// `vethctl rule`: policy routing rules, as `ip rule`.
struct RuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rule", abstract: "Policy routing rules: show, add, del (as ip rule; IPv4 unless -6).",
        discussion: HelpExamples.discussion("rule"), subcommands: [Add.self, Del.self, Show.self], defaultSubcommand: Show.self)

    /// The words of `rule add` and `rule del`: ip rule's selectors and actions as options.
    struct RuleOptions: ParsableArguments {
        @Option(help: "The rule's priority (lower first); add picks one when not given, as ip.") var priority: UInt32?
        @Option(help: "Packets from this prefix (a CIDR, an address, or `all`).") var from: String?
        @Option(help: "Packets to this prefix (a CIDR or an address).") var to: String?
        @Flag(name: .customLong("not"), help: "Invert the selector: the packets it does not select.") var invert = false
        @Option(help: "The TOS (DS field) value, decimal or 0x hex.") var tos: String?
        @Option(help: ArgumentHelp("The firewall mark, and optionally the mask: N or N/MASK (decimal or 0x hex).", valueName: "mark[/mask]")) var fwmark: String?
        @Option(help: "The device packets come in on (lo for packets made here).", completion: Completions.interfaces) var iif: String?
        @Option(help: "The device a socket is bound to.", completion: Completions.interfaces) var oif: String?
        @Option(help: ArgumentHelp("The socket owners' user ids: A-B.", valueName: "a-b")) var uidrange: String?
        @Option(help: "The IP protocol: tcp, udp, icmp, icmpv6, sctp, udplite, dccp or a number.",
                completion: .list(["tcp", "udp", "icmp", "icmpv6", "sctp", "udplite", "dccp"])) var ipproto: String?
        @Option(help: ArgumentHelp("The source port or ports: N or N-M.", valueName: "n[-m]")) var sport: String?
        @Option(help: ArgumentHelp("The destination port or ports: N or N-M.", valueName: "n[-m]")) var dport: String?
        @Flag(help: "Look up the table of the packet's VRF (l3mdev) device.") var l3mdev = false
        @Option(help: "Look up this table: main (default), local, default or a number.", completion: .list(["main", "local", "default"])) var table: String?
        @Option(name: .customLong("goto"), help: "Go on with the rule of this priority.") var gotoTarget: UInt32?
        @Option(help: "Drop or pass: blackhole, unreachable, prohibit, nop.", completion: .list(RuleAction.words.map(\.0))) var action: String?
        @Option(name: .customLong("suppress-prefixlength"), help: "Ignore a route found with a prefix this long or shorter.") var suppressPrefixLength: Int32?
        @Option(name: .customLong("suppress-ifgroup"), help: "Ignore a route found out of a device of this group.") var suppressIfgroup: Int32?
        @Option(help: "Who made the rule: static, boot, kernel, vethkit… or a number (del: only a rule of that protocol).") var `protocol`: String?
        @Flag(name: .customShort("6"), help: "An IPv6 rule.") var inet6 = false

        /// A number written in decimal or 0x hex, refused with `what` named.
        static func number(_ text: String, _ what: String, max: UInt64 = UInt64(UInt32.max)) throws -> UInt64 {
            let t = text.lowercased()
            let n = t.hasPrefix("0x") ? UInt64(t.dropFirst(2), radix: 16) : UInt64(t)
            guard let n, n <= max else { throw InvalidInput(what, text, "is not a number 0-\(max) (decimal or 0x hex)") }
            return n
        }

        /// `N` or `N-M`, each within `bounds`, in order.
        static func range(_ text: String, _ what: String, single: Bool, max: UInt64) throws -> ClosedRange<UInt64> {
            let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 1 && !single { throw InvalidInput(what, text, "is not a range A-B") }
            guard let a = UInt64(parts[0]), a <= max, let b = UInt64(parts.last!), b <= max else {
                throw InvalidInput(what, text, "is not \(single ? "N or N-M" : "A-B") with numbers 0-\(max)")
            }
            guard a <= b else { throw InvalidInput(what, text, "ends before it starts") }
            return a...b
        }

        /// A prefix (bare address: a host's), or nil for `all`.
        static func prefix(_ text: String, _ what: String) throws -> IPNetwork? {
            if text == "all" { return nil }
            do { return try IPNetwork(text, allowBareAddress: true) } catch { throw InvalidInput(what, text, "is not a CIDR, an address or all") }
        }

        /// True when the options name no rule at all (a bare `rule del`).
        var isEmpty: Bool {
            priority == nil && from == nil && to == nil && !invert && tos == nil && fwmark == nil && iif == nil && oif == nil && uidrange == nil
                && ipproto == nil && sport == nil && dport == nil && !l3mdev && table == nil && gotoTarget == nil && action == nil
                && suppressPrefixLength == nil && suppressIfgroup == nil && `protocol` == nil
        }

        /// The rule, checked without syscalls.
        func rule(forDelete: Bool) throws -> Rule {
            if forDelete && isEmpty { throw UsageError("rule del: name the rule (its --priority and selectors, as ip rule del)") }
            let source = try from.flatMap { try Self.prefix($0, "rule source") }
            let destination = try to.flatMap { try Self.prefix($0, "rule destination") }
            let family: AddressFamily = inet6 ? .inet6 : source?.family ?? destination?.family ?? .inet
            var r = Rule(family: family, priority: priority, source: source, destination: destination, invert: invert)
            if let tos { r.tos = UInt8(try Self.number(tos, "tos", max: 255)) }
            if let fwmark {
                let parts = fwmark.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                r.mark = UInt32(try Self.number(parts[0], "fwmark"))
                if parts.count == 2 { r.markMask = UInt32(try Self.number(parts[1], "fwmask")) }
            }
            r.inputInterface = iif
            r.outputInterface = oif
            if let uidrange { r.uidRange = try Self.range(uidrange, "uidrange", single: false, max: UInt64(UInt32.max)).mapped { UInt32($0) } }
            if let ipproto {
                r.ipProtocol = try (RouteCommand.Get.protocols[ipproto.lowercased()] ?? UInt8(ipproto))
                    .orThrow(InvalidInput("ipproto", ipproto, "is not tcp, udp, icmp, icmpv6, sctp, udplite, dccp or a number 0-255"))
            }
            if let sport { r.sourcePorts = try Self.range(sport, "sport", single: true, max: 65535).mapped { UInt16($0) } }
            if let dport { r.destinationPorts = try Self.range(dport, "dport", single: true, max: 65535).mapped { UInt16($0) } }
            r.l3mdev = l3mdev
            let actions = [table != nil, gotoTarget != nil, action != nil].filter { $0 }.count
            if actions > 1 { throw UsageError("rule: give one of --table, --goto and --action") }
            if let table {
                guard let t = RouteTable(name: table) else { throw InvalidInput("table", table, "is not main, local, default or a number 1-4294967295") }
                r.action = .lookup(t)
            } else if let gotoTarget {
                r.action = .goto(gotoTarget)
            } else if let action {
                guard let a = RuleAction.words.first(where: { $0.0 == action.lowercased() })?.1 else {
                    throw InvalidInput("rule action", action, "is not blackhole, unreachable, prohibit or nop")
                }
                r.action = a
            } else if l3mdev {
                r.action = .lookup(.unspecified)
            } else if forDelete {
                r.action = .other(0)   // any action and table, as ip rule del without them
            }
            r.suppressPrefixLength = suppressPrefixLength
            r.suppressInterfaceGroup = suppressIfgroup
            if let p = `protocol` {
                r.protocol = try RouteProtocol(name: p).orThrow(InvalidInput("protocol", p, "is not a protocol name (boot, static, kernel, vethkit…) or a number 0-255"))
            }
            try r.validate(forDelete: forDelete)
            return r
        }
    }

    protocol RuleEdit: VethCommand {
        static var verb: String { get }
        var ns: NamespaceOption { get }
        var options: RuleOptions { get }
        static func apply(_ rule: Rule, on handle: NetHandle) throws
    }

    struct Add: RuleEdit {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a policy rule (lookup main unless --table, --goto or --action).",
                                                        discussion: HelpExamples.discussion("rule add"))
        static let verb = "add"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: RuleOptions
        static func apply(_ rule: Rule, on handle: NetHandle) throws { try handle.addRule(rule) }
    }

    struct Del: RuleEdit {
        static let configuration = CommandConfiguration(
            commandName: "del", abstract: "Delete exactly the rule named (refused when the kernel would take another one).",
            discussion: HelpExamples.discussion("rule del"), aliases: ["delete"])
        static let verb = "del"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: RuleOptions
        static func apply(_ rule: Rule, on handle: NetHandle) throws { try handle.deleteRule(rule) }
    }

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show the policy rules in the order they are tried (IPv4 unless -6, as ip rule show).",
            discussion: HelpExamples.discussion("rule show"), aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Flag(name: .customShort("4"), help: "IPv4 rules (the default, as ip rule).") var inet4 = false
        @Flag(name: .customShort("6"), help: "IPv6 rules.") var inet6 = false
        @Flag(help: "JSON output with `ip -j rule` key names.") var json = false

        func check() throws {
            try ns.check()
            if inet4 && inet6 { throw UsageError("rule show: -4 and -6 exclude each other") }
        }

        func execute(_ context: Context) throws {
            try step("rule show") {
                let rules = try context.handle(ns.name).rules(family: inet6 ? .inet6 : .inet)
                if json { emitJSON(JSON.array(rules.map(RuleOutput.json))) } else { emit(RuleOutput.text(rules)) }
            }
        }
    }
}

extension ClosedRange where Bound == UInt64 {
    /// The range with its bounds converted (they are known to fit).
    func mapped<T: Comparable>(_ f: (UInt64) -> T) -> ClosedRange<T> { f(lowerBound)...f(upperBound) }
}

extension RuleCommand.RuleEdit {
    func check() throws {
        try ns.check()
        _ = try options.rule(forDelete: Self.verb == "del")
    }

    func execute(_ context: Context) throws {
        try step("rule \(Self.verb)") {
            let rule = try options.rule(forDelete: Self.verb == "del")
            try Self.apply(rule, on: try context.handle(ns.name))
        }
    }
}
