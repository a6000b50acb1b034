import ArgumentParser
import VethKit

/// Something vethctl can do: `check()` validates every input before any syscall; `execute()`
/// does the work with the process's shared ``Context``. `--batch` checks every line first, then
/// runs them.
protocol CommandAction {
    /// Throws ``InvalidInput`` / ``UsageError`` for bad input; makes no syscall.
    func check() throws
    /// Does the work.
    func execute(_ context: Context) throws
}

/// A vethctl leaf command.
protocol VethCommand: ParsableCommand, CommandAction {}

extension VethCommand {
    func check() throws {}

    mutating func run() throws {
        try check()
        try execute(Context.shared)
    }
}

/// `-n NS` after the subcommand (it may also come before it: `vethctl -n NS link show`).
struct NamespaceOption: ParsableArguments {
    @Option(name: .customShort("n"), help: ArgumentHelp("Run in the named network namespace (topology verbs: it is the topology's host node).", valueName: "ns"),
            completion: Completions.namespaces)
    var netns: String?

    /// The namespace in effect (this option, else the leading `-n`).
    var name: String? { Context.shared.namespaceName(netns) }

    func check() throws {
        if let name { _ = try NamespaceName(name) }
    }
}
