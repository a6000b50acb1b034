import VethKitJSON
import ArgumentParser
import VethKit

struct PeersCommand: VethCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers", abstract: "Every veth pair here and in every named namespace: both ends with namespace, name, ifindex.")
    @Flag(help: "JSON output.") var json = false

    func execute(_ context: Context) throws {
        let pairs = try step("peers") { try PeerMap.discover() }
        func end(_ e: VethEnd) -> JSON {
            var o = JSONObject()
            o.set("netns", e.namespace.map { JSON.string($0.rawValue) } ?? .null)
            o.set("ifname", e.name)
            o.set("ifindex", e.index)
            o.set("up", .bool(e.isUp))
            return o.json
        }
        if json {
            emit(JSON.array(pairs.map { p in
                .object([JSONField("end", end(p.end)), JSONField("peer", p.peer.map(end) ?? .null)])
            }).text() + "\n")
        } else {
            var t = Table("NETNS", "NAME", "INDEX", "", "PEER NETNS", "PEER NAME", "PEER INDEX")
            for p in pairs {
                t.add([p.end.namespace?.rawValue ?? "-", p.end.name, String(p.end.index), "<->",
                       p.peer.map { $0.namespace?.rawValue ?? "-" } ?? "?", p.peer?.name ?? "(elsewhere)",
                       p.peer.map { String($0.index) } ?? "?"])
            }
            emit(t.text)
        }
    }
}
