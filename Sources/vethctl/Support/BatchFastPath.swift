/// Batch lines that come by the thousand (`link add NAME --peer P …`) are parsed here directly:
/// argument-parser costs about a millisecond per line, three times the kernel's own work for a veth
/// pair. Only the exact shapes below are taken; anything else (other commands, unknown or repeated
/// options, `--help`) returns nil and goes through argument-parser, so errors and help read the same.
enum BatchFastPath {
    static func parse(_ words: [String], namespace: String?) -> CommandAction? {
        guard words.count >= 3, words[0] == "link", words[1] == "add", !words[2].hasPrefix("-") else { return nil }
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
}
