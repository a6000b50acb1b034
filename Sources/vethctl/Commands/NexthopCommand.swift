import VethKitJSON
import ArgumentParser
import VethKit

/// `vethctl nexthop`: nexthop objects, as `ip nexthop`.
struct NexthopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nexthop", abstract: "Nexthop objects (routes' shared next hops, `nhid`): show, add, del.",
        discussion: HelpExamples.discussion("nexthop"), subcommands: [Add.self, Del.self, Show.self], defaultSubcommand: Show.self)

    struct Add: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a nexthop object: a gateway on a device, a device, a blackhole or a group.",
            discussion: HelpExamples.discussion("nexthop add"))
        @OptionGroup var ns: NamespaceOption
        @Option(help: "Its id (1 and up).") var id: UInt32
        @Option(help: "The gateway.") var via: String?
        @Option(help: "The device.", completion: Completions.interfaces) var dev: String?
        @Flag(help: "Take the gateway to be on the link even if no address says so.") var onlink = false
        @Flag(help: "Drop the packets.") var blackhole = false
        @Option(help: ArgumentHelp("A group of nexthop ids, as ip writes one: ID[,WEIGHT][/ID[,WEIGHT]]…", valueName: "members")) var group: String?
        @Option(help: "The group type: mpath (default) or resilient.", completion: .list(["mpath", "resilient"])) var type: String?
        @Option(help: "A resilient group's number of buckets.") var buckets: UInt16?
        @Option(name: .customLong("idle-timer"), help: "A resilient group's idle timer, in seconds.") var idleTimer: UInt32?
        @Option(name: .customLong("unbalanced-timer"), help: "A resilient group's unbalanced timer, in seconds.") var unbalancedTimer: UInt32?
        @Flag(help: "A nexthop of a bridge forwarding database (VXLAN).") var fdb = false
        @Option(help: "Who made it: static, boot, vethkit… or a number.") var `protocol`: String?
        @Flag(name: .customShort("6"), help: "An IPv6 blackhole or device nexthop.") var inet6 = false

        /// `1,3/4`: members separated by `/`, each an id with an optional `,weight`.
        static func members(_ text: String) throws -> [NextHopGroupMember] {
            try text.split(separator: "/", omittingEmptySubsequences: false).map { part in
                let f = part.split(separator: ",", omittingEmptySubsequences: false)
                guard f.count <= 2, let id = UInt32(f[0]), let w = f.count == 2 ? Int(f[1]) : 1 else {
                    throw InvalidInput("group", text, "is not ID[,WEIGHT][/ID[,WEIGHT]]… (e.g. 1,3/4)")
                }
                return NextHopGroupMember(id: id, weight: w)
            }
        }

        func nexthop() throws -> NextHopObject {
            let gateway = try via.map { try IPAddress(parsing: $0) }
            let device = try dev.map { LinkReference.name(try InterfaceName($0)) }
            var n = NextHopObject(id: id, family: inet6 ? .inet6 : nil, gateway: gateway, device: device, blackhole: blackhole,
                                  onlink: onlink, group: try group.map(Self.members) ?? [], fdb: fdb)
            if let gateway, inet6, gateway.isIPv4 { throw InvalidInput("gateway", via!, "is IPv4 but -6 asks for IPv6") }
            if let type {
                switch type {
                case "mpath": n.groupType = .multipath
                case "resilient": n.groupType = .resilient
                default: throw InvalidInput("group type", type, "is not mpath or resilient")
                }
            }
            if buckets != nil || idleTimer != nil || unbalancedTimer != nil || n.groupType == .resilient {
                n.resilient = ResilientGroupParameters(buckets: buckets, idleTimer: idleTimer, unbalancedTimer: unbalancedTimer)
            }
            if let p = `protocol` {
                n.protocol = try RouteProtocol(name: p).orThrow(InvalidInput("protocol", p, "is not a protocol name (boot, static, kernel, vethkit…) or a number 0-255"))
            }
            try n.validate()
            return n
        }

        func check() throws {
            try ns.check()
            _ = try nexthop()
        }

        func execute(_ context: Context) throws {
            try step("nexthop add id \(id)") { try context.handle(ns.name).addNextHop(try nexthop()) }
        }
    }

    struct Del: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "del", abstract: "Delete a nexthop object (the routes using it go too, as in the kernel).",
            discussion: HelpExamples.discussion("nexthop del"), aliases: ["delete"])
        @OptionGroup var ns: NamespaceOption
        @Option(help: "Its id.") var id: UInt32

        func check() throws {
            try ns.check()
            if id == 0 { throw InvalidInput("nexthop id", "0", "is not 1-4294967295") }
        }

        func execute(_ context: Context) throws {
            try step("nexthop del id \(id)") { try context.handle(ns.name).deleteNextHop(id: id) }
        }
    }

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show the nexthop objects (every family, as ip nexthop show).",
            discussion: HelpExamples.discussion("nexthop show"), aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Flag(help: "JSON output with `ip -j nexthop` key names.") var json = false

        func check() throws { try ns.check() }

        func execute(_ context: Context) throws {
            try step("nexthop show") {
                let h = try context.handle(ns.name)
                var names: [Int32: String] = [:]
                for l in try h.linksWithoutStatistics() { names[l.index] = l.name }
                let list = try h.nexthops()
                if json { emitJSON(JSON.array(list.map { NexthopOutput.json($0, names) })) } else { emit(NexthopOutput.text(list, names)) }
            }
        }
    }
}
