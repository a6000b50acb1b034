import VethKitJSON
import ArgumentParser
import CLinuxUAPI
import Glibc
import VethKit

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Routes: default, via, dev, metric, table.", subcommands: [Add.self, Del.self, Show.self])

    /// The options shared by `route add` and `route del`.
    struct RouteOptions: ParsableArguments {
        @Argument(help: "`default` or a CIDR.") var destination: String
        @Option(help: "The gateway.") var via: String?
        @Option(help: "The output device.") var dev: String?
        @Option var metric: UInt32?
        @Option var table: UInt32?
        @Flag(name: .customShort("6"), help: "With `default`: the IPv6 default route.") var inet6 = false

        /// The destination prefix (nil for default) and family, checked without syscalls.
        func parsed() throws -> (IPNetwork?, Int32, IPAddress?) {
            let gateway = try via.map { try IPAddress(parsing: $0) }
            var dst: IPNetwork?
            var family: Int32
            if destination == "default" {
                family = inet6 || gateway.map({ !$0.isIPv4 }) == true ? AF_INET6 : AF_INET
            } else {
                dst = try IPNetwork(destination, allowBareAddress: true)
                family = dst!.address.family
                if inet6 && family != AF_INET6 { throw InvalidInput("route destination", destination, "is IPv4 but -6 asks for IPv6") }
                if dst!.address != dst!.network {
                    throw InvalidInput("route destination", destination, "has host bits set (did you mean \(dst!.masked)?)")
                }
            }
            if let gateway, gateway.family != family {
                throw InvalidInput("gateway", via!, "is \(gateway.isIPv4 ? "IPv4" : "IPv6") but the destination is \(family == AF_INET ? "IPv4" : "IPv6")")
            }
            if via == nil && dev == nil { throw UsageError("route \(destination): give --via or --dev") }
            if let dev { try InterfaceName.validate(dev) }
            return (dst, family, gateway)
        }

        func route(_ h: NetHandle) throws -> Route {
            let (dst, family, gateway) = try parsed()
            let oif = try dev.map { try h.link(named: $0).index }
            return Route(destination: dst, family: family, gateway: gateway, outputIndex: oif, metric: metric,
                         table: table ?? Route.mainTable)
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
        @Option(help: "Another table.") var table: UInt32?
        @Flag(help: "JSON output with `ip -j route` key names.") var json = false
        func check() throws { try ns.check() }
        func execute(_ context: Context) throws {
            try step("route show") {
                let h = try context.handle(ns.name)
                let routes = try h.routes(table: table ?? Route.mainTable)
                var names: [Int32: String] = [:]
                for l in try h.links() { names[l.index] = l.name }
                if json {
                    emitJSON(JSON.array(routes.map { Self.json($0, names) }))
                } else {
                    var t = Table("DESTINATION", "GATEWAY", "DEV", "PROTO", "SCOPE", "METRIC")
                    for r in routes {
                        t.add([r.destinationText + (r.family == AF_INET6 && r.isDefault ? " (v6)" : ""),
                               r.gateway.map { "\($0)" } ?? "-", r.outputIndex.flatMap { names[$0] } ?? "-",
                               Self.protocolName(r.protocolID), Self.scopeName(r.scope), r.metric.map { String($0) } ?? "-"])
                    }
                    emit(t.text)
                }
            }
        }

        static func json(_ r: Route, _ names: [Int32: String]) -> JSON {
            var o = JSONObject()
            o.set("dst", r.destinationText)
            o.set("gateway", r.gateway.map { "\($0)" })
            o.set("dev", r.outputIndex.flatMap { names[$0] })
            if r.table != Route.mainTable { o.set("table", String(r.table)) }
            if r.protocolID != UInt8(RTPROT_BOOT) { o.set("protocol", protocolName(r.protocolID)) }
            if r.scope != UInt8(RT_SCOPE_UNIVERSE.rawValue) { o.set("scope", scopeName(r.scope)) }
            o.set("prefsrc", r.preferredSource.map { "\($0)" })
            o.set("metric", r.metric)
            o.set("flags", .array([]))
            return o.json
        }

        static func protocolName(_ p: UInt8) -> String {
            if p == Route.vethkitProtocol { return "vethkit" }   // a topology's routes
            return switch Int32(p) {
            case RTPROT_KERNEL: "kernel"
            case RTPROT_BOOT: "boot"
            case RTPROT_STATIC: "static"
            case RTPROT_RA: "ra"
            case RTPROT_DHCP: "dhcp"
            default: String(p)
            }
        }

        static func scopeName(_ s: UInt8) -> String {
            switch UInt32(s) {
            case RT_SCOPE_UNIVERSE.rawValue: "global"
            case RT_SCOPE_LINK.rawValue: "link"
            case RT_SCOPE_HOST.rawValue: "host"
            default: String(s)
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
            try Self.apply(options.route(h), on: h)
        }
    }
}
