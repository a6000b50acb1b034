import VethKitJSON
import ArgumentParser
import VethKit

/// `--table main`, `--table local` or `--table 100`.
extension RouteTable: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Routes: default, via, dev, metric, table.", subcommands: [Add.self, Del.self, Show.self])

    /// The options shared by `route add` and `route del`.
    struct RouteOptions: ParsableArguments {
        @Argument(help: "`default` or a CIDR.") var destination: String
        @Option(help: "The gateway.") var via: String?
        @Option(help: "The output device.") var dev: String?
        @Option var metric: UInt32?
        @Option(help: "The table: main (default), local, default, or a number.") var table: RouteTable?
        @Flag(name: .customShort("6"), help: "With `default`: the IPv6 default route.") var inet6 = false

        /// The route (0.0.0.0/0 or ::/0 for `default`), checked without syscalls.
        func parsed() throws -> Route {
            let gateway = try via.map { try IPAddress(parsing: $0) }
            let dst: IPNetwork
            if destination == "default" {
                dst = .all(inet6 || gateway.map({ !$0.isIPv4 }) == true ? .inet6 : .inet)
            } else {
                dst = try IPNetwork(destination, allowBareAddress: true)
                if inet6 && dst.family != .inet6 { throw InvalidInput("route destination", destination, "is IPv4 but -6 asks for IPv6") }
                if dst.address != dst.network {
                    throw InvalidInput("route destination", destination, "has host bits set (did you mean \(dst.masked)?)")
                }
            }
            if let gateway, gateway.family != dst.family {
                throw InvalidInput("gateway", via!, "is \(gateway.isIPv4 ? "IPv4" : "IPv6") but the destination is \(dst.isIPv4 ? "IPv4" : "IPv6")")
            }
            if via == nil && dev == nil { throw UsageError("route \(destination): give --via or --dev") }
            let device = try dev.map { LinkReference.name(try InterfaceName($0)) }
            return Route(destination: dst, gateway: gateway, device: device, metric: metric, table: table ?? .main)
        }
    }

    /// `route add` and `route del`: the same options, one kernel call apart.
    protocol RouteEdit: VethCommand {
        static var verb: String { get }
        var ns: NamespaceOption { get }
        var options: RouteOptions { get }
        static func apply(_ route: Route, on handle: NetHandle) throws
    }

    struct Add: RouteEdit {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a route.")
        static let verb = "add"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: RouteOptions
        static func apply(_ route: Route, on handle: NetHandle) throws { try handle.addRoute(route) }
    }

    struct Del: RouteEdit {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete a route.", aliases: ["delete"])
        static let verb = "del"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: RouteOptions
        static func apply(_ route: Route, on handle: NetHandle) throws { try handle.deleteRoute(route) }
    }

    /// `--table`: one table by name or number, or `all`.
    enum TableChoice: ExpressibleByArgument {
        case all
        case one(RouteTable)
        init?(argument: String) {
            if argument == "all" { self = .all } else if let t = RouteTable(name: argument) { self = .one(t) } else { return nil }
        }
        var table: RouteTable? { if case .one(let t) = self { t } else { nil } }
    }

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show the main table's routes (IPv4 and IPv6), of every type.", aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Option(help: "Another table: local, default, all, or a number.") var table: TableChoice?
        @Flag(name: .customShort("4"), help: "IPv4 routes only.") var inet4 = false
        @Flag(name: .customShort("6"), help: "IPv6 routes only.") var inet6 = false
        @Flag(help: "JSON output with `ip -j route` key names.") var json = false
        func check() throws {
            try ns.check()
            if inet4 && inet6 { throw UsageError("route show: -4 and -6 exclude each other (give neither for both)") }
        }
        func execute(_ context: Context) throws {
            try step("route show") {
                let h = try context.handle(ns.name)
                let family: AddressFamily = inet4 ? .inet : inet6 ? .inet6 : .unspecified
                let routes = try h.routes(table: (table ?? .one(.main)).table, family: family, type: nil)
                var names: [Int32: String] = [:]
                for l in try h.linksWithoutStatistics() { names[l.index] = l.name }
                if json {
                    emitJSON(JSON.array(routes.map { RouteOutput.json($0, names) }))
                } else {
                    emit(RouteOutput.text(routes, names, withTable: { if case .all? = table { true } else { false } }()))
                }
            }
        }
    }
}

extension RouteCommand.RouteEdit {
    func check() throws {
        try ns.check()
        _ = try options.parsed()
    }

    func execute(_ context: Context) throws {
        try step("route \(Self.verb) \(options.destination)") {
            let h = try context.handle(ns.name)
            try Self.apply(options.parsed(), on: h)
        }
    }
}
