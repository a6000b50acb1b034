import Glibc
import VethKit
import VethKitJSON

/// Monitor events as lines and as JSON objects with the same keys as `link show --json`,
/// `addr show --json` (its `addr_info` entries), `route show --json` and `ip -j neigh`, after
/// `event` and `action`. Keeps the names of this namespace's links (learnt from link events, else
/// looked up once) and of the namespaces its ids stand for.
final class EventOutput {
    let handle: NetHandle
    private var names: [Int32: String] = [:]
    private var namespaceNames: [Int32: String] = [:]

    init(handle: NetHandle) throws {
        self.handle = handle
        for l in try handle.linksWithoutStatistics() { names[l.index] = l.name }
    }

    /// The name of link `index`: remembered, else asked (a link already gone stays `if<N>`).
    func name(_ index: Int32) -> String {
        if let n = names[index] { return n }
        let n = (try? handle.link(index: index).name) ?? "if\(index)"
        names[index] = n
        return n
    }

    /// The /run/netns name of the namespace this one numbers `id`; nil when none has it.
    func namespaceName(_ id: Int32) -> String? {
        if let n = namespaceNames[id] { return n }
        for n in (try? NetworkNamespace.list()) ?? [] {
            guard let ns = try? NetworkNamespace.open(n), let i = try? handle.namespaceID(of: ns) else { continue }
            namespaceNames[i] = n.rawValue
        }
        return namespaceNames[id]
    }

    /// Updates the names from a link event (before it is printed).
    func learn(_ e: Event) {
        switch e {
        case .newLink(let l): names[l.index] = l.name
        case .deletedLink(let l): names[l.index] = l.name  // kept: later route/addr deletions name it
        default: break
        }
    }

    func line(_ e: Event) -> String {
        switch e {
        case .newLink(let l): return "link new \(l.name) index \(l.index) \(l.kind ?? "") \(l.operationalState) mtu \(l.mtu ?? 0)"
        case .deletedLink(let l):
            guard let m = l.movedTo else { return "link del \(l.name) index \(l.index)" }
            let target = namespaceName(m.namespaceID) ?? "id \(m.namespaceID)"
            return "link del \(l.name) index \(l.index) moved to netns \(target)" + (m.index.map { " new-ifindex \($0)" } ?? "")
        case .newAddress(let a), .deletedAddress(let a):
            let verb = Self.isNew(e) ? "new" : "del"
            return "addr \(verb) \(a.network) index \(a.linkIndex) dev \(name(a.linkIndex)) scope \(a.scopeName)"
        case .newRoute(let r), .deletedRoute(let r):
            let verb = Self.isNew(e) ? "new" : "del"
            var s = "route \(verb) \(r.type == .unicast ? "" : r.type.name + " ")\(r.destinationText)"
            if let g = r.gateway { s += " via \(g)" }
            if let d = RouteOutput.deviceName(r.device, names) { s += " dev \(d)" }
            return s + " table \(r.table.name) proto \(r.protocol.name) scope \(r.scope.name)"
        case .newNeighbour(let n), .deletedNeighbour(let n):
            let verb = Self.isNew(e) ? "new" : "del"
            var s = "neigh \(verb) \(n.destination.map { "\($0)" } ?? "-") dev \(name(n.linkIndex))"
            if let ll = n.linkLayerAddress { s += " lladdr \(ll)" }
            return s + " " + (n.stateNames + n.flagNames).joined(separator: " ")
        case .newNamespaceID(let id), .deletedNamespaceID(let id):
            let verb = Self.isNew(e) ? "new" : "del"
            return "nsid \(verb) \(id)" + (namespaceName(id).map { " netns \($0)" } ?? "")
        case .newRule(let r), .deletedRule(let r):
            let verb = Self.isNew(e) ? "new" : "del"
            let row = RuleOutput.json(r).objectValue ?? JSONObject()
            let words = row.fields.filter { $0.key != "priority" }.map { f in f.value.isNull ? f.key : "\(f.key) \(f.value.stringValue ?? f.value.text())" }
            return "rule \(verb) \(r.priority.map(String.init) ?? "-") " + words.joined(separator: " ")
        case .newNextHop(let n), .deletedNextHop(let n):
            let verb = Self.isNew(e) ? "new" : "del"
            var s = "nexthop \(verb) id \(n.id)"
            if let g = n.gateway { s += " via \(g)" }
            if case .index(let i)? = n.device { s += " dev \(name(i))" }
            if n.isGroup { s += " group " + n.group.map { $0.weight == 1 ? "\($0.id)" : "\($0.id),\($0.weight)" }.joined(separator: "/") }
            return s
        }
    }

