// vethkit-topo: the topology engine behind `vethctl up/plan/down/show/check/graph/list/gen`
// (vethctl execs it, so Yams and Foundation stay out of vethctl's start-up); also usable directly.
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
