import VethKitJSON
import ArgumentParser
import Glibc
import VethKit

/// `vethctl orphans`: what runtimes and crashes left behind. Today one source: CNI reservations
/// whose network namespace is gone (OrphansCNI.swift). Issue 10 adds veths and namespaces
/// machine-wide as further ``OrphanSource``s; the output (one row per orphan, a `kind` column,
/// `--json` with the same fields) and `--remove` stay the same.
struct OrphansCommand: VethCommand {
    static let configuration = CommandConfiguration(
        commandName: "orphans",
        abstract: "List what runtimes left behind: CNI reservations whose network namespace is gone.",
        discussion: """
            Reads the IPAM stores of vethkit-cni under each --data-dir (default /var/lib/cni/networks). \
            A reservation is an orphan when the network namespace recorded at ADD no longer exists \
            (or its path now names another namespace). Reservations without that record (older \
            vethkit-cni, host-local) are counted as not judged, never removed. --remove releases \
            each orphan as DEL would: its masquerade chain, its host veth (only a veth of the \
            network's link group under vethkit-cni's derived name), its reservation — under the \
            store's lock, after checking again that it is still an orphan.
            """)

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("An IPAM data directory (repeatable; default /var/lib/cni/networks).", valueName: "dir"))
    var dataDirs: [String] = []
    @Flag(help: "Release the orphans (only what vethkit-cni made).") var remove = false
    @Flag(help: "JSON output.") var json = false

    /// The data directories, each once (a repeated one is not scanned twice).
    var directories: [String] {
        var seen = Set<String>()
        return (dataDirs.isEmpty ? ["/var/lib/cni/networks"] : dataDirs).filter { seen.insert($0).inserted }
    }

    func check() throws {
        for d in directories {
            guard d.hasPrefix("/"), !d.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }),
                  !d.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
                throw InvalidInput("--data-dir", d, "must be an absolute path without '.', '..' or control characters")
            }
        }
    }

    func execute(_ context: Context) throws {
        let sources: [OrphanSource] = [CNIReservationOrphans(dataDirs: directories)]
        var found: [Orphan] = [], notes: [String] = []
        var unjudged = 0
        for s in sources {
            let r = s.find()
            found += r.orphans
            notes += r.notes
            unjudged += r.unjudged
        }
        var failures = 0
        if remove {
            for i in found.indices {
                do { found[i].removed = try found[i].remove() } catch {
                    failures += 1
                    found[i].error = "\(error)"
                }
            }
        }
        if json {
            var o = JSONObject()
            o.set("orphans", JSON.array(found.map(\.json)))
            o.set("unjudged", unjudged)
            o.set("skipped", JSON.array(notes.map { JSON.string($0) }))
            emitJSON(o.json)
        } else {
            var t = Table("KIND", "NETWORK", "CONTAINER", "IFNAME", "ADDRESSES", "NETNS", "AGE", remove ? "REMOVED" : "WHY")
            for o in found {
                t.add([o.kind, o.network, o.containerID, o.ifname, o.addresses.joined(separator: ","), o.netns,
                       o.age.map(Orphan.ageText) ?? "?", remove ? (o.error.map { "failed: \($0)" } ?? o.removed ?? "no longer an orphan") : o.reason])
            }
            if !found.isEmpty { emit(t.text) }
            var summary = "\(found.count) orphan\(found.count == 1 ? "" : "s")"
            if unjudged > 0 { summary += "; \(unjudged) reservation\(unjudged == 1 ? "" : "s") not judged (no netns record: an older vethkit-cni or another plugin)" }
            warn(summary)
            for n in notes { warn("skipped \(n)") }
        }
        if failures > 0 { throw CommandError(context: "orphans --remove", underlying: RemovalFailed(failures: failures, of: found.count)) }
    }

    /// Some orphans could not be released (exit status 1: the system refused).
    struct RemovalFailed: Error, CustomStringConvertible {
        var failures: Int
        var of: Int
        var description: String { "\(failures) of \(of) could not be removed" }
    }
}

/// One thing left behind, whatever its kind.
struct Orphan {
    var kind: String
    var network: String
    var containerID: String
    var ifname: String
    var addresses: [String]
    var netns: String
    var age: Int?
    var reason: String
    /// Releases it; returns what was done, nil when it was no longer an orphan.
    var remove: () throws -> String?
    var removed: String?
    var error: String?

    var json: JSON {
        var o = JSONObject()
        o.set("kind", kind)
        o.set("network", network)
        o.set("containerID", containerID)
        o.set("ifname", ifname)
        o.set("addresses", JSON.array(addresses.map { JSON.string($0) }))
        o.set("netns", netns)
        o.set("ageSeconds", age)
        o.set("reason", reason)
        o.set("removed", removed)
        o.set("error", error)
        return o.json
    }

    static func ageText(_ s: Int) -> String {
        s < 120 ? "\(s)s" : s < 7200 ? "\(s / 60)m" : s < 172_800 ? "\(s / 3600)h" : "\(s / 86400)d"
    }
}

/// A place orphans are found (CNI stores now; veths and namespaces with issue 10).
protocol OrphanSource {
    /// The orphans, notes on what was skipped, and how many entries could not be judged.
    func find() -> (orphans: [Orphan], notes: [String], unjudged: Int)
}
