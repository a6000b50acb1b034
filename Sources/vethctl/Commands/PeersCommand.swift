import VethKitJSON
import ArgumentParser
import VethKit

struct PeersCommand: VethCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers", abstract: "Every veth pair here and in every named namespace (--all: on the whole machine): both ends with namespace, name, ifindex.",
        discussion: HelpExamples.discussion("peers", """
            --all finds every network namespace on the machine (named ones, those processes or their \
            threads are in, bind mounts in every mount namespace, open file descriptors) and names \
            each end's namespace as a person would: t1 (named), podman:8f2c4a1b9e07… (web), \
            k8s:default/nginx-7d9f…, pid 4242 (sleep), topo:TOPOLOGY/NODE, orphan (docs/namespaces.md).
            """))
    @Flag(help: "JSON output.") var json = false
    @Flag(help: "Every veth pair on the machine, each end with its namespace's label and owner.") var all = false

    func execute(_ context: Context) throws {
        if all { return try executeAll() }
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

    /// `peers --all`: every pair on the machine; namespaces that could not be read on standard error.
    func executeAll() throws {
        let (namespaces, map) = try step("peers --all") { try MachinePeerMap.discover(options: .init()) }
        let out = InventoryOutput(namespaces: namespaces, map: map)
        if json {
            emitJSON(.array(map.pairs.map(out.json)))
        } else {
            emit(out.pairTable)
        }
        for line in out.failureLines { warn(line) }
    }
}
