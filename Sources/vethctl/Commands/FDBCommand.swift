import VethKitJSON
import ArgumentParser
import VethKit

/// `vethctl fdb`: bridge forwarding database entries, as `bridge fdb`.
struct FDBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fdb", abstract: "Bridge forwarding database entries (as bridge fdb): show, add, append, replace, del.",
        discussion: HelpExamples.discussion("fdb"), subcommands: [Add.self, Append.self, Replace.self, Del.self, Show.self], defaultSubcommand: Show.self)

    /// `MAC --dev D [--master|--self] [--permanent|--static|--dynamic] [--sticky] [--vlan N] [--dst IP] [--port N] [--vni N]`.
    struct EntryOptions: ParsableArguments {
        @Argument(help: "The MAC address.") var mac: String
        @Option(help: "The bridge port or device.", completion: Completions.interfaces) var dev: String
        @Flag(help: "In the bridge's table (the port's master).") var master = false
        @Flag(name: .customLong("self"), help: "In the device's own table (the default, as bridge fdb).") var ownTable = false
        @Option(help: "permanent (default), static or dynamic.", completion: .list(FDBState.allCases.map(\.rawValue))) var state: String?
        @Flag(help: "The address may not move to another port.") var sticky = false
        @Option(help: "The VLAN (1-4094).") var vlan: UInt16?
        @Option(help: "A vxlan entry's remote IP.") var dst: String?
        @Option(help: "A vxlan entry's UDP port.") var port: UInt16?
        @Option(help: "A vxlan entry's VNI (0-16777215).") var vni: UInt32?

        func entry() throws -> FDBEntry {
            let address = try MACAddress(entryAddress: mac)
            if master && ownTable { throw UsageError("fdb: --master and --self exclude each other") }
            let s = try state.map { try FDBState(rawValue: $0).orThrow(InvalidInput("state", $0, "is not permanent, static or dynamic")) } ?? .permanent
            if let vlan, !(1...4094).contains(vlan) { throw InvalidInput("vlan", String(vlan), "is not in 1…4094") }
            if let vni, vni > 0xff_ffff { throw InvalidInput("vni", String(vni), "is not in 0…16777215") }
            try InterfaceName.validate(dev)
            var e = FDBEntry(mac: address, master: master, state: s, sticky: sticky, vlan: vlan,
                             destination: try dst.map { try IPAddress(parsing: $0) })
            e.port = port
            e.vni = vni
            return e
        }
    }

    protocol Edit: VethCommand {
        static var verb: String { get }
        var ns: NamespaceOption { get }
        var options: EntryOptions { get }
        static func apply(_ e: FDBEntry, _ dev: LinkReference, _ h: NetHandle) throws
    }

    struct Add: Edit {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an fdb entry.", discussion: HelpExamples.discussion("fdb add"))
        static let verb = "add"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: EntryOptions
        static func apply(_ e: FDBEntry, _ dev: LinkReference, _ h: NetHandle) throws { try h.addFDB(e, on: dev) }
    }

    struct Append: Edit {
        static let configuration = CommandConfiguration(commandName: "append", abstract: "Add another remote for an address (a vxlan's flooding list).",
                                                        discussion: HelpExamples.discussion("fdb append"))
        static let verb = "append"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: EntryOptions
        static func apply(_ e: FDBEntry, _ dev: LinkReference, _ h: NetHandle) throws { try h.addFDB(e, on: dev, append: true) }
    }

    struct Replace: Edit {
        static let configuration = CommandConfiguration(commandName: "replace", abstract: "Add an fdb entry or change the one of that address.",
                                                        discussion: HelpExamples.discussion("fdb replace"))
        static let verb = "replace"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: EntryOptions
        static func apply(_ e: FDBEntry, _ dev: LinkReference, _ h: NetHandle) throws { try h.addFDB(e, on: dev, replace: true) }
    }

    struct Del: Edit {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete an fdb entry.", discussion: HelpExamples.discussion("fdb del"),
                                                        aliases: ["delete"])
        static let verb = "del"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: EntryOptions
        static func apply(_ e: FDBEntry, _ dev: LinkReference, _ h: NetHandle) throws { try h.deleteFDB(e, on: dev) }
    }

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show fdb entries (as bridge fdb show).",
                                                        discussion: HelpExamples.discussion("fdb show"), aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Option(help: "Only the entries of this bridge's table.", completion: Completions.interfaces) var br: String?
        @Option(help: "Only the entries of this port or device.", completion: Completions.interfaces) var dev: String?
        @Option(help: "Only entries of this VLAN.") var vlan: UInt16?
        @Option(help: "Only entries in this state: permanent, static, stale, dynamic.", completion: .list(["permanent", "static", "stale", "dynamic"])) var state: String?
        @Flag(name: [.customShort("s"), .long], help: "Seconds since last used and updated (as bridge -s fdb).") var statistics = false
        @Flag(help: "JSON output with `bridge -j fdb` key names.") var json = false

        /// The NUD bits `--state` keeps, as bridge's state_a2n maps its words.
        func stateBits() throws -> UInt16? {
            try state.map { s in
                try FDBEntry.stateFilters.first { $0.0 == s }.map(\.1).orThrow(InvalidInput("state", s, "is not permanent, static, stale or dynamic"))
            }
        }

        func check() throws {
            try ns.check()
            for d in [br, dev].compactMap({ $0 }) { try InterfaceName.validate(d) }
            _ = try stateBits()
        }

        func execute(_ context: Context) throws {
            let bits = try stateBits()
            try step("fdb show") {
                let h = try context.handle(ns.name)
                var names: [Int32: String] = [:]
                for l in try h.linksWithoutStatistics() { names[l.index] = l.name }
                let list = try h.fdb(master: try br.map { .name(try InterfaceName($0)) }, device: try dev.map { .name(try InterfaceName($0)) })
                    .filter { e in (vlan == nil || (e.vlan ?? 0) == vlan) && (bits == nil || e.state & bits! != 0) }
                if json { emitJSON(JSON.array(list.map { FDBOutput.json($0, names, statistics: statistics) })) }
                else { emit(FDBOutput.text(list, names, statistics: statistics)) }
            }
        }
    }
}

extension FDBCommand.Edit {
    func check() throws {
        try ns.check()
        _ = try options.entry()
    }

    func execute(_ context: Context) throws {
        try step("fdb \(Self.verb) \(options.mac) dev \(options.dev)") {
            try Self.apply(try options.entry(), .name(try InterfaceName(options.dev)), try context.handle(ns.name))
        }
    }
}
