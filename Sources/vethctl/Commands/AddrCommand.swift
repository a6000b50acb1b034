import VethKitJSON
import ArgumentParser
import Glibc
import VethKit

struct AddrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "addr", abstract: "IPv4 and IPv6 addresses.", discussion: HelpExamples.discussion("addr"), subcommands: [Add.self, Del.self, Show.self], defaultSubcommand: Show.self,
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
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an address (CIDR) to a link.", discussion: HelpExamples.discussion("addr add"))
        static let verb = "add"
        @OptionGroup var ns: NamespaceOption
        @Argument var cidr: String
        @Option(completion: Completions.interfaces) var dev: String
        @Flag(help: "IPv6: skip duplicate address detection.") var nodad = false
        func apply(_ network: IPNetwork, on handle: NetHandle) throws { try handle.addAddress(network, to: .name(InterfaceName(dev)), noDAD: nodad) }
    }

    struct Del: AddrEdit {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Remove an address from a link.", discussion: HelpExamples.discussion("addr del"),
                                                        aliases: ["delete"])
        static let verb = "del"
        @OptionGroup var ns: NamespaceOption
        @Argument var cidr: String
        @Option(completion: Completions.interfaces) var dev: String
        func apply(_ network: IPNetwork, on handle: NetHandle) throws { try handle.deleteAddress(network, from: .name(InterfaceName(dev))) }
    }

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show addresses.", discussion: HelpExamples.discussion("addr show"), aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Option(completion: Completions.interfaces) var dev: String?
        @Flag(help: "JSON output shaped as `ip -j addr show`.") var json = false
        func check() throws {
            try ns.check()
            if let dev { try InterfaceName.validate(dev) }
        }
        func execute(_ context: Context) throws {
            try step("addr show") {
                let h = try context.handle(ns.name)
                let all = try h.linksWithoutStatistics()
                // --dev: from the dump already made (a lookup only to name a missing one).
                let links = try dev.map { d in try [all.first { $0.name == d } ?? h.link(named: InterfaceName(d))] } ?? all
                var byLink: [Int32: [Address]] = [:]
                for a in try h.addresses() { byLink[a.linkIndex, default: []].append(a) }
                let out = AddressOutput(links: LinkOutput(names: Dictionary(all.map { ($0.index, $0.name) }) { a, _ in a },
                                                          namespaceNames: LinkOutput.namespaceNames(for: links, handle: h),
                                                          downIndexes: Set(all.filter { !$0.isUp }.map(\.index))))
                if json { emitJSON(out.json(links, byLink)) } else { emit(out.table(links, byLink)) }
            }
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
