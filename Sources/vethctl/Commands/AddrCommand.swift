import VethKitJSON
import ArgumentParser
import Glibc
import VethKit

struct AddrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "addr", abstract: "IPv4 and IPv6 addresses.", subcommands: [Add.self, Del.self, Show.self], defaultSubcommand: Show.self,
        aliases: ["address"])

    /// `addr add` and `addr del`: a CIDR and a device.
    protocol AddrEdit: VethCommand {
        static var verb: String { get }
        var ns: NamespaceOption { get }
        var cidr: String { get }
        var dev: String { get }
        func apply(_ network: IPNetwork, on handle: NetHandle) throws
    }

    struct Add: AddrEdit {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an address (CIDR) to a link.")
        static let verb = "add"
        @OptionGroup var ns: NamespaceOption
        @Argument var cidr: String
        @Option var dev: String
        @Flag(help: "IPv6: skip duplicate address detection.") var nodad = false
        func apply(_ network: IPNetwork, on handle: NetHandle) throws { try handle.addAddress(network, to: .name(InterfaceName(dev)), noDAD: nodad) }
    }

    struct Del: AddrEdit {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Remove an address from a link.",
                                                        aliases: ["delete"])
        static let verb = "del"
        @OptionGroup var ns: NamespaceOption
        @Argument var cidr: String
        @Option var dev: String
        func apply(_ network: IPNetwork, on handle: NetHandle) throws { try handle.deleteAddress(network, from: .name(InterfaceName(dev))) }
    }

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show addresses.", aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Option var dev: String?
        @Flag(help: "JSON output shaped as `ip -j addr show`.") var json = false
        func check() throws {
            try ns.check()
            if let dev { try InterfaceName.validate(dev) }
        }
        func execute(_ context: Context) throws {
            try step("addr show") {
                let h = try context.handle(ns.name)
                let links = try dev.map { [try h.link(named: InterfaceName($0))] } ?? h.linksWithoutStatistics()
                let addrs = try h.addresses()
                var byLink: [Int32: [Address]] = [:]
                for a in addrs { byLink[a.linkIndex, default: []].append(a) }
                if json {
                    emit(JSON.array(links.map { l in
                        var o = JSONObject()
                        o.set("ifindex", l.index)
                        o.set("ifname", l.name)
                        o.set("flags", .array(l.flags.names.map { .string($0) }))
                        o.set("mtu", l.mtu)
                        o.set("operstate", l.operationalState.description)
                        o.set("address", l.address?.description)
                        o.set("addr_info", .array((byLink[l.index] ?? []).map(Self.json)))
                        return o.json
                    }).text() + "\n")
                } else {
                    var t = Table("DEV", "FAMILY", "ADDRESS", "SCOPE", "FLAGS")
                    for l in links {
                        for a in byLink[l.index] ?? [] {
                            t.add([l.name, a.network.family.name, "\(a.network)", a.scopeName,
                                   a.isTentative ? "tentative" : "-"])
                        }
                    }
                    emit(t.text)
                }
            }
        }

        static func json(_ a: Address) -> JSON {
            var o = JSONObject()
            o.set("family", a.network.family.name)
            o.set("local", "\(a.network.address)")
            if let p = a.peer { o.set("address", "\(p)") }
            o.set("prefixlen", a.network.prefixLength)
            o.set("broadcast", a.broadcast.map { "\($0)" })
            o.set("scope", a.scopeName)
            if a.isTentative { o.set("tentative", .bool(true)) }
            o.set("label", a.label)
            return o.json
        }
    }
}

extension AddrCommand.AddrEdit {
    func check() throws {
        try ns.check()
        _ = try IPNetwork(cidr)
        try InterfaceName.validate(dev)
    }

    func execute(_ context: Context) throws {
        try step("addr \(Self.verb) \(cidr) dev \(dev)") {
            try apply(IPNetwork(cidr), on: context.handle(ns.name))
        }
    }
}
