import ArgumentParser
import Glibc
import VethKit
import VethKitTopology

/// What the shells' tab completion offers beyond the grammar: the names that exist on this
/// machine now. Each runs in `vethctl ---completion …` (the scripts from
/// `--generate-completion-script` call it) and prints nothing when it cannot look (no
/// privilege for another namespace, none there): a completion never fails loudly.
enum Completions {
    /// The named network namespaces (/run/netns), for `-n <TAB>` and namespace arguments.
    static let namespaces = CompletionKind.custom { _, _, prefix in
        filter((try? NetworkNamespace.list().map(\.rawValue)) ?? [], prefix)
    }

    /// The links of the namespace the words so far name with `-n NS` (else the current one), for
    /// `link set <TAB>`, `--dev <TAB>`, `who <TAB>`.
    static let interfaces = CompletionKind.custom { words, _, prefix in
        filter(links(in: namespace(in: words)), prefix)
    }

    /// The topologies that are up, for `down <TAB>`, `show <TAB>`, `cut <TAB>`.
    static let topologies = CompletionKind.custom { _, _, prefix in
        filter((try? Applier.list().map(\.name)) ?? [], prefix)
    }

    /// `-n NS` (or `-nNS`) among the words typed so far.
    static func namespace(in words: [String]) -> String? {
        for (i, w) in words.enumerated() {
            if w == "-n", i + 1 < words.count, !words[i + 1].isEmpty { return words[i + 1] }
            if w.hasPrefix("-n"), w.count > 2, !w.hasPrefix("--") { return String(w.dropFirst(2)) }
        }
        return nil
    }

    static func links(in namespace: String?) -> [String] {
        do {
            let h = try namespace.map { try NetHandle(namespace: NetworkNamespace.open(NamespaceName($0))) } ?? NetHandle()
            return try h.linksWithoutStatistics().map(\.name)
        } catch {
            return []
        }
    }

    static func filter(_ names: [String], _ prefix: String) -> [String] {
        names.filter { $0.hasPrefix(prefix) }.sorted()
    }
}

/// The grammar the shell completion scripts are made from: vethctl's, with the leading `-n NS`
/// declared (Main takes it off before parsing a real command line, since a parent's option would
/// also capture the verbs' own `-n` after them), so `vethctl -n <TAB>` offers namespaces and the
/// verbs after `-n NS` complete that namespace's links.
struct VethCtlCompletion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vethctl", abstract: VethCtl.configuration.abstract, version: VethCtl.version,
        subcommands: VethCtl.configuration.subcommands)

    @Option(name: .customShort("n"), help: ArgumentHelp("Run the command inside this named network namespace.", valueName: "ns"),
            completion: Completions.namespaces)
    var netns: String?
    @Option(help: "Run the commands of FILE (one per line, like `ip -batch`; - for standard input) in one process.", completion: .file())
    var batch: String?
    @Flag(help: "With --batch: go on after a failing line.") var force = false
}

extension Completions {
    /// The nodes of the topology named in the word before (`exec lab <TAB>`, `cut lab <TAB>`).
    static let nodes = CompletionKind.custom { words, index, prefix in
        guard index >= 1, index - 1 < words.count, let nodes = try? NodeNamespace.nodes(of: words[index - 1]) else { return [] }
        return filter(nodes, prefix)
    }

    /// The topologies that are up and the YAML files here, for verbs taking FILE or NAME.
    static let topologiesOrFiles = CompletionKind.custom { _, _, prefix in
        let files = ((try? FileManagerless.yamlFiles()) ?? [])
        return filter(((try? Applier.list().map(\.name)) ?? []) + files, prefix)
    }
}

/// The `*.yaml` / `*.yml` files of the current directory (opendir: no Foundation).
enum FileManagerless {
    static func yamlFiles() throws -> [String] {
        guard let dir = opendir(".") else { return [] }
        defer { closedir(dir) }
        var out: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".yaml") || name.hasSuffix(".yml") { out.append(name) }
        }
        return out
    }
}
