import VethKitJSON
import ArgumentParser
import VethKit

/// `--table main`, `--table local` or `--table 100`.
extension RouteTable: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Routes of every type: unicast, blackhole, local…, multipath; via, dev, src, metric, table, scope.", discussion: HelpExamples.discussion("route"), subcommands: [Add.self, Replace.self, Del.self, Show.self, Get.self], defaultSubcommand: Show.self)

    /// The options shared by `route add` and `route del`: iproute2's words as options.
    struct RouteOptions: ParsableArguments {
        @Argument(help: ArgumentHelp("[TYPE] DESTINATION: `default` or a CIDR, after an optional type (unicast, blackhole, unreachable, prohibit, throw, local, broadcast, multicast, anycast).",
                                     valueName: "type-or-destination"))
        var words: [String] = []
        @Option(help: "The gateway.") var via: String?
        @Option(help: "The output device.", completion: Completions.interfaces) var dev: String?
        @Option var metric: UInt32?
        @Option(help: "The table: main (default; local for local, broadcast and anycast routes), local, default, or a number.") var table: RouteTable?
        @Option(help: "The preferred source address (`src`).") var src: String?
        @Option(help: "The scope: global, site, link, host or a number (default as ip route picks it).", completion: .list(["global", "site", "link", "host"])) var scope: String?
        @Option(help: "The protocol: boot (default), static, kernel, vethkit… or a number; with del, only a route of this protocol is deleted.") var `protocol`: String?
        @Flag(help: "Take the gateway to be on the link even if no address says so.") var onlink = false
        @Option(help: ArgumentHelp("A next hop of a multipath route, as ip writes one: \"via GW dev DEV weight W onlink\" (repeat for each).",
                                   valueName: "words"))
        var nexthop: [String] = []
        @Option(help: "Use a nexthop object (made with `ip nexthop add id ID …`) as the route's next hop(s).") var nhid: UInt32?
        @Flag(name: .customShort("6"), help: "With `default`: the IPv6 default route.") var inet6 = false

        /// The route type and the destination text from the positional words.
        func typeAndDestination() throws -> (RouteType, String) {
            switch words.count {
            case 1: return (.unicast, words[0])
            case 2:
                guard let t = RouteType(name: words[0]), t.rawValue != 0, RouteType.names.contains(where: { $0.0 == t }) else {
                    throw InvalidInput("route type", words[0], "is not one of unicast, blackhole, unreachable, prohibit, throw, local, broadcast, multicast, anycast")
                }
                return (t, words[1])
            case 0: throw UsageError("route: give a destination (`default` or a CIDR)")
            default: throw UsageError("route: give at most a type and a destination (got \(words.count) words; options start with --)")
            }
        }

        /// The route (0.0.0.0/0 or ::/0 for `default`), checked without syscalls. A route to add
        /// needs a way out (`--via`, `--dev`, `--nexthop`) unless its type drops packets; one to
        /// delete may name only its destination, as `ip route del PREFIX` (the kernel deletes the
        /// first route of that prefix, of the type given if any).
        func parsed(forDelete: Bool = false) throws -> Route {
            let (type, destination) = try typeAndDestination()
            let gateway = try via.map { try IPAddress(parsing: $0) }
            let hops = try nexthop.map(Self.nextHop)
            let firstGateway = gateway ?? hops.lazy.compactMap(\.gateway).first
            let dst: IPNetwork
            if destination == "default" {
                dst = .all(inet6 || firstGateway.map({ !$0.isIPv4 }) == true ? .inet6 : .inet)
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
            let delivers = ![RouteType.blackhole, .unreachable, .prohibit, .throw].contains(type)
            if delivers && !forDelete && via == nil && dev == nil && hops.isEmpty && nhid == nil {
                throw UsageError("route \(destination): give --via, --dev, --nexthop or --nhid")
            }
            let device = try dev.map { LinkReference.name(try InterfaceName($0)) }
            let source = try src.map { try IPAddress(parsing: $0) }
            let scopeValue = try scope.map { s in
                guard let v = RouteScope(name: s) else { throw InvalidInput("scope", s, "is not global, site, link, host or a number 0–255") }
                return v
            }
            let protocolValue = try `protocol`.map { p in
                guard let v = RouteProtocol(name: p) else { throw InvalidInput("protocol", p, "is not a protocol name (boot, static, kernel, vethkit…) or a number 0–255") }
                return v
            }
            let route = Route(destination: dst, gateway: gateway, device: device, metric: metric, table: table,
                              protocol: protocolValue ?? .boot, scope: scopeValue, type: type, preferredSource: source,
                              nexthops: hops, flags: onlink ? .onlink : [], nexthopID: nhid)
            if !forDelete || via != nil || dev != nil || !hops.isEmpty || nhid != nil { try route.validate() }
            return route
        }

        /// One `--nexthop`: `via GW`, `dev DEV`, `weight W` (1–256), `onlink`, in any order.
        static func nextHop(_ text: String) throws -> RouteNextHop {
            var hop = RouteNextHop()
            var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)[...]
            if words.isEmpty { throw InvalidInput("next hop", text, "is empty (give \"via GW dev DEV weight W\")") }
            func value(_ key: String) throws -> String {
                guard let v = words.popFirst() else { throw InvalidInput("next hop", text, "ends after `\(key)` (a value is missing)") }
                return v
            }
            var seen = Set<String>()
            while let word = words.popFirst() {
                guard seen.insert(word).inserted else { throw InvalidInput("next hop", text, "gives `\(word)` twice") }
                switch word {
                case "via": hop.gateway = try IPAddress(parsing: try value(word))
                case "dev": hop.device = .name(try InterfaceName(try value(word)))
                case "weight":
                    let w = try value(word)
                    // The range (1–256) is Route.validate's.
                    guard let n = Int(w) else { throw InvalidInput("next hop weight", w, "is not a number in 1…256") }
                    hop.weight = n
                case "onlink": hop.flags.insert(.onlink)
                default: throw InvalidInput("next hop", text, "has `\(word)` (expected via, dev, weight or onlink)")
                }
            }
            return hop
        }
    }

    /// `route add` and `route del`: the same options, one kernel call apart.
    protocol RouteEdit: VethCommand {
        static var verb: String { get }
        var ns: NamespaceOption { get }
        var options: RouteOptions { get }
        static func apply(_ route: Route, options: RouteOptions, on handle: NetHandle) throws
        /// The metrics to set (add and replace; del takes none).
        func metrics() throws -> RouteMetrics
    }

    struct Add: RouteEdit {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a route.", discussion: HelpExamples.discussion("route add"))
        static let verb = "add"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: RouteOptions
        @OptionGroup(title: "Metrics (as ip route add's mtu, advmss, initcwnd…)") var metricOptions: RouteMetricOptions
        func metrics() throws -> RouteMetrics { try metricOptions.metrics() }
        static func apply(_ route: Route, options: RouteOptions, on handle: NetHandle) throws { try handle.addRoute(route) }
    }

    struct Replace: RouteEdit {
        static let configuration = CommandConfiguration(
            commandName: "replace", abstract: "Add a route, or change the one of the same destination, table and metric (as ip route replace).", discussion: HelpExamples.discussion("route replace"))
        static let verb = "replace"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: RouteOptions
        @OptionGroup(title: "Metrics (as ip route replace's mtu, advmss, initcwnd…)") var metricOptions: RouteMetricOptions
        func metrics() throws -> RouteMetrics { try metricOptions.metrics() }
        static func apply(_ route: Route, options: RouteOptions, on handle: NetHandle) throws { try handle.replaceRoute(route) }
    }

    struct Del: RouteEdit {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete a route.", discussion: HelpExamples.discussion("route del"), aliases: ["delete"])
        static let verb = "del"
        @OptionGroup var ns: NamespaceOption
        @OptionGroup var options: RouteOptions
        func metrics() throws -> RouteMetrics { RouteMetrics() }
        /// With `--protocol`, only a route of that protocol is deleted (as `ip route del … proto P`).
        static func apply(_ route: Route, options: RouteOptions, on handle: NetHandle) throws {
            try handle.deleteRoute(route, matchingProtocol: options.protocol != nil)
        }
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
            commandName: "show", abstract: "Show the main table's routes (IPv4 and IPv6), of every type; selectors as ip route show's.", discussion: HelpExamples.discussion("route show"), aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Argument(help: "Only the route to exactly this prefix (`default` or a CIDR), as `ip route show PREFIX`.") var prefix: String?
        @Option(help: "Another table: local, default, all, or a number.", completion: .list(["main", "local", "default", "all"])) var table: TableChoice?
        @Option(help: "Only routes out of this device (as ip: not multipath routes, whose devices are their next hops').",
                completion: Completions.interfaces) var dev: String?
        @Option(help: "Only routes of this protocol (kernel, boot, static, vethkit… or a number).",
                completion: .list(["kernel", "boot", "static", "vethkit", "redirect", "dhcp"])) var `protocol`: String?
        @Option(help: "Only routes of this type (unicast, blackhole, local…).",
                completion: .list(["unicast", "blackhole", "unreachable", "prohibit", "throw", "local", "broadcast", "multicast", "anycast"])) var type: String?
        @Option(help: "Only routes of this scope (global, link, host or a number).", completion: .list(["global", "site", "link", "host"])) var scope: String?
        @Flag(name: .customShort("4"), help: "IPv4 routes only.") var inet4 = false
        @Flag(name: .customShort("6"), help: "IPv6 routes only.") var inet6 = false
        @Flag(help: "JSON output with `ip -j route` key names.") var json = false

        /// The selectors, parsed without syscalls.
        struct Selection {
            var prefix: IPNetwork?, defaultOnly = false, device: String?, routeProtocol: RouteProtocol?, type: RouteType?, scope: RouteScope?
            func admits(_ r: Route, _ names: [Int32: String]) -> Bool {
                if defaultOnly && !r.isDefault { return false }
                if let prefix, r.destination != prefix { return false }
                if let routeProtocol, r.protocol != routeProtocol { return false }
                if let type, r.type != type { return false }
                if let scope, r.scope != scope { return false }
                // As ip: the route's own device (a multipath route has none, whatever its next hops).
                if let device, RouteOutput.deviceName(r.device, names) != device { return false }
                return true
            }
        }

        func selection() throws -> Selection {
            var s = Selection()
            if let prefix {
                if prefix == "default" { s.defaultOnly = true } else { s.prefix = try IPNetwork(prefix, allowBareAddress: true).masked }
            }
            if let dev { s.device = try InterfaceName(dev).rawValue }
            s.routeProtocol = try `protocol`.map { p in try RouteProtocol(name: p).orThrow(InvalidInput("protocol", p, "is not a protocol name (boot, static, kernel, vethkit…) or a number 0–255")) }
            s.type = try type.map { t in try RouteType(name: t).orThrow(InvalidInput("route type", t, "is not unicast, blackhole, unreachable, prohibit, throw, local, broadcast, multicast, anycast or a number")) }
            s.scope = try scope.map { c in try RouteScope(name: c).orThrow(InvalidInput("scope", c, "is not global, site, link, host or a number 0–255")) }
            return s
        }

        func check() throws {
            try ns.check()
            if inet4 && inet6 { throw UsageError("route show: -4 and -6 exclude each other (give neither for both)") }
            _ = try selection()
        }
        func execute(_ context: Context) throws {
            let selected = try selection()
            try step("route show") {
                let h = try context.handle(ns.name)
                var family: AddressFamily = inet4 ? .inet : inet6 ? .inet6 : .unspecified
                if let p = selected.prefix { family = p.family }
                var names: [Int32: String] = [:]
                for l in try h.linksWithoutStatistics() { names[l.index] = l.name }
                let routes = try h.routes(table: (table ?? .one(.main)).table, family: family, type: nil).filter { selected.admits($0, names) }
                if json {
                    emitJSON(JSON.array(routes.map { RouteOutput.json($0, names) }))
                } else {
                    emit(RouteOutput.text(routes, names, withTable: { if case .all? = table { true } else { false } }()))
                }
            }
        }
    }
}

