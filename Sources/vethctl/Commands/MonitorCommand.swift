import VethKitJSON
import ArgumentParser
import Glibc
import VethKit

struct MonitorCommand: VethCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Print link, address, route, neighbour and namespace-id events as they happen, until interrupted.",
        discussion: HelpExamples.discussion("monitor", """
            A link moved to another namespace shows as `link del NAME index N moved to netns NS new-ifindex M`
            (JSON: new_netnsid, new_netns, new_ifindex). JSON events carry the keys of link/addr/route show --json.
            """))
    @OptionGroup var ns: NamespaceOption
    @Flag(help: "One JSON object per line.") var json = false
    @Flag(name: [.customShort("t"), .long], help: "Prefix each event with its time (as `ip monitor -ts`; JSON: a timestamp key).")
    var timestamp = false

    func check() throws { try ns.check() }

    func execute(_ context: Context) throws {
        let monitor = try step("monitor") {
            try EventMonitor(namespace: ns.name.map { try context.namespace($0) })
        }
        let out = try step("monitor") { try EventOutput(handle: context.handle(ns.name)) }
        if !json { emit("monitoring \(ns.name ?? "this namespace"); Ctrl-C to stop\n") }
        while true {
            for e in try step("monitor") { try monitor.next() } {
                // A bridge's forwarding entries (AF_BRIDGE neighbours) are `bridge monitor fdb`'s,
                // not ip monitor's: left out, as ip does.
                if case .newNeighbour(let n) = e, n.family == UInt8(AF_BRIDGE) { continue }
                if case .deletedNeighbour(let n) = e, n.family == UInt8(AF_BRIDGE) { continue }
                out.learn(e)
                if json {
                    var o = JSONObject()
                    if timestamp { o.set("timestamp", EventOutput.timestamp()) }
                    for f in out.json(e).fields { o.set(f.key, f.value) }
                    emit(o.json.text() + "\n")
                } else {
                    emit((timestamp ? "[\(EventOutput.timestamp())] " : "") + out.line(e).terminalEscaped() + "\n")
                }
            }
        }
    }
}
