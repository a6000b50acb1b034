// vethkit-topo: the topology commands of `vethctl` (up/plan/down/show/check/graph/list/gen) as a
// standalone binary, for the kill test and bench/topo-bench.sh until (and besides) the CLI wiring.
// Same arguments and exit statuses as `vethctl <command> ...`.
import Glibc
import VethKitTopology

let args = Array(CommandLine.arguments.dropFirst())
guard let outcome = TopologyCommands.run(args) else {
    FileHandle_stderr("usage: vethkit-topo up FILE | plan FILE | down FILE|NAME | show FILE|NAME [--json] | check FILE [--json] | graph FILE [--format dot|svg|mermaid] | list [--json] | gen star|chain|pairs N [--name NAME]\n")
    exit(2)
}
exit(outcome.emit())

func FileHandle_stderr(_ s: String) {
    _ = s.withCString { write(2, $0, strlen($0)) }
}