extension RouteCommand {
    struct Get: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "get", abstract: "The route a packet would take (as ip route get): source, device, gateway, cache flags and metrics.",
            discussion: HelpExamples.discussion("route get"))
        @OptionGroup var ns: NamespaceOption
        @Argument(help: "The packet's destination address.") var address: String
        @Option(help: "The packet's source address.") var from: String?
        @Option(help: "The device the packet comes in on (a forwarded packet).", completion: Completions.interfaces) var iif: String?
        @Option(help: "The device it must leave by.", completion: Completions.interfaces) var oif: String?
        @Option(help: "The packet's firewall mark.") var mark: UInt32?
        @Option(help: "The user id (policy rules may select on it).") var uid: UInt32?
        @Option(help: "The IP protocol: tcp, udp, icmp, icmpv6, sctp, udplite, dccp or a number.",
                completion: .list(["tcp", "udp", "icmp", "icmpv6", "sctp", "udplite", "dccp"])) var ipproto: String?
        @Option(help: "The source port (with --ipproto tcp, udp…).") var sport: UInt16?
        @Option(help: "The destination port (with --ipproto tcp, udp…).") var dport: UInt16?
        @Flag(help: "The routing table's entry that matched, not the cached route made from it.") var fibmatch = false
        @Flag(help: "JSON output with `ip -j route get` key names.") var json = false

        static let protocols: [String: UInt8] = ["icmp": 1, "tcp": 6, "udp": 17, "dccp": 33, "icmpv6": 58, "ipv6-icmp": 58, "sctp": 132, "udplite": 136]

        func query() throws -> RouteQuery {
            let destination = try IPAddress(parsing: address)
            let proto = try ipproto.map { p in
                try (Self.protocols[p.lowercased()] ?? UInt8(p)).orThrow(InvalidInput("ipproto", p, "is not tcp, udp, icmp, icmpv6, sctp, udplite, dccp or a number 0–255"))
            }
            let q = RouteQuery(destination: destination, source: try from.map { try IPAddress(parsing: $0) },
                               inputDevice: try iif.map { .name(try InterfaceName($0)) }, outputDevice: try oif.map { .name(try InterfaceName($0)) },
                               mark: mark, uid: uid, ipProtocol: proto, sourcePort: sport, destinationPort: dport, fibMatch: fibmatch)
            try q.validate()
            return q
        }

        func check() throws {
            try ns.check()
            _ = try query()
        }

        func execute(_ context: Context) throws {
            let q = try query()
            try step("route get \(address)") {
                let h = try context.handle(ns.name)
                let route = try h.lookupRoute(q)
                var names: [Int32: String] = [:]
                for l in try h.linksWithoutStatistics() { names[l.index] = l.name }
                if json {
                    emitJSON(JSON.array([RouteOutput.json(route, names)]))
                } else {
                    emit(RouteOutput.text([route], names, withTable: false))
                }
            }
        }
    }
}

extension Optional {
    /// The value, or `error` thrown.
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}

extension RouteCommand.RouteEdit {
    /// The route with its metrics, checked without syscalls.
    func route() throws -> Route {
        var r = try options.parsed(forDelete: Self.verb == "del")
        r.metrics = try metrics()
        try r.metrics.validate()
        return r
    }

    func check() throws {
        try ns.check()
        _ = try route()
    }

    func execute(_ context: Context) throws {
        let shown = options.words.joined(separator: " ")
        try step("route \(Self.verb) \(shown)") {
            let h = try context.handle(ns.name)
            try Self.apply(route(), options: options, on: h)
        }
    }
}
