import VethKitJSON
import ArgumentParser
import VethKit

/// `vethctl who IFNAME|IFINDEX [-n NS] [--json]`: "which container owns this vethXXXX?" — the far
/// end of a veth of this namespace (or NS): the namespace it is in, its interface, and who owns
/// that namespace (a container, a pod, a unit, a process), from one machine-wide discovery.
struct WhoCommand: VethCommand {
    static let configuration = CommandConfiguration(
        commandName: "who", abstract: "The far end of a veth: its namespace, its interface and who owns it (container, pod, process).",
        discussion: HelpExamples.discussion("who", """
            The veth is a link of the namespace vethctl runs in (-n NS: of NS), given by name or by \\
            ifindex (a number is an ifindex). Its peer is looked for in every network namespace on \\
            the machine (docs/namespaces.md). Exit 1 when the link does not exist, is not a veth, or \\
            its peer is in a namespace that could not be read (the answer says so); 2 for bad input.
            """))

    @Argument(help: ArgumentHelp("The veth: its name, or its ifindex.", valueName: "ifname|ifindex"), completion: Completions.interfaces)
    var link: String
    @OptionGroup var ns: NamespaceOption
    @Flag(help: "JSON output.") var json = false

    /// The link as given: a number is an ifindex (1…2147483647), anything else an interface name.
    static func target(_ text: String) throws -> LinkReference {
        let digits = !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard digits else { return .name(try InterfaceName(text)) }
        guard let index = Int32(text) else { throw InvalidInput("ifindex", text, "larger than \(Int32.max)") }
        guard index > 0 else { throw InvalidInput("ifindex", text, "must be 1 or more (0 is no interface)") }
        return .index(index)
    }

    func check() throws {
        _ = try Self.target(link)
        try ns.check()
    }

    func execute(_ context: Context) throws {
        let what = "who \(link)"
        let handle = try step(what) { try context.handle(ns.name) }
        let found = try step(what) { try handle.link(Self.target(link)) }
        guard found.isVeth else { throw CommandError(context: what, underlying: NotAVeth(name: found.name, kind: found.kind)) }
        let here = try step(what) { try handle.namespace.identity() }
        let (namespaces, map) = try step(what) { try MachinePeerMap.discover(options: .init()) }
        let out = InventoryOutput(namespaces: namespaces, map: map)

        var end = MachineVethEnd(namespace: here, name: found.name, index: found.index, isUp: found.isUp,
                                 alias: found.alias, group: found.group, master: found.masterIndex)
        var peer: MachineVethEnd?
        var peerIndex = found.linkIndex
        for p in map.pairs {
            if p.end.namespace == here, p.end.index == found.index {
                (end, peer, peerIndex) = (p.end, p.peer, p.peer?.index ?? p.peerIndex)
                break
            }
            if let q = p.peer, q.namespace == here, q.index == found.index {
                (end, peer, peerIndex) = (q, p.end, p.end.index)
                break
            }
        }
        if json {
            var o = JSONObject()
            o.set("end", out.json(end))
            o.set("peer", peer.map(out.json) ?? .null)
            o.set("peerIfindex", peerIndex.map { JSON($0) } ?? .null)
            o.set("namespace", peer.flatMap { out.namespace($0.namespace) }.map(out.json) ?? .null)
            o.set("error", peer == nil ? .string(PeerUnreachable(index: peerIndex).description) : .null)
            o.set("failures", out.failuresJSON)
            emitJSON(o.json)
        } else {
            emit(out.whoText(end: end, peer: peer, peerIndex: peerIndex))
        }
        if peer == nil { throw CommandError(context: what, underlying: PeerUnreachable(index: peerIndex)) }
    }
}

/// `who` was given a link that is not a veth (exit 1: the input was valid, the machine says no).
struct NotAVeth: CategorizedError, CustomStringConvertible {
    var name: String
    var kind: String?
    var category: ErrorCategory { .notFound }
    var description: String { "\"\(name)\" is \(kind.map { "a \($0)" } ?? "a device of no kind (a physical one or lo)"), not a veth" }
}

/// The veth's peer is in a namespace no discovered path reached (or that could not be read).
struct PeerUnreachable: CategorizedError, CustomStringConvertible {
    var index: Int32?
    var category: ErrorCategory { .notFound }
    var description: String {
        "its peer (ifindex \(index.map(String.init) ?? "?")) is in a network namespace vethctl could not find or read"
    }
}
