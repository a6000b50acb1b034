import VethKitJSON
import ArgumentParser
import Glibc
import VethKit

/// `vethctl orphans`: what runtimes and crashes left behind, machine-wide (docs/orphans.md):
/// namespaces held only by a runtime's bind mount whose container is gone (with their veths),
/// CNI reservations whose container is gone (vethkit-cni's and host-local's), and what an
/// interrupted topology `up` left. One ``OrphanSource`` each; the rules are the libraries'
/// (VethKit's ``NamespaceOrphans``, VethKitCNI's ``OrphanScan`` and ``HostLocalOrphans``,
/// VethKitTopology's ``TopologyLeftovers``), this command only prints and asks.
struct OrphansCommand: VethCommand {
    static let configuration = CommandConfiguration(
        commandName: "orphans",
        abstract: "List what runtimes left behind (namespaces, veths, CNI reservations, topology leftovers); --clean removes it.",
        discussion: HelpExamples.discussion("orphans", """
            An orphan is: a network namespace with no process in it and none holding it open, kept \
            only by container runtimes' bind mounts (/run/docker/netns/*, /run/netns/cni-*, \
            /run/netns/netns-*, /run/user/UID/netns/*, /run/containerd/netns/*) that no process \
            names, older than --min-age (listed with its veths); a vethkit-cni reservation whose \
            recorded namespace is gone; a host-local reservation (under each --data-dir) whose \
            container id no process's cgroup or command line and no namespace names; a topology's \
            placeholder files and temporary links left by an interrupted up. A user's named \
            namespace, one a process is in and one a process holds open are never orphans. \
            --clean prints what it would remove; --clean --yes removes each orphan after checking \
            again that it still is one (a namespace: by unmounting the runtime's mount, which \
            destroys it and its veths). --remove (deprecated) releases only vethkit-cni's orphans.
            """))

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("A CNI IPAM data directory (repeatable; default /var/lib/cni/networks).", valueName: "dir"))
    var dataDirs: [String] = []
    @Flag(help: "Print what would be removed; with --yes, remove it.") var clean = false
    @Flag(help: "With --clean: really remove.") var yes = false
    @Flag(help: "Deprecated: release vethkit-cni's orphans only (as before); use --clean --yes.") var remove = false
    @Option(name: .customLong("min-age"), help: ArgumentHelp("Namespaces and host-local reservations younger than this many seconds are never orphans (default 60).", valueName: "seconds"))
    var minimumAge: Double = 60
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
        if yes && !clean { throw InvalidInput("--yes", "", "needs --clean") }
        guard minimumAge >= 0, minimumAge.isFinite else { throw InvalidInput("--min-age", "\(minimumAge)", "must be a number of seconds ≥ 0") }
    }

    func execute(_ context: Context) throws {
        // Every namespace on the machine (mounts in every mount namespace); should discovery
        // fail, the runtime mounts of the caller's own mount namespace.
        let candidates = (try? NamespaceInventory.discover()) ?? NamespaceOrphans.callersMountCandidates()
        let sources: [OrphanSource] = [
            NamespaceOrphanSource(namespaces: candidates, options: NamespaceOrphans.Options(minimumAge: minimumAge)),
            CNIReservationOrphans(dataDirs: directories),
            HostLocalOrphanSource(dataDirs: directories, namespaces: candidates, minimumAge: minimumAge),
            TopologyLeftoverSource(),
        ]
        var found: [Orphan] = [], notes: [String] = []
        var unjudged = 0
        for s in sources {
            let r = s.find()
            found += r.orphans
            notes += r.notes
            unjudged += r.unjudged
        }
        let removing = clean && yes
        if remove && !removing { warn("--remove is deprecated (it releases vethkit-cni's orphans only): use --clean --yes") }
        var failures = 0
        var acted = false
        for i in found.indices where removing || (remove && found[i].kind == "cni-reservation") {
            acted = true
            found[i].attempted = true
            do { found[i].removed = try found[i].remove() } catch {
                failures += 1
                found[i].error = "\(error)"
            }
        }
        if json {
            var o = JSONObject()
            o.set("orphans", JSON.array(found.map(\.json)))
            o.set("unjudged", unjudged)
            o.set("skipped", JSON.array(notes.map { JSON.string($0) }))
            o.set("dryRun", clean && !yes)
            emitJSON(o.json)
        } else {
            let last = acted ? "REMOVED" : "WHY"
            var t = Table("KIND", "NETWORK", "CONTAINER", "IFNAME", "ADDRESSES", "NETNS", "AGE", last)
            for o in found {
                let col = o.attempted ? (o.error.map { "failed: \($0)" } ?? o.removed ?? "no longer an orphan") : (clean ? "would remove: " + o.reason : o.reason)
                t.add([o.kind, o.network, o.containerID, o.ifname, o.addresses.joined(separator: ","), o.netns,
                       o.age.map(Orphan.ageText) ?? "?", col].map { RawArguments.escaped(Array($0.utf8)) })
            }
            if !found.isEmpty { emit(t.text) }
            var summary = "\(found.count) orphan\(found.count == 1 ? "" : "s")"
            if clean && !yes && !found.isEmpty { summary += "; nothing removed (--clean --yes removes them)" }
            if unjudged > 0 { summary += "; \(unjudged) reservation\(unjudged == 1 ? "" : "s") not judged (no netns record: an older vethkit-cni or another plugin)" }
            warn(summary)
            for n in notes { warn("skipped \(RawArguments.escaped(Array(n.utf8)))") }
        }
        if failures > 0 { throw CommandError(context: "orphans --clean", underlying: RemovalFailed(failures: failures, of: found.count)) }
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
    /// For a namespace: its id (`net:[N]`) and its veths' outer ends.
    var namespaceID: String? = nil
    var veths: [String] = []
    /// Releases it; returns what was done, nil when it was no longer an orphan.
    var remove: () throws -> String?
    var removed: String?
    var error: String?
    var attempted = false

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
        if let namespaceID {
            o.set("namespaceID", namespaceID)
            o.set("veths", JSON.array(veths.map { JSON.string($0) }))
        }
        o.set("removed", removed)
        o.set("error", error)
        return o.json
    }

    static func ageText(_ s: Int) -> String {
        s < 120 ? "\(s)s" : s < 7200 ? "\(s / 60)m" : s < 172_800 ? "\(s / 3600)h" : "\(s / 86400)d"
    }
}

/// A place orphans are found: runtime namespaces, CNI stores, topology leftovers.
protocol OrphanSource {
    /// The orphans, notes on what was skipped, and how many entries could not be judged.
    func find() -> (orphans: [Orphan], notes: [String], unjudged: Int)
}
