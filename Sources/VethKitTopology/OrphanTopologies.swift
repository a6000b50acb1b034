import Glibc
import VethKit

/// What an interrupted `up` of a topology left (docs/orphans.md): temporary placeholder files
/// `/run/netns/.vethkit-tmp.<topology>.<node>.<pid>` whose pid is gone, placeholder files under
/// a node's final name (``Ownership/placeholderContent(for:)``), and host links still under a
/// temporary name of the topology (``Ownership/isTemporaryLink(name:group:topology:)``). Only
/// topologies whose lock is free are judged (an `up` or `down` running holds it).
public struct TopologyLeftover: Sendable, Equatable {
    public var topology: String
    /// Names under /run/netns.
    public var files: [String]
    /// Host link names.
    public var temporaryLinks: [String]
}

public enum TopologyLeftovers {
    /// Every topology's leftovers (topologies with none are not listed).
    public static func find() -> [TopologyLeftover] {
        let dir = NetworkNamespace.runDirectory
        var files: [String: [String]] = [:]
        for name in directoryNames(dir) {
            guard let t = topology(ofLeftover: name) else { continue }
            files[t, default: []].append(name)
        }
        var topologies = Set(files.keys)
        for t in (try? Applier.list()) ?? [] { topologies.insert(t.name) }
        let links = (try? NetHandle().linksWithoutStatistics()) ?? []
        var out: [TopologyLeftover] = []
        for t in topologies.sorted() {
            guard (try? TopologyLock(topology: t, timeout: 0)) != nil else { continue }
            let tmp = links.filter { Ownership.isTemporaryLink(name: $0.name, group: $0.group, topology: t) }.map(\.name)
            let f = (files[t] ?? []).sorted()
            if !f.isEmpty || !tmp.isEmpty { out.append(TopologyLeftover(topology: t, files: f, temporaryLinks: tmp.sorted())) }
        }
        return out
    }

    /// The topology a /run/netns entry is a leftover of, or nil: a temporary file of a dead pid
    /// (a plain file), or a placeholder (plain file, exact content) under `<topology>-<node>`.
    static func topology(ofLeftover name: String) -> String? {
        let path = "\(NetworkNamespace.runDirectory)/\(name)"
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        let tmpPrefix = ".vethkit-tmp."
        if name.hasPrefix(tmpPrefix) {
            let parts = name.dropFirst(tmpPrefix.count).split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let pid = Int32(parts[2]), pid > 0 else { return nil }
            let t = String(parts[0])
            guard (try? validateTopologyName(t)) != nil, name.hasPrefix(Ownership.temporaryNamespacePrefix(for: t)) else { return nil }
            if kill(pid, 0) == 0 || errno == EPERM { return nil }   // its `up` may still run
            return t
        }
        guard let dash = name.firstIndex(of: "-") else { return nil }
        let t = String(name[..<dash])
        guard (try? validateTopologyName(t)) != nil, NamespacePublisher.isPlaceholder(path, topology: t) else { return nil }
        return t
    }

    /// Removes one topology's leftovers under its lock, each checked again first (still a
    /// leftover of it by the same rule); returns what was removed.
    public static func remove(_ l: TopologyLeftover) throws -> [String] {
        let lock = try TopologyLock(topology: l.topology, timeout: 0)
        defer { withExtendedLifetime(lock) {} }
        var done: [String] = []
        for f in l.files where topology(ofLeftover: f) == l.topology {
            if unlink("\(NetworkNamespace.runDirectory)/\(f)") == 0 { done.append(f) }
        }
        if !l.temporaryLinks.isEmpty {
            let host = try NetHandle()
            let links = try host.linksWithoutStatistics()
            let now = links.filter { Ownership.isTemporaryLink(name: $0.name, group: $0.group, topology: l.topology) }.map(\.name)
            if !now.isEmpty, try HostLinks.deleteTemporary(topology: l.topology, host: host, links: links) { done += now }
        }
        return done
    }

    static func directoryNames(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if n != "." && n != ".." { out.append(n) }
        }
        return out
    }
}
