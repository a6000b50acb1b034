import ArgumentParser
import VethKit

struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link", abstract: "Network interfaces: veth pairs, bridges, dummies.",
        subcommands: [Add.self, Set.self, Del.self, Show.self, Stats.self])

    enum Kind: String, ExpressibleByArgument, CaseIterable { case veth, bridge, dummy }

    struct Add: VethCommand {
        static let configuration = CommandConfiguration(abstract: "Create a link (a veth needs --peer).")
        @OptionGroup var ns: NamespaceOption
        @Argument var name: String
        @Option(name: .customLong("type"), help: "veth, bridge or dummy.") var type: Kind = .veth
        @Option(help: "The veth peer's name.") var peer: String?
        @Option(name: .customLong("peer-netns"), help: "Create the peer straight in this namespace.") var peerNetns: String?
        @Option var mtu: Int?
        @Option(help: "MAC address.") var address: String?
        @Option(help: "Link group number.") var group: UInt32?
        @Flag(help: "Bring the link (and a veth's peer) up.") var up = false

        func check() throws {
            try ns.check()
            _ = try InterfaceName(name)
            _ = try parseMTU(mtu)
            if let address { _ = try MACAddress(address) }
            if type == .veth {
                guard let peer else { throw UsageError("link add \(name): a veth needs --peer NAME") }
                _ = try InterfaceName(peer)
                if peer == name && peerNetns == nil { throw InvalidInput("peer name", peer, "is the same as the link's own name") }
                if let peerNetns { _ = try NamespaceName(peerNetns) }
            } else if peer != nil || peerNetns != nil {
                throw UsageError("link add \(name): --peer and --peer-netns apply to veth only")
            }
        }

        func execute(_ context: Context) throws {
            try step("link add \(name)") {
                let h = try context.handle(ns.name)
                var attrs = LinkAttributes(name: try InterfaceName(name), mtu: try parseMTU(mtu),
                                           address: try address.map(MACAddress.init), group: group, up: up)
                attrs.up = up
                let kind: any LinkKind
                switch type {
                case .veth:
                    var p = LinkAttributes(name: try InterfaceName(peer!), mtu: attrs.mtu, up: up)
                    if let peerNetns { p.namespace = try context.namespace(peerNetns) }
                    kind = Veth(peer: p)
                case .bridge: kind = Bridge()
                case .dummy: kind = Dummy()
                }
                try h.addLink(LinkSpec(attrs, kind: kind))
            }
        }
    }

    struct Set: VethCommand {
        static let configuration = CommandConfiguration(abstract: "Change a link.")
        @OptionGroup var ns: NamespaceOption
        @Argument var name: String
        @Flag(help: "Bring it up.") var up = false
        @Flag(help: "Take it down.") var down = false
        @Option(name: .customLong("netns"), help: "Move it into this namespace.") var toNetns: String?
        @Option(help: "Attach to this bridge.") var master: String?
        @Flag(help: "Detach from its bridge.") var nomaster = false
        @Option var mtu: Int?
        @Option(name: .customLong("name"), help: "Rename it.") var newName: String?
        @Option(help: "MAC address.") var address: String?
        @Option(help: "Free-text alias (ifalias).") var alias: String?
        @Option(help: "Link group number.") var group: UInt32?

        func check() throws {
            try ns.check()
            try InterfaceName.validate(name)
            if up && down { throw UsageError("link set \(name): --up and --down together") }
            if master != nil && nomaster { throw UsageError("link set \(name): --master and --nomaster together") }
            if let toNetns { _ = try NamespaceName(toNetns) }
            if let master { try InterfaceName.validate(master) }
            if let newName { try InterfaceName.validate(newName) }
            if let address { _ = try MACAddress(address) }
            _ = try parseMTU(mtu)
            try LinkChange(alias: alias).validate()
        }

        func execute(_ context: Context) throws {
            try step("link set \(name)") {
                let h = try context.handle(ns.name)
                let index = try h.link(named: name).index
                var change = LinkChange(up: up ? true : down ? false : nil, mtu: try parseMTU(mtu),
                                        address: try address.map(MACAddress.init), name: try newName.map(InterfaceName.init),
                                        alias: alias, group: group)
                if let master { change.masterIndex = try h.link(named: master).index }
                if nomaster { change.masterIndex = 0 }
                if let toNetns { change.namespace = try context.namespace(toNetns) }
                try h.setLink(index: index, change)
            }
        }
    }

    struct Del: VethCommand {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete a link (both ends of a veth).",
                                                        aliases: ["delete"])
        @OptionGroup var ns: NamespaceOption
        @Argument var name: String
        func check() throws {
            try ns.check()
            try InterfaceName.validate(name)
        }
        func execute(_ context: Context) throws {
            try step("link del \(name)") { try context.handle(ns.name).deleteLink(named: name) }
        }
    }

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(abstract: "Show links.", aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Argument var name: String?
        @Flag(help: "JSON output with iproute2's key names.") var json = false

        func check() throws {
            try ns.check()
            if let name { try InterfaceName.validate(name) }
        }

        func execute(_ context: Context) throws {
            try step(name.map { "link show \($0)" } ?? "link show") {
                let h = try context.handle(ns.name)
                let all = try h.links()
                let links = name.map { n in all.filter { $0.name == n } } ?? all
                if let name, links.isEmpty { throw NotFound.link(name, in: ns.name) }
                var names: [Int32: String] = [:]
                for l in all { names[l.index] = l.name }
                let out = LinkOutput(names: names, namespaceNames: LinkOutput.namespaceNames(for: links, handle: h))
                emit(json ? JSON.array(links.map(out.json)).text() + "\n" : out.table(links))
            }
        }
    }

    struct Stats: VethCommand {
        static let configuration = CommandConfiguration(abstract: "Per-link packet, byte and drop counters.")
        @OptionGroup var ns: NamespaceOption
        @Argument var name: String?
        @Flag(help: "JSON output (`stats64` as in `ip -j -s link`).") var json = false

        func check() throws {
            try ns.check()
            if let name { try InterfaceName.validate(name) }
        }

        func execute(_ context: Context) throws {
            try step(name.map { "link stats \($0)" } ?? "link stats") {
                let h = try context.handle(ns.name)
                let links = try name.map { [try h.link(named: $0)] } ?? h.links()
                if json {
                    emit(JSON.array(links.map { l in
                        .object([("ifindex", .int(Int64(l.index))), ("ifname", .string(l.name)),
                                 ("stats64", l.statistics.map(LinkOutput.stats) ?? .null)])
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
