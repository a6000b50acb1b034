/// Batch lines that come by the thousand (`link add NAME --peer P …`, `link impair NAME --rate R …`)
/// are parsed here directly: argument-parser costs about a millisecond per line, three times the
/// kernel's own work for a veth pair and fifty times a qdisc's. Only the exact shapes below are
/// taken; anything else (other commands, unknown or repeated options, `--opt=value`, `--help`)
/// returns nil and goes through argument-parser, so errors and help read the same. The values are
/// checked by the same ``CommandAction/check()`` either way.
enum BatchFastPath {
    static func parse(_ words: [String], namespace: String?) -> CommandAction? {
        guard words.count >= 3, words[0] == "link", !words[2].hasPrefix("-") else { return nil }
        if words[1] == "impair" { return impair(words, namespace: namespace) }
        guard words[1] == "add" else { return nil }
        var a = LinkAddAction(namespace: namespace, name: words[2])
        var seen: [String] = []
        var i = 3
        while i < words.count {
            let option = words[i]
            guard !seen.contains(option) else { return nil }
            seen.append(option)
            if option == "--up" { a.up = true; i += 1; continue }
            guard i + 1 < words.count else { return nil }
            let value = words[i + 1]
            switch option {
            case "--type":
                guard let t = LinkCommand.Kind(rawValue: value) else { return nil }
                a.type = t
            case "--peer": a.peer = value
            case "--peer-netns": a.peerNetns = value
            case "--mtu": a.mtu = value
            case "--address": a.address = value
            case "--group":
                guard UInt32(value) != nil else { return nil }
                a.group = value
            case "-n":
                guard a.namespace == nil else { return nil }
                a.namespace = value
            default: return nil
            }
            i += 2
        }
        return a
    }

    /// `link impair NAME (--KEY VALUE)… [--clear] [-n NS]`: each key of ``LinkImpairAction/keys``
    /// at most once. The settings are put in argument-parser's order (the keys' order), so the
    /// first bad value named is the same on both paths.
    static func impair(_ words: [String], namespace: String?) -> CommandAction? {
        if words.contains(where: { $0 == "-h" || $0 == "--help" || $0 == "-help" }) { return nil }
        var a = LinkImpairAction(namespace: namespace, name: words[2])
        var values = [String?](repeating: nil, count: LinkImpairAction.keys.count)
        var sawNamespace = false
        var i = 3
        while i < words.count {
            let option = words[i]
            if option == "--clear" {
                guard !a.clear else { return nil }
                a.clear = true
                i += 1
                continue
            }
            guard i + 1 < words.count else { return nil }
            let value = words[i + 1]
            if option == "-n" {
                guard !sawNamespace, a.namespace == nil else { return nil }
                sawNamespace = true
                a.namespace = value
            } else {
                guard option.utf8.count > 2, option.hasPrefix("--"),
                      let k = LinkImpairAction.keys.firstIndex(of: String(option.dropFirst(2))), values[k] == nil else { return nil }
                values[k] = value
            }
            i += 2
        }
        for (k, v) in zip(LinkImpairAction.keys, values) { if let v { a.settings.append((key: k, value: v)) } }
        return a
    }
}