    func json(_ e: Event) -> JSONObject {
        var o = JSONObject()
        func head(_ event: String, _ new: Bool) {
            o.set("event", event)
            o.set("action", new ? "new" : "del")
        }
        switch e {
        case .newLink(let l), .deletedLink(let l):
            head("link", Self.isNew(e))
            var known = names
            for i in [l.masterIndex, l.linkNetnsID == nil ? l.linkIndex : nil].compactMap({ $0 }) where known[i] == nil { known[i] = name(i) }
            let ids = l.linkNetnsID.map { [$0: namespaceName($0) ?? ""] }?.filter { !$0.value.isEmpty } ?? [:]
            let body = LinkOutput(names: known, namespaceNames: ids).json(l).objectValue ?? JSONObject()
            for f in body.fields { o.set(f.key, f.value) }
            if let m = l.movedTo {
                o.set("new_netnsid", m.namespaceID)
                o.set("new_netns", namespaceName(m.namespaceID))
                o.set("new_ifindex", m.index)
            }
        case .newAddress(let a), .deletedAddress(let a):
            head("addr", Self.isNew(e))
            o.set("ifindex", a.linkIndex)
            o.set("ifname", name(a.linkIndex))
            for f in (AddressOutput.json(a).objectValue ?? JSONObject()).fields { o.set(f.key, f.value) }
        case .newRoute(let r), .deletedRoute(let r):
            head("route", Self.isNew(e))
            var known = names
            for case .index(let i)? in [r.device] + r.nexthops.map(\.device) where known[i] == nil { known[i] = name(i) }
            for f in (RouteOutput.json(r, known).objectValue ?? JSONObject()).fields { o.set(f.key, f.value) }
            // Events name every one of these (route show leaves out main, unicast and boot, as ip -j).
            o["type"] = .string(r.type.name)
            o["table"] = .string(r.table.name)
            o["protocol"] = .string(r.protocol.name)
            o["scope"] = .string(r.scope.name)
        case .newNeighbour(let n), .deletedNeighbour(let n):
            head("neigh", Self.isNew(e))
            for f in (NeighbourOutput.json(n, dev: name(n.linkIndex)).objectValue ?? JSONObject()).fields { o.set(f.key, f.value) }
        case .newNamespaceID(let id), .deletedNamespaceID(let id):
            head("nsid", Self.isNew(e))
            o.set("nsid", id)
            o.set("name", namespaceName(id))
        case .newRule(let r), .deletedRule(let r):
            head("rule", Self.isNew(e))
            for f in (RuleOutput.json(r).objectValue ?? JSONObject()).fields { o.set(f.key, f.value) }
        case .newNextHop(let n), .deletedNextHop(let n):
            head("nexthop", Self.isNew(e))
            var known = names
            if case .index(let i)? = n.device, known[i] == nil { known[i] = name(i) }
            for f in (NexthopOutput.json(n, known).objectValue ?? JSONObject()).fields { o.set(f.key, f.value) }
        }
        return o
    }

    /// True for an announcement of something new (or changed), false for a deletion.
    static func isNew(_ e: Event) -> Bool {
        switch e {
        case .newLink, .newAddress, .newRoute, .newNeighbour, .newNamespaceID, .newRule, .newNextHop: true
        case .deletedLink, .deletedAddress, .deletedRoute, .deletedNeighbour, .deletedNamespaceID, .deletedRule, .deletedNextHop: false
        }
    }

    /// `2026-12-03T07:50:20.449266`, local time, as `ip monitor -ts` prints it.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec, tm = Glibc.tm()
        localtime_r(&t, &tm)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%S", &tm)
        let usec = String(ts.tv_nsec / 1000)
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) + "." + String(repeating: "0", count: 6 - usec.count) + usec
    }
}
