import VethKitJSON
import ArgumentParser
import Glibc
import VethKit

struct NetnsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netns", abstract: "Named network namespaces (iproute2-compatible, under /run/netns).", discussion: HelpExamples.discussion("netns"),
        subcommands: [Add.self, Del.self, List.self, Exec.self], defaultSubcommand: List.self)

    struct Add: VethCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a named network namespace.", discussion: HelpExamples.discussion("netns add"))
        @Argument var name: String
        func check() throws { _ = try NamespaceName(name) }
        func execute(_ context: Context) throws {
            try step("netns add \(name)") { _ = try NetworkNamespace.create(NamespaceName(name)) }
        }
    }

    struct Del: VethCommand {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete a named network namespace (its veths go with it).", discussion: HelpExamples.discussion("netns del"),
                                                        aliases: ["delete"])
        @Argument(completion: Completions.namespaces) var name: String
        func check() throws { _ = try NamespaceName(name) }
        func execute(_ context: Context) throws {
            try step("netns del \(name)") { try NetworkNamespace.delete(NamespaceName(name)) }
            context.forget(namespace: name)
        }
    }

    struct List: VethCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List named network namespaces (--all: every network namespace on the machine).",
            discussion: HelpExamples.discussion("netns list", """
                --all: every network namespace, however it is kept alive (a name, a process or thread in it, \
                a bind mount in any mount namespace, an open file descriptor), with its label, processes, \
                mounts, owners and link count (docs/namespaces.md).
                """), aliases: ["show"])
        @Flag(help: "JSON output (without --all: as `ip -j netns list`).") var json = false
        @Flag(help: "Every network namespace on the machine, with what holds it and who owns it.") var all = false
        func execute(_ context: Context) throws {
            if all {
                let (namespaces, map) = try step("netns list --all") { try MachinePeerMap.discover(options: .init()) }
                let out = InventoryOutput(namespaces: namespaces, map: map)
                if json { emitJSON(.array(namespaces.map(out.json))) } else { emit(out.namespaceTable) }
                for line in out.failureLines { warn(line) }
                return
            }
            let names = try step("netns list") { try NetworkNamespace.list() }
            let here = try context.handle(nil)
            var rows: [(String, Int32?)] = []
            for n in names {
                let id = (try? NetworkNamespace.open(n)).flatMap { try? here.namespaceID(of: $0) }
                rows.append((n.rawValue, id))
            }
            if json {
                emit(JSON.array(rows.map { n, id in
                    var o = JSONObject()
                    o.set("name", n)
                    o.set("id", id)
                    return o.json
                }).text() + "\n")
            } else {
                emit(rows.map { n, id in id.map { "\(n.terminalEscaped()) (id: \($0))" } ?? n.terminalEscaped() }.joined(separator: "\n") + (rows.isEmpty ? "" : "\n"))
            }
        }
    }

    struct Exec: VethCommand {
        static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a command inside a named network namespace.", discussion: HelpExamples.discussion("netns exec"))
        @Argument(completion: Completions.namespaces) var name: String
        @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (after --).")
        var command: [String] = []

        func check() throws {
            _ = try NamespaceName(name)
            if command.first == "--" { _ = command.dropFirst() }
            if command.filter({ $0 != "--" }).isEmpty { throw UsageError("netns exec \(name): no command given") }
        }

        func execute(_ context: Context) throws {
            let argv = command.first == "--" ? Array(command.dropFirst()) : command
            if context.inBatch {
                // A batch goes on after the command: it runs as a child, waited for.
                let shown = shellQuoted(argv)
                _ = try step("netns exec \(name)") { try context.namespace(name) }
                let status = try step("netns exec \(name)") { try ChildCommand.run(["netns", "exec", name, "--"] + argv) }
                if status != 0 { throw CommandError(context: "netns exec \(name)", underlying: ChildFailed(command: shown, status: status)) }
                return
            }
            try step("netns exec \(name)") {
                let ns = try context.namespace(name)
                try NamespaceExec.exec(in: ns, name: NamespaceName(name), argv)
            }
        }
    }
}
