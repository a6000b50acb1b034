import Glibc
import VethKit
import VethKitJSON
import VethKitTopology

/// How vethctl prints what the topology library returns: summaries, the list table and JSON,
/// progress lines. (Plans, `show` and `check` reports come as text from their values.)
enum TopologyOutput {
    /// FILE or NAME: anything ending in .yaml/.yml, containing a slash, or an existing path is a file.
    static func isFile(_ s: String) -> Bool {
        s.hasSuffix(".yaml") || s.hasSuffix(".yml") || s.contains("/") || access(s, F_OK) == 0
    }

    /// The plan's lines (unless `quiet`) and the result's summary
    /// (`seed: 6 created, 0 changed, 0 removed in 0.012 s (1 namespaces, 1 veth pairs new)` or
    /// `seed: no changes`).
    static func up(_ r: Applier.UpResult, quiet: Bool) -> String {
        let lines = quiet || r.plan.isEmpty ? [] : r.plan.steps.map(r.plan.describe)
        return (lines + [r.summary]).joined(separator: "\n").terminalEscaped(keepingNewlines: true)
    }

    /// The result's summary: `seed: removed 1 namespaces and 1 host links in 0.021 s`.
    static func down(_ r: Applier.DownResult) -> String { r.summary.terminalEscaped() }

    /// NAME, NAMESPACES, HOST LINKS, IMPAIRED, CUT (veth ends).
    static func listTable(_ l: [Applier.ListedTopology]) -> String {
        var t = Table("NAME", "NAMESPACES", "HOST LINKS", "IMPAIRED", "CUT")
        for e in l { t.add([e.name, String(e.namespaces), String(e.hostLinks), String(e.impaired), String(e.cut)]) }
        return t.text
    }

    /// `[{"name":…,"namespaces":N,"host_links":N,"impaired":N,"cut":N}, …]`
    static func listJSON(_ l: [Applier.ListedTopology]) -> String {
        JSON.array(l.map { ["name": .string($0.name), "namespaces": JSON($0.namespaces), "host_links": JSON($0.hostLinks),
                            "impaired": JSON($0.impaired), "cut": JSON($0.cut)] }).serialized
    }

    /// With `VETHKIT_TIMINGS=1`: the phases' times on standard error (`timings: lock 0.1 ms, …`).
    static func timings(_ t: [Timing]) {
        guard Timing.requested, !t.isEmpty else { return }
        writeStandardError(Timing.line(t) + "\n")
    }

    /// One progress line on standard error, overwriting the last (`\r`, erase to end of line).
    static func progress(topology: String, _ line: String) {
        writeStandardError("\r\u{1b}[K" + "\(topology): \(line)".terminalEscaped())
    }

    /// Erases the progress line.
    static func clearProgress() { writeStandardError("\r\u{1b}[K") }

    static func writeStandardError(_ s: String) {
        var s = s
        s.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}

/// Writes `text` and a newline (unless it ends with one) to standard output; nothing when empty.
func emitLine(_ text: String) {
    guard !text.isEmpty else { return }
    emit(text.hasSuffix("\n") ? text : text + "\n")
}
