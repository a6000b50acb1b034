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

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the main table's routes (IPv4 and IPv6).", aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Option(help: "Another table: local, default, or a number.") var table: RouteTable?
        @Flag(help: "JSON output with `ip -j route` key names.") var json = false
        func check() throws { try ns.check() }
        func execute(_ context: Context) throws {
            try step("route show") {
                let h = try context.handle(ns.name)
                let routes = try h.routes(table: table ?? .main)
                var names: [Int32: String] = [:]
                for l in try h.linksWithoutStatistics() { names[l.index] = l.name }
                if json {
                    emitJSON(JSON.array(routes.map { Self.json($0, names) }))
                } else {
                    var t = Table("DESTINATION", "GATEWAY", "DEV", "PROTO", "SCOPE", "METRIC")
                    for r in routes {
                        t.add([r.destinationText + (r.family == .inet6 && r.isDefault ? " (v6)" : ""),
                               r.gateway.map { "\($0)" } ?? "-", Self.deviceName(r, names) ?? "-",
                               r.protocol.name, r.scope.name, r.metric.map { String($0) } ?? "-"])
                    }
                    emit(t.text)
                }
            }
        }

        static func json(_ r: Route, _ names: [Int32: String]) -> JSON {
            var o = JSONObject()
            o.set("dst", r.destinationText)
            o.set("gateway", r.gateway.map { "\($0)" })
            o.set("dev", deviceName(r, names))
            if r.table != .main { o.set("table", r.table.name) }
            if r.protocol != .boot { o.set("protocol", r.protocol.name) }
            if r.scope != .universe { o.set("scope", r.scope.name) }
            o.set("prefsrc", r.preferredSource.map { "\($0)" })
            o.set("metric", r.metric)
            o.set("flags", .array([]))
            return o.json
        }

        /// The output device's name (decoded routes carry its index).
        static func deviceName(_ r: Route, _ names: [Int32: String]) -> String? {
            switch r.device {
            case .index(let i)?: names[i]
            case .name(let n)?: n.rawValue
            case nil: nil
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
