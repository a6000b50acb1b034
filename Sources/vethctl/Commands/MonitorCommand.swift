import VethKitJSON
import ArgumentParser
import Glibc
import VethKit

struct MonitorCommand: VethCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor", abstract: "Print link, address and route events as they happen, until interrupted.")
    @OptionGroup var ns: NamespaceOption
    @Flag(help: "One JSON object per line.") var json = false

    func check() throws { try ns.check() }

    func execute(_ context: Context) throws {
        let monitor = try step("monitor") {
            try EventMonitor(namespace: ns.name.map { try context.namespace($0) })
        }
        if !json { emit("monitoring \(ns.name ?? "this namespace"); Ctrl-C to stop\n") }
        while true {
            for e in try step("monitor") { try monitor.next() } {
                emit(json ? Self.json(e).text() + "\n" : Self.line(e).terminalEscaped() + "\n")
            }
        }
    }

    static func line(_ e: Event) -> String {
        switch e {
        case .newLink(let l): "link new \(l.name) index \(l.index) \(l.kind ?? "") \(l.operationalState) mtu \(l.mtu ?? 0)"
        case .deletedLink(let l): "link del \(l.name) index \(l.index)"
        case .newAddress(let a): "addr new \(a.network) index \(a.linkIndex)"
        case .deletedAddress(let a): "addr del \(a.network) index \(a.linkIndex)"
        case .newRoute(let r): "route new \(r.destinationText)" + (r.gateway.map { " via \($0)" } ?? "")
        case .deletedRoute(let r): "route del \(r.destinationText)" + (r.gateway.map { " via \($0)" } ?? "")
        }
    }

    static func json(_ e: Event) -> JSON {
        switch e {
        case .newLink(let l), .deletedLink(let l):
            let action = if case .newLink = e { "new" } else { "del" }
            return .object([JSONField("event", .string("link")), JSONField("action", .string(action)), JSONField("ifindex", .int(Int64(l.index))),
                            JSONField("ifname", .string(l.name)), JSONField("operstate", .string(l.operationalState.description)),
                            JSONField("kind", l.kind.map { .string($0) } ?? .null)])
        case .newAddress(let a), .deletedAddress(let a):
            let action = if case .newAddress = e { "new" } else { "del" }
            return .object([JSONField("event", .string("addr")), JSONField("action", .string(action)), JSONField("ifindex", .int(Int64(a.linkIndex))),
                            JSONField("local", .string("\(a.network.address)")), JSONField("prefixlen", .int(Int64(a.network.prefixLength)))])
        case .newRoute(let r), .deletedRoute(let r):
            let action = if case .newRoute = e { "new" } else { "del" }
            return .object([JSONField("event", .string("route")), JSONField("action", .string(action)), JSONField("dst", .string(r.destinationText)),
                            JSONField("gateway", r.gateway.map { .string("\($0)") } ?? .null)])
        }
    }
}
