import VethKitJSON
import ArgumentParser
import VethKit

struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link", abstract: "Network interfaces: veth pairs, bridges, dummies, vlans, macvlans, ipvlans, vxlans.", discussion: HelpExamples.discussion("link"),
        subcommands: [Add.self, Set.self, Del.self, Show.self, Stats.self, Impair.self, Property.self], defaultSubcommand: Show.self)

    enum Kind: String, ExpressibleByArgument, CaseIterable { case veth, bridge, dummy, vlan, macvlan, ipvlan, vxlan }

    struct Add: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Create a link.",
            discussion: HelpExamples.discussion("link add", """
                veth:    --peer NAME [--peer-netns NS]
                vlan:    --link PARENT --id 1..4094 [--protocol 802.1Q|802.1ad]
                macvlan: --link PARENT --mode bridge|private|vepa|passthru
                ipvlan:  --link PARENT --mode l2|l3|l3s
                vxlan:   --id 0..16777215 (--remote IP | --group MULTICAST-IP) [--local IP] [--dstport N (4789)]
                         [--dev UNDERLAY] [--learning | --nolearning]
                The parent (--link, --dev) is a link of the namespace vethctl runs in.
                """))
        @OptionGroup var ns: NamespaceOption
        @Argument var name: String
        @Option(name: .customLong("type"), help: "veth (default), bridge, dummy, vlan, macvlan, ipvlan or vxlan.",
                completion: .list(["veth", "bridge", "dummy", "vlan", "macvlan", "ipvlan", "vxlan"])) var type: String?
        @Option(help: "The veth peer's name.") var peer: String?
        @Option(name: .customLong("peer-netns"), help: "Create the peer straight in this namespace.", completion: Completions.namespaces) var peerNetns: String?
        @Option(parsing: .unconditional, help: "MTU in bytes.") var mtu: String?
        @Option(help: "MAC address.") var address: String?
        @Option(parsing: .unconditional, help: "Link group number; for a vxlan, an IP address is its multicast group.") var group: String?
        @Flag(help: "Bring the link (and a veth's peer) up.") var up = false
        @OptionGroup var kind: KindArguments

        var action: LinkAddAction {
            LinkAddAction(namespace: ns.name, name: name, type: type.flatMap(Kind.init(rawValue:)) ?? .veth, peer: peer, peerNetns: peerNetns, mtu: mtu,
                          address: address, group: group, up: up, kindOptions: kind.options)
        }

        func check() throws {
            if let type, Kind(rawValue: type) == nil {
                throw InvalidInput("link type", type, "must be one of " + Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            try action.check()
        }
        func execute(_ context: Context) throws { try action.execute(context) }
    }

    struct Set: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change a link.",
            discussion: HelpExamples.discussion("link set", """
                What the kernel changes on a live link of a kind: a vlan's flags (--reorder-hdr,
                --loose-binding, --bridge-binding), a macvlan's or ipvlan's --mode (an
                ipvlan's mode is its parent's, shared by all its ipvlans; a macvlan cannot go into or
                out of passthru), a vxlan's --remote/--group/--local (same address family) and
                --learning/--nolearning. A vlan's id and protocol, a vxlan's id and port cannot
                change: delete the link and add it again.
                """))
        @OptionGroup var ns: NamespaceOption
        @Argument(completion: Completions.interfaces) var name: String
        @Flag(help: "Bring it up.") var up = false
        @Flag(help: "Take it down.") var down = false
        @Option(name: .customLong("netns"), help: "Move it into this namespace.", completion: Completions.namespaces) var toNetns: String?
        @Option(help: "Attach to this bridge.", completion: Completions.interfaces) var master: String?
        @Flag(help: "Detach from its bridge.") var nomaster = false
        @Option(parsing: .unconditional, help: "MTU in bytes.") var mtu: String?
        @Option(name: .customLong("name"), help: "Rename it.") var newName: String?
        @Option(help: "MAC address.") var address: String?
        @Option(help: "Free-text alias (ifalias).") var alias: String?
        @Option(parsing: .unconditional, help: "Link group number; for a vxlan, an IP address is a new multicast group.") var group: String?
        @Option(help: "A macvlan's new mode (bridge, private, vepa, passthru) or an ipvlan's (l2, l3, l3s).") var mode: String?
        @Option(help: "A vxlan's new unicast peer.") var remote: String?
        @Option(help: "A vxlan's new source address.") var local: String?
        @Flag(help: "A vxlan starts learning remote MAC addresses.") var learning = false
        @Flag(help: "A vxlan stops learning remote MAC addresses.") var nolearning = false
        @Option(name: .customLong("reorder-hdr"), help: ArgumentHelp("A vlan hands frames up untagged: on or off.", valueName: "on|off"))
        var reorderHeader: String?
        @Option(name: .customLong("loose-binding"), help: ArgumentHelp("A vlan ignores its parent's state: on or off.", valueName: "on|off"))
        var looseBinding: String?
        @Option(name: .customLong("bridge-binding"), help: ArgumentHelp("A vlan follows the state of bridge ports in its VLAN: on or off.", valueName: "on|off"))
        var bridgeBinding: String?

        /// The link group, and the kind change options with a `--group IP` in them.
        func kindOptions() throws -> (UInt32?, KindOptions) {
            var k = KindOptions(mode: mode, remote: remote, local: local,
                                learning: learning ? true : nolearning ? false : nil, learningTwice: learning && nolearning,
                                vlanFlags: [("--reorder-hdr", reorderHeader), ("--loose-binding", looseBinding), ("--bridge-binding", bridgeBinding)])
            let g = try k.takeGroup(group)
            return (g, k)
        }

        func check() throws {
            try ns.check()
            try InterfaceName.validate(name)
            if up && down { throw UsageError("link set \(name): --up and --down together") }
            if master != nil && nomaster { throw UsageError("link set \(name): --master and --nomaster together") }
            if let toNetns { _ = try NamespaceName(toNetns) }
            if let master { try InterfaceName.validate(master) }
            if let newName { try InterfaceName.validate(newName) }
            if let address { _ = try MACAddress(address) }
            _ = try MTUOption.parse(mtu)
            try LinkChange(alias: alias).validate()
            let (_, k) = try kindOptions()
            try k.checkChange(name: name)
        }

        func execute(_ context: Context) throws {
            try step("link set \(name)") {
                let h = try context.handle(ns.name)
                let link = try h.link(named: InterfaceName(name))
                let index = link.index
                let mtu = try MTUOption.parse(mtu)
                if let mtu { try MTUOption.check(mtu, for: link) }
                let (group, k) = try kindOptions()
                var change = LinkChange(up: up ? true : down ? false : nil, mtu: mtu,
                                        address: try address.map(MACAddress.init), name: try newName.map(InterfaceName.init),
                                        alias: alias, group: group)
                change.kindChange = try k.change(for: link)
                if let master { change.master = .set(.name(try InterfaceName(master))) }
                if nomaster { change.master = .nomaster }
                if let toNetns { change.namespace = try context.namespace(toNetns) }
                try h.setLink(.index(index), change)
            }
        }
    }

    struct Del: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "del", abstract: "Delete a link (both ends of a veth), or a whole link group at once.", discussion: HelpExamples.discussion("link del"),
            aliases: ["delete"])
        @OptionGroup var ns: NamespaceOption
        @Argument(completion: Completions.interfaces) var name: String?
        @Option(help: "Delete every link in this group (≠ 0) in one request: the kernel's bulk path.")
        var group: UInt32?

        func check() throws {
            try ns.check()
            switch (name, group) {
            case (let name?, nil): try InterfaceName.validate(name)
            case (nil, let group?) where group == 0: throw InvalidInput("link group", "0", "the default group cannot be deleted")
            case (nil, _?): break
            default: throw UsageError("link del: give a NAME or --group N, not both or neither")
            }
        }

        func execute(_ context: Context) throws {
            if let group {
                try step("link del --group \(group)") { try context.handle(ns.name).deleteLinks(group: group) }
            } else if let name {
                try step("link del \(name)") { try context.handle(ns.name).deleteLink(.name(InterfaceName(name))) }
            }
        }
    }

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show links.", discussion: HelpExamples.discussion("link show"), aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Argument(completion: Completions.interfaces) var name: String?
        @Flag(help: "JSON output with iproute2's key names.") var json = false
        @Flag(name: [.customShort("s"), .customLong("stats")],
              help: "Include the counters (stats64), as `ip -s`; twice (-s -s) the detailed errors too, as `ip -s -s`.")
        var stats: Int
        @Flag(name: [.customShort("d"), .customLong("details")],
              help: "Include each kind's options (a vlan's id, a macvlan's mode, a vxlan's endpoints…), as `ip -d`.")
        var details = false

        func check() throws {
            try ns.check()
            if let name { try InterfaceName.validate(name) }
        }

        func execute(_ context: Context) throws {
            try step(name.map { "link show \($0)" } ?? "link show") {
                let h = try context.handle(ns.name)
                let links: [Link]
                var names: [Int32: String] = [:]
                var down = Swift.Set<Int32>()
                if let name {
                    // One RTM_GETLINK, plus one per related index (master, same-namespace peer).
                    let l = try h.link(named: InterfaceName(name))
                    links = [l]
                    for index in [l.masterIndex, l.linkNetnsID == nil ? l.linkIndex : nil, LinkOutput.underlayIndex(l)].compactMap({ $0 }) {
                        guard let other = try? h.link(index: index) else { continue }
                        names[index] = other.name
                        if !other.isUp { down.insert(index) }
                    }
                } else {
                    links = try stats > 0 ? h.links() : h.linksWithoutStatistics()
                    for l in links { names[l.index] = l.name }
                    down = Swift.Set(links.filter { !$0.isUp }.map(\.index))
                }
                var out = LinkOutput(names: names, namespaceNames: LinkOutput.namespaceNames(for: links, handle: h), statisticsLevel: stats,
                                     withDetails: details)
                out.downIndexes = down
                if json { emitJSON(JSON.array(links.map(out.json))) } else { emit(out.table(links)) }
            }
        }
    }

    struct Stats: VethCommand {
        static let configuration = CommandConfiguration(commandName: "stats", abstract: "Per-link packet, byte and drop counters.", discussion: HelpExamples.discussion("link stats"))
        @OptionGroup var ns: NamespaceOption
        @Argument(completion: Completions.interfaces) var name: String?
        @Flag(help: "JSON output (`stats64` as in `ip -j -s link`).") var json = false

        func check() throws {
            try ns.check()
            if let name { try InterfaceName.validate(name) }
        }

        func execute(_ context: Context) throws {
            try step(name.map { "link stats \($0)" } ?? "link stats") {
                let h = try context.handle(ns.name)
                let links = try name.map { [try h.link(named: InterfaceName($0))] } ?? h.links()
                if json {
                    emit(JSON.array(links.map { l in
                        .object([JSONField("ifindex", .int(Int64(l.index))), JSONField("ifname", .string(l.name)),
                                 JSONField("stats64", l.statistics.map { LinkOutput.stats($0) } ?? .null)])
                    }).text() + "\n")
                } else {
                    var t = Table("NAME", "RX PACKETS", "RX BYTES", "RX DROPPED", "TX PACKETS", "TX BYTES", "TX DROPPED")
                    for l in links {
                        let s = l.statistics
                        t.add([l.name, "\(s?.rxPackets ?? 0)", "\(s?.rxBytes ?? 0)", "\(s?.rxDropped ?? 0)",
                               "\(s?.txPackets ?? 0)", "\(s?.txBytes ?? 0)", "\(s?.txDropped ?? 0)"])
                    }
                    emit(t.text)
                }
            }
        }
    }
}
