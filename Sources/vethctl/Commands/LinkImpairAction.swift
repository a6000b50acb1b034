import ArgumentParser
import VethKit

/// `link impair NAME [--delay T] [--loss P] [--rate R] … | --clear`, separated from its argument
/// parsing: the parsed command builds one, and so does ``BatchFastPath`` for batch lines. Every
/// value goes through ``LinkImpairment/set(_:_:)`` (the one parser of impairment values, shared
/// with topology files), so a bad unit is refused here exactly as there, before any syscall.
struct LinkImpairAction: CommandAction {
    var namespace: String?
    var name: String
    /// The impairment options given, by key (the option name without `--`) in the order given.
    var settings: [(key: String, value: String)] = []
    var clear = false
    /// The impairment, parsed once by ``prepare()`` (a batch line is checked, then sent).
    private(set) var parsed: LinkImpairment? = nil

    /// The option names `link impair` takes (each `--KEY VALUE`), in the order help lists them.
    static let keys = ["delay", "jitter", "correlation", "distribution", "loss", "rate", "overhead",
                       "corrupt", "duplicate", "reorder", "gap", "limit", "seed"]

    /// The impairment the options describe; throws ``InvalidInput`` naming a bad value.
    func impairment() throws -> LinkImpairment {
        if let parsed { return parsed }
        var i = LinkImpairment()
        for (key, value) in settings { try i.set(key, value) }
        return i
    }

    func check() throws {
        if let namespace { _ = try NamespaceName(namespace) }
        try InterfaceName.validate(name)
        if clear {
            if let first = settings.first { throw UsageError("link impair \(name): --clear takes no impairment (--\(first.key) given)") }
            return
        }
        guard !settings.isEmpty else {
            throw UsageError("link impair \(name): give an impairment (--delay, --loss, --rate …) or --clear")
        }
        try impairment().validate()
    }

    /// ``check()``, keeping the parsed impairment for ``add(to:)``. A batch's lines mostly
    /// repeat the same options (1000 × `--rate 100mbit`): those are parsed and checked once.
    mutating func prepare() throws {
        if let namespace { _ = try NamespaceName(namespace) }
        try InterfaceName.validate(name)
        guard !clear, !settings.isEmpty else { return try check() }
        var key = ""
        for (k, v) in settings { key += k; key += "\u{0}"; key += v; key += "\u{0}" }
        if let known = Self.checked[key] { parsed = known; return }
        try check()
        parsed = try impairment()
        if Self.checked.count < 1024 { Self.checked[key] = parsed }
    }

    /// Options already checked, and what they parsed to (one process runs one batch).
    nonisolated(unsafe) private static var checked: [String: LinkImpairment] = [:]

    /// The qdisc kind the impairment needs (`tbf`, `netem`); nil for `--clear`.
    var qdiscKind: String? {
        guard !clear, let i = try? impairment() else { return nil }
        return i.needsNetem ? "netem" : "tbf"
    }

    /// The line's context in messages, as ``execute(_:)`` reports it.
    var stepName: String { "link impair \(name)" }

    func execute(_ context: Context) throws {
        try step(stepName) {
            let h = try context.handle(namespace)
            let link = LinkReference.name(try InterfaceName(name))
            if clear {
                try h.clearImpairment(link)
            } else {
                try h.impair(link, impairment())
            }
        }
    }
}

extension LinkImpairAction {
    /// Appends the line's one operation to `batch` (no syscall), for `link` (this line's link,
    /// by its index when the caller resolved it).
    func add(to batch: inout NetworkBatch, link: LinkReference? = nil) throws {
        let link = try link ?? LinkReference.name(InterfaceName(name))
        batch.impair(link, clear ? LinkImpairment() : try impairment())
    }
}

extension LinkImpairAction {
    /// The refusal, before anything changes, of an impairment that needs a qdisc kind this kernel
    /// lacks (netem for all but a rate alone), or nil. Asked once per process and kind.
    func missingQdiscKind() -> QdiscKindUnavailable? {
        guard let kind = qdiscKind, !TrafficControl.isAvailable(qdisc: kind) else { return nil }
        return QdiscKindUnavailable(kind: kind, neededFor: (try? impairment())?.description)
    }
}

extension LinkCommand {
    struct Impair: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "impair", abstract: "Make a link slow, lossy or unreliable (its egress qdisc), or --clear it.",
            discussion: HelpExamples.discussion("link impair", """
                Units as tc writes them: times 20ms, 1.5s, 500us; percentages 1%, 0.1%; rates 100mbit,
                1gbit, 10kbit (bits/s) or 12mbps (bytes/s). A rate alone becomes a tbf qdisc (every
                kernel has it); delay, jitter, loss, corrupt, duplicate, reorder, limit or seed make it
                a netem qdisc (with --rate as netem's own rate). The qdisc is VethKit's (root handle
                564b:): a qdisc a user put on the link is never replaced (exit 1). Run again with other
                values to change it in place (no flap). Details: docs/impairments.md.
                """))
        @OptionGroup var ns: NamespaceOption
        @Argument(completion: Completions.interfaces) var name: String
        @Option(parsing: .unconditional, help: ArgumentHelp("Added delay.", valueName: "time")) var delay: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Delay variation (±), with --delay.", valueName: "time")) var jitter: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Correlation of each delay with the last.", valueName: "percent")) var correlation: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Delay distribution with --jitter: uniform, normal, pareto, paretonormal.", valueName: "name"))
        var distribution: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Random packet loss.", valueName: "percent")) var loss: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Rate limit.", valueName: "rate")) var rate: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Per-packet overhead in bytes the rate counts (netem).", valueName: "bytes"))
        var overhead: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Packets corrupted (a bit flipped).", valueName: "percent")) var corrupt: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Packets sent twice.", valueName: "percent")) var duplicate: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Packets sent at once, ahead of the delayed others (needs --delay).", valueName: "percent"))
        var reorder: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("With --reorder: reorder every Nth packet.", valueName: "n")) var gap: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Queue limit in packets (netem; default 1000).", valueName: "n")) var limit: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("netem's random seed, so a run can be repeated.", valueName: "n")) var seed: String?
        @Flag(help: "Remove VethKit's impairment from the link.") var clear = false

        var action: LinkImpairAction {
            let values: [(String, String?)] = [("delay", delay), ("jitter", jitter), ("correlation", correlation),
                                               ("distribution", distribution), ("loss", loss), ("rate", rate), ("overhead", overhead),
                                               ("corrupt", corrupt), ("duplicate", duplicate), ("reorder", reorder), ("gap", gap),
                                               ("limit", limit), ("seed", seed)]
            return LinkImpairAction(namespace: ns.name, name: name,
                                    settings: values.compactMap { k, v in v.map { (key: k, value: $0) } }, clear: clear)
        }

        func check() throws {
            try ns.check()
            try action.check()
        }
        func execute(_ context: Context) throws { try action.execute(context) }
    }
}
