import VethKitJSON
import VethKit

/// A CNI result (SPEC "Success"): interfaces, ips, routes, dns. Decodes every supported
/// version's shape (0.3.0–1.1.0) and encodes to the shape of the version asked for.
public struct CNIResult: Equatable, Sendable {
    public struct Interface: Equatable, Sendable {
        public var name: String
        public var mac: String?
        public var mtu: Int?
        public var sandbox: String?
        public var socketPath: String?
        public var pciID: String?
        public init(name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
        }
    }

    public struct IPConfig: Equatable, Sendable {
        /// Address with prefix, e.g. 10.22.0.5/24.
        public var address: IPNetwork
        public var gateway: IPAddress?
        /// Index into `interfaces`.
        public var interface: Int?
        public init(address: IPNetwork, gateway: IPAddress? = nil, interface: Int? = nil) {
            self.address = address
            self.gateway = gateway
            self.interface = interface
        }
    }

    public struct Route: Equatable, Sendable {
        public var dst: IPNetwork
        public var gw: IPAddress?
        public var mtu: Int?
        public var advmss: Int?
        public var priority: Int?
        public var table: Int?
        public var scope: Int?
        public init(dst: IPNetwork, gw: IPAddress? = nil) {
            self.dst = dst
            self.gw = gw
        }
    }

    public var interfaces: [Interface] = []
    public var ips: [IPConfig] = []
    public var routes: [Route] = []
    /// The `dns` object as given (nameservers, domain, search, options).
    public var dns: JSON?

    public init() {}

    /// Decodes a result of any supported version; errors are code 6 (decode) naming `context`.
    public init(json: JSON, context: String) throws {
        func bad(_ what: String) -> CNIError { CNIError(.decodingFailure, "invalid \(context): \(what)") }
        guard case .object(let o) = json else { throw bad("not a JSON object") }
        for i in o["interfaces"]?.arrayValue ?? [] {
            guard let name = i["name"]?.stringValue else { throw bad("interface without a name") }
            var itf = Interface(name: name, mac: i["mac"]?.stringValue, mtu: i["mtu"]?.intValue.map(Int.init),
                                sandbox: i["sandbox"]?.stringValue)
            itf.socketPath = i["socketPath"]?.stringValue
            itf.pciID = i["pciID"]?.stringValue
            interfaces.append(itf)
        }
        for ip in o["ips"]?.arrayValue ?? [] {
            guard let a = ip["address"]?.stringValue, let net = try? IPNetwork(a) else {
                throw bad("ips[].address \(ip["address"]?.serialized ?? "missing") is not a CIDR")
            }
            var gw: IPAddress?
            if let g = ip["gateway"]?.stringValue, !g.isEmpty {
                guard let x = IPAddress(g) else { throw bad("ips[].gateway \"\(g.cniEscaped)\" is not an address") }
                gw = x
            }
            var idx: Int?
            if let v = ip["interface"], !v.isNull {
                guard let i = v.intValue, i >= 0, i < Int64(interfaces.count) else {
                    throw bad("ips[].interface \(v.serialized) is not an index into interfaces")
                }
                idx = Int(i)
            }
            ips.append(IPConfig(address: net, gateway: gw, interface: idx))
        }
        for r in o["routes"]?.arrayValue ?? [] {
            guard let d = r["dst"]?.stringValue, let dst = try? IPNetwork(d) else {
                throw bad("routes[].dst \(r["dst"]?.serialized ?? "missing") is not a CIDR")
            }
            var route = Route(dst: dst.masked)
            if let g = r["gw"]?.stringValue, !g.isEmpty {
                guard let x = IPAddress(g) else { throw bad("routes[].gw \"\(g.cniEscaped)\" is not an address") }
                route.gw = x
            }
            route.mtu = r["mtu"]?.intValue.map(Int.init)
            route.advmss = r["advmss"]?.intValue.map(Int.init)
            route.priority = r["priority"]?.intValue.map(Int.init)
            route.table = r["table"]?.intValue.map(Int.init)
            route.scope = r["scope"]?.intValue.map(Int.init)
            routes.append(route)
        }
        if let d = o["dns"], !d.isNull { dns = d }
    }

    /// The result in the shape of spec version `version`:
    /// - 0.3.x and 0.4.0: `ips[].version` ("4"/"6"); interfaces {name, mac, sandbox}; routes {dst, gw}.
    /// - 1.0.0: no `version`.
    /// - 1.1.0: adds interface mtu/socketPath/pciID and route mtu/advmss/priority/table/scope.
    public func json(version: String) -> JSON {
        let legacy = !CNIVersion.atLeast(version, "1.0.0")
        let v11 = CNIVersion.atLeast(version, "1.1.0")
        var o: JSONObject = ["cniVersion": .string(version)]
        o["interfaces"] = .array(interfaces.map { i in
            var x: JSONObject = ["name": .string(i.name)]
            if let m = i.mac { x["mac"] = .string(m) }
            if let s = i.sandbox { x["sandbox"] = .string(s) }
            if v11 {
                if let m = i.mtu { x["mtu"] = .int(Int64(m)) }
                if let s = i.socketPath { x["socketPath"] = .string(s) }
                if let p = i.pciID { x["pciID"] = .string(p) }
            }
            return .object(x)
        })
        o["ips"] = .array(ips.map { ip in
            var x: JSONObject = ["address": .string(ip.address.description)]
            if let g = ip.gateway { x["gateway"] = .string(g.description) }
            if let i = ip.interface { x["interface"] = .int(Int64(i)) }
            if legacy { x["version"] = .string(ip.address.isIPv4 ? "4" : "6") }
            return .object(x)
        })
        if !routes.isEmpty {
            o["routes"] = .array(routes.map { r in
                var x: JSONObject = ["dst": .string(r.dst.description)]
                if let g = r.gw { x["gw"] = .string(g.description) }
                if v11 {
                    if let v = r.mtu { x["mtu"] = .int(Int64(v)) }
                    if let v = r.advmss { x["advmss"] = .int(Int64(v)) }
                    if let v = r.priority { x["priority"] = .int(Int64(v)) }
                    if let v = r.table { x["table"] = .int(Int64(v)) }
                    if let v = r.scope { x["scope"] = .int(Int64(v)) }
                }
                return .object(x)
            })
        }
        o["dns"] = dns ?? .object([:])
        return .object(o)
    }
}
