import ArgumentParser
import Glibc
import VethKit

/// `vethctl`: veth pairs, bridges, namespaces, addresses and routes over rtnetlink.
struct VethCtl: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "vethctl",
        abstract: "Linux virtual networking: veth pairs, bridges, namespaces, addresses and routes, over rtnetlink.",
        discussion: HelpExamples.discussion("vethctl", "Global option: -n NS before or after the subcommand runs it inside the named network namespace (for the topology verbs: NS is the topology's host node)."),
        version: version,
        subcommands: [NetnsCommand.self, LinkCommand.self, AddrCommand.self, RouteCommand.self, RuleCommand.self, NexthopCommand.self, NeighCommand.self, FDBCommand.self,
                      PeersCommand.self, WhoCommand.self, MonitorCommand.self,
                      UpCommand.self, PlanCommand.self, DownCommand.self, ShowCommand.self, CheckCommand.self, CutCommand.self, RestoreCommand.self,
                      ExecCommand.self, GraphCommand.self, ListCommand.self, GenCommand.self, OrphansCommand.self, QdiscCommand.self, PerfCommand.self])

    @Option(help: "Run the commands of FILE (one per line, like `ip -batch`; - for standard input) in one process.")
    var batch: String?
    @Flag(help: "With --batch: go on after a failing line.") var force = false

    mutating func run() throws {
        guard let batch else { throw CleanExit.helpRequest(self) }
        try BatchRunner(path: batch, force: force).run()
    }
}

@main
enum Main {
    static func main() {
        if let bad = RawArguments.firstInvalid() {
            warn("vethctl: argument \(bad.index) \"\(bad.shown)\" is not valid UTF-8 (byte 0x\(String(bad.byte, radix: 16)))")
            exit(ExitStatus.badInput.rawValue)
        }
        exit(invoke(Array(CommandLine.arguments.dropFirst())))
    }

    /// Parses and runs one command line; returns the exit status.
    static func invoke(_ arguments: [String]) -> Int32 {
        var args = arguments
        do {
            Context.shared.defaultNamespace = try takeLeadingNamespace(&args)
            try refuseUnknownVerb(args)
            // The completion scripts and their callbacks use the same tree with a leading -n.
            if args.first == "--generate-completion-script" || args.first == "---completion" {
                // (Its script and its answers are made by the type that parsed: printed here.)
                do { _ = try VethCtlCompletion.parseAsRoot(args) } catch {
                    let code = VethCtlCompletion.exitCode(for: error)
                    if code == .success { emit(VethCtlCompletion.fullMessage(for: error) + "\n") } else { warn(VethCtlCompletion.fullMessage(for: error)) }
                    return code.rawValue
                }
                return ExitStatus.ok.rawValue
            }
            var command = try VethCtl.parseAsRoot(args)
            try command.run()
            return ExitStatus.ok.rawValue
        } catch {
            return report(error)
        }
    }

    /// `vethctl link` alone is `link show` (as `ip link`; likewise addr, route, netns), but a word
    /// after it that is no verb of its is refused (ArgumentParser would take it for show's argument).
    static func refuseUnknownVerb(_ args: [String]) throws {
        guard args.count >= 2, !args[1].hasPrefix("-"),
              let group = VethCtl.configuration.subcommands.first(where: { $0.configuration.commandName == args[0] }),
              group.configuration.defaultSubcommand != nil else { return }
        let verbs = group.configuration.subcommands.flatMap { [$0.configuration.commandName ?? ""] + $0.configuration.aliases }
        guard !verbs.contains(args[1]) else { return }
        throw UsageError("\(args[0]): no command \"\(args[1].terminalEscaped())\" (\(args[0]) \(verbs.joined(separator: "|")); \(args[0]) alone shows)")
    }

    /// Removes a leading `-n NS` / `--netns NS` / `-nNS` (iproute2's position for it) and returns NS.
    static func takeLeadingNamespace(_ args: inout [String]) throws -> String? {
        guard let first = args.first else { return nil }
        if first == "-n" || first == "--netns" {
            guard args.count >= 2 else { throw UsageError("\(first) needs a namespace name") }
            let ns = args[1]
            args.removeFirst(2)
            return ns
        }
        if first.hasPrefix("--netns=") { args.removeFirst(); return String(first.dropFirst(8)) }
        if first.hasPrefix("-n"), first.count > 2 { args.removeFirst(); return String(first.dropFirst(2)) }
        return nil
    }

    /// Prints an error the way vethctl does and returns its exit status.
    static func report(_ error: Error, prefix: String = "") -> Int32 {
        switch error {
        case let e as TopologyFailure:
            emitLine(e.stdout)
            if !e.stderr.isEmpty { warn(e.stderr) }
            return e.status.rawValue
        case let e as CommandError where Privilege.explains(e):
            warn("vethctl: \(prefix)\(e.context.isEmpty ? "" : e.context + ": ")\(Privilege.message)")
            return ExitStatus.refused.rawValue
        case _ where (error is KernelError || error is SystemCallError) && Privilege.explains(error):
            warn("vethctl: \(prefix)\(Privilege.message)")
            return ExitStatus.refused.rawValue
        case is CommandError, is InvalidInput, is UsageError, is NotFound, is AlreadyExists, is KernelError,
             is SystemCallError, is MalformedMessage, is BatchFailed:
            warn("vethctl: \(prefix)\(error)")
            return CommandError.status(of: error).rawValue
        default:
            let code = VethCtl.exitCode(for: error)
            if code == .success {
                emit(VethCtl.fullMessage(for: error) + "\n")
                return 0
            }
            // One line, as for every other bad input; --help has the usage.
            warn("vethctl: \(prefix)\(VethCtl.message(for: error)) (see vethctl --help)")
            return ExitStatus.badInput.rawValue
        }
    }
}
