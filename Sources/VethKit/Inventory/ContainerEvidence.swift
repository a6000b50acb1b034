/// What says a container still exists, for ids read from a runtime's files (a CNI reservation's
/// container id, the name of a runtime's namespace mount): the cgroup path and command line of
/// every process (a runtime's monitor carries the id: `conmon -c ID`, `containerd-shim -id ID`),
/// the mount paths of every namespace found and the container ids of their owners. An id that
/// appears anywhere in them is alive; only an id that appears nowhere can belong to a container
/// that is gone (docs/orphans.md).
public struct ContainerEvidence: Sendable {
    /// The texts searched, each once.
    public private(set) var texts: [String]

    public init(texts: [String]) { self.texts = texts }

    /// A fresh look: every process's cgroup and command line (each its first 64 KiB), plus the
    /// mount paths and owner ids of `namespaces`.
    public static func collect(namespaces: [DiscoveredNamespace] = [], procRoot: String = "/proc") -> ContainerEvidence {
        var texts: [String] = []
        for pid in ProcFiles.numericEntries(procRoot) ?? [] {
            for file in ["cgroup", "cmdline"] {
                if let b = ProcFiles.read("\(procRoot)/\(pid)/\(file)", limit: 65536, noFollow: true, truncating: true), !b.isEmpty {
                    texts.append(String(decoding: b.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self))
                }
            }
        }
        for n in namespaces {
            texts += n.mounts.map(\.path)
            for o in n.owners {
                switch o {
                case .podman(let id, _), .docker(let id, _), .containerd(_, let id): texts.append(id)
                case .kubernetes(let uid, _, _, let id): texts += [uid, id].compactMap { $0 }
                case .cni, .systemdUnit, .process: break
                }
            }
        }
        return ContainerEvidence(texts: texts)
    }

    /// True when `id` appears in any text. Ids shorter than 8 bytes are too common to judge:
    /// always alive.
    public func mentions(_ id: String) -> Bool {
        guard id.utf8.count >= 8 else { return true }
        return texts.contains { $0.contains(id) }
    }
}
