import ArgumentParser
import VethKit

struct QdiscCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qdisc", abstract: "Queueing disciplines (traffic control): what `link impair` attaches, and the others.", discussion: HelpExamples.discussion("qdisc"),
        subcommands: [Show.self])

    struct Show: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show qdiscs with their counters, as `tc -s qdisc show`.",
            discussion: HelpExamples.discussion("qdisc show", "--json has `tc -s -j qdisc show`'s keys and value types (rates in bytes/s, netem's times in seconds)."),
            aliases: ["list"])
        @OptionGroup var ns: NamespaceOption
        @Option(help: "Only this link's qdiscs.", completion: Completions.interfaces) var dev: String?
        @Flag(help: "JSON output with `tc -s -j qdisc show` key names.") var json = false

        func check() throws {
            try ns.check()
            if let dev { try InterfaceName.validate(dev) }
        }

        func execute(_ context: Context) throws {
            try step(dev.map { "qdisc show --dev \($0)" } ?? "qdisc show") {
                let h = try context.handle(ns.name)
                let qdiscs = try h.qdiscs(link: try dev.map { .name(try InterfaceName($0)) })
                var names: [Int32: String] = [:]
                if let dev, let first = qdiscs.first {
                    names[first.linkIndex] = dev
                } else if !qdiscs.isEmpty {
                    for l in try h.linksWithoutStatistics() { names[l.index] = l.name }
                }
                // A user's htb, fifo or prio: their options too (a second dump, only when there are some).
                let others = qdiscs.contains { if case .other = $0.options { return $0.kind != "noqueue" } else { return false } }
                let details = others ? try h.qdiscDetails(link: try dev.map { .name(try InterfaceName($0)) }) : [:]
                let out = QdiscOutput(names: names, details: details, textWithoutDevice: dev != nil)
                if json { emitJSON(.array(qdiscs.map(out.json))) } else { emit(qdiscs.map(out.text).joined()) }
            }
        }
    }
}
