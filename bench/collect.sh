#!/bin/bash
# bench/collect.sh: bench/RESULTS.md = every table in bench/results/, newest runs as committed.
# Each benchmark script (veth-bench.sh, tc-bench.sh, tc-defaults-bench.sh, check-bench.sh, perf-bench.sh,
# topo-bench.sh, cni-bench.sh, cri-bench.sh) writes its own file there.
set -eu
cd "$(dirname "$0")"
{
	echo "# VethKit benchmark results"
	echo
	echo "Each section is one benchmark script's latest run, with its anchors (iproute2, pyroute2, the"
	echo "raw-C netlink floor from ../shared/bench, Debian's CNI plugins) measured in the same run on"
	echo "the same machine (2 cores; other work may have been running, so compare within a table)."
	for f in results/veth.md results/tc.md results/tc-defaults.md results/check.md results/perf.md results/topology.md results/cni.md results/cri.md results/cri-loopback-stub.md results/cri-notes.md; do
		[ -f "$f" ] || continue
		echo
		echo "<!-- $f -->"
		sed 's/^# /## /' "$f"
	done
} >RESULTS.md
