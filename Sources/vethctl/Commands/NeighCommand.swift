import VethKitJSON
import ArgumentParser
import VethKit

/// `vethctl neigh`: the ARP / NDP table, as `ip neigh`.
struct NeighCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neigh", abstract: "Neighbour (ARP / NDP) entries: show, add, replace, del.", discussion: HelpExamples.discussion("neigh"),
        subcommands: [Add.self, Replace.self, Del.self, Show.self], defaultSubcommand: Show.self, aliases: ["neighbour", "neighbor"])

    /// The words shared by add, replace and del: `ADDRESS --dev D [--lladdr MAC] [--nud STATE] [--router] [--proxy]`.
    struct EntryOptions: ParsableArguments {
        @Argument(help: "The neighbour's IP address.") var address: String
        @Option(help: "The link it is on.", completion: Completions.interfaces) var dev: String
        @Option(help: "Its link-layer (MAC) address.") var lladdr: String?
        @Option(help: "The state: permanent (default), noarp, reachable, stale, none, incomplete, delay, probe, failed.",
                completion: .list(Neighbour.stateWords.map(\.0))) var nud: String?
        @Flag(help: "An IPv6 router (NTF_ROUTER).") var router = false
        @Flag(help: "A proxy entry: answer ARP/NDP for the address on the link (no --lladdr).") var proxy = false

        func entry(forDelete: Bool) throws -> Neighbour {
            let destination = try IPAddress(parsing: address)
            let mac = try lladdr.map { try MACAddress(entryAddress: $0, field: "lladdr") }
            var state = Neighbour.permanent
            if let nud {
                guard let s = Neighbour.stateWords.first(where: { $0.0 == nud.lowercased() })?.1 else {
                    throw InvalidInput("nud", nud, "is not one of \(Neighbour.stateWords.map(\.0).joined(separator: ", "))")
                }
                state = s
            }
            let n = Neighbour(destination: destination, linkLayerAddress: mac, state: state, router: router, proxy: proxy)
            if !forDelete { try n.validate() }
            try InterfaceName.validate(dev)
            return n
        }
    }

    protocol NeighEdit: VethCommand {
        static var verb: String { get }
        var ns: NamespaceOption { get }
        var options: EntryOptions { get }
        static func apply(_ entry: Neighbour, on device: LinkReference, handle: NetHandle) throws
    }

    struct Add: NeighEdit {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a neighbour entry (permanent by default, as ip neigh add).",
                                                        discussion: HelpExamples.discussion("neigh add"))
        static let verb = "add"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: EntryOptions
        static func apply(_ entry: Neighbour, on device: LinkReference, handle: NetHandle) throws { try handle.addNeighbour(entry, on: device) }
    }

    struct Replace: NeighEdit {
        static let configuration = CommandConfiguration(commandName: "replace", abstract: "Add a neighbour entry or change the one of that address.",
                                                        discussion: HelpExamples.discussion("neigh replace"))
        static let verb = "replace"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: EntryOptions
        static func apply(_ entry: Neighbour, on device: LinkReference, handle: NetHandle) throws { try handle.addNeighbour(entry, on: device, replace: true) }
    }

    struct Del: NeighEdit {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete the neighbour entry of an address on a link.",
                                                        discussion: HelpExamples.discussion("neigh del"), aliases: ["delete"])
        static let verb = "del"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: EntryOptions
        static func apply(_ entry: Neighbour, on device: LinkReference, handle: NetHandle) throws { try handle.deleteNeighbour(entry, on: device) }
    }

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show neighbour entries (as ip neigh show: noarp and none entries only with --nud all).",
            discussion: HelpExamples.discussion("neigh show"), aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Argument(help: "Only the entry of this address, or of addresses in this CIDR.") var prefix: String?
        @Option(help: "Only entries on this link.", completion: Completions.interfaces) var dev: String?
        @Option(help: "Only entries in this state, or `all`.", completion: .list(["all"] + Neighbour.stateWords.map(\.0))) var nud: String?
        @Flag(help: "The proxy entries (ip neigh show proxy).") var proxy = false
        @Flag(name: .customShort("4"), help: "IPv4 (ARP) only.") var inet4 = false
        @Flag(name: .customShort("6"), help: "IPv6 (NDP) only.") var inet6 = false
        @Flag(name: [.customShort("s"), .long], help: "Times since last used, confirmed, updated, and probes (as ip -s neigh).") var statistics = false
        @Flag(help: "JSON output with `ip -j neigh` key names.") var json = false

        /// The state filter: nil for ip's default (all but noarp and none), or the bits to keep.
        func stateFilter() throws -> UInt16?? {
            guard let nud else { return .none }
            if nud == "all" { return .some(nil) }
            guard let s = Neighbour.stateWords.first(where: { $0.0 == nud.lowercased() })?.1 else {
                throw InvalidInput("nud", nud, "is not all or one of \(Neighbour.stateWords.map(\.0).joined(separator: ", "))")
            }
            return .some(s)
        }

        func check() throws {
            try ns.check()
            if inet4 && inet6 { throw UsageError("neigh show: -4 and -6 exclude each other (give neither for both)") }
            if let dev { try InterfaceName.validate(dev) }
            if let prefix { _ = try IPNetwork(prefix, allowBareAddress: true) }
            _ = try stateFilter()
        }

        func execute(_ context: Context) throws {
            let filter = try stateFilter()
            let within = try prefix.map { try IPNetwork($0, allowBareAddress: true).masked }
            try step("neigh show") {
                let h = try context.handle(ns.name)
                var names: [Int32: String] = [:]
                for l in try h.linksWithoutStatistics() { names[l.index] = l.name }
                if let dev, !names.values.contains(dev) { _ = try h.link(named: InterfaceName(dev)) }   // names the missing link
                let family: AddressFamily = inet4 ? .inet : inet6 ? .inet6 : .unspecified
                let list = try h.neighbours(family: family, proxy: proxy).filter { n in
                    if let dev, names[n.linkIndex] != dev { return false }
                    if let within, let d = n.destination, !within.contains(d) { return false }
                    if proxy { return true }
                    switch filter {
                    case .none: return n.state & Neighbour.noARP == 0 && n.state != 0   // ip's default
                    case .some(nil): return true
                    case .some(let bits?): return bits == 0 ? n.state == 0 : n.state & bits != 0
                    }
                }
                if json {
                    emitJSON(JSON.array(list.map { NeighbourOutput.json($0, dev: names[$0.linkIndex], statistics: statistics) }))
                } else {
                    emit(NeighbourOutput.text(list, names, statistics: statistics))
                }
            }
        }
    }
}

extension NeighCommand.NeighEdit {
    func check() throws {
        try ns.check()
        _ = try options.entry(forDelete: Self.verb == "del")
    }

    func execute(_ context: Context) throws {
        try step("neigh \(Self.verb) \(options.address) dev \(options.dev)") {
            let entry = try options.entry(forDelete: Self.verb == "del")
            try Self.apply(entry, on: .name(try InterfaceName(options.dev)), handle: try context.handle(ns.name))
        }
    }
}
