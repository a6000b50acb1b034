#!/bin/bash
# bench/netns-bench.sh [REPS]
#
# The machine-wide peer scan against its anchor, in one run, inside a throwaway sandbox:
# 1000 namespaces (500 named, 500 held only by an `unshare -n sleep` process), each with a veth to
# the sandbox's namespace, then REPS runs (median) of
#   - lsns -t net -J --list                 (the anchor: lists the 500 with processes, no veths)
#   - the scan: `vethctl peers --all --json` when vethctl has it, and Examples/MachinePeers
#     (find namespaces + MachinePeerMap.scan + JSON, one process; its own phase times too)
#   - ip -all netns exec ip -j link          (iproute2 over the 500 named ones only; for comparison)
# whole-process wall time and peak RSS (/usr/bin/time -f %M). Prints the medians and a table of
# ratios to lsns (copy it into bench/results/netns.md). Release build. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-7}
N=${N:-500}
swift build -c release --product MachinePeers >/dev/null
swift build -c release --product vethctl >/dev/null 2>&1 || true
export MP="$PWD/.build/release/MachinePeers" V="$PWD/.build/release/vethctl" REPS N
OUT=$(scripts/sandbox bash -c '
set -euo pipefail
WORK=$(mktemp -d /tmp/h2-netns-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
t0=$EPOCHREALTIME
for i in $(seq 0 $((N - 1))); do echo "netns add h2bn$i"; echo "link add h2n$i type veth peer name eth0 netns h2bn$i"; done >"$WORK/named.batch"
ip -batch "$WORK/named.batch"
for i in $(seq 0 $((N - 1))); do unshare -n sleep 3600 & pids+=($!); done
# wait until every process is in its own namespace, then give each a veth
me=$(stat -L -c %i /proc/self/ns/net)
for p in "${pids[@]}"; do while [ "$(stat -L -c %i /proc/$p/ns/net 2>/dev/null || echo $me)" = "$me" ]; do :; done; done
i=0; for p in "${pids[@]}"; do echo "link add h2p$i type veth peer name eth0 netns $p"; i=$((i + 1)); done >"$WORK/proc.batch"
ip -batch "$WORK/proc.batch"
t1=$EPOCHREALTIME
echo "setup $(awk -v a=$t0 -v b=$t1 "BEGIN{printf \"%.2f\", b-a}") s: $(ls /run/netns | wc -l) named, ${#pids[@]} processes, $(grep -c h2 /proc/net/dev) host veths" >&2
run() { # label cmd...: REPS runs, prints "label median_s peak_kb lines"
	local label=$1; shift
	local times=() mems=() lines=0
	for r in $(seq 1 $REPS); do
		local a=$EPOCHREALTIME
		/usr/bin/time -f %M -o "$WORK/mem" "$@" >"$WORK/out" 2>"$WORK/err" || { echo "$label failed: $(head -c 300 "$WORK/err")" >&2; return 0; }
		local b=$EPOCHREALTIME
		times+=($(awk -v a=$a -v b=$b "BEGIN{printf \"%.4f\", b-a}")); mems+=($(tail -1 "$WORK/mem"))
		lines=$(wc -l <"$WORK/out")
	done
	local mt=$(printf "%s\n" "${times[@]}" | sort -n | awk "{a[NR]=\$1} END{print a[int((NR+1)/2)]}")
	local mm=$(printf "%s\n" "${mems[@]}" | sort -n | awk "{a[NR]=\$1} END{print a[int((NR+1)/2)]}")
	echo "$label $mt $mm $lines"
}
run lsns lsns -t net -J --list
run machinepeers "$MP"
run machinepeers-separate "$MP" --separate
if "$V" peers --help 2>/dev/null | grep -q -- --all; then run vethctl "$V" peers --all --json; fi
run ipall ip -all netns exec ip -j link
# the scan phases (one run, to standard error)
for r in 1 2 3; do "$MP" --timings --separate 2>&1 >/dev/null | sed "s/^/phases (discover, then scan): /"; done
echo "load: $(cut -d" " -f1-3 /proc/loadavg)"
if [ -n "${STRACE:-}" ] && command -v strace >/dev/null; then strace -f -c -o "$WORK/strace" "$MP" >/dev/null; sed "s/^/strace: /" "$WORK/strace" | head -25; fi
ip -all netns delete
')
echo "$OUT"
# The table: each program's median against lsns's in this same run, and peak memory.
echo
echo "| program | median s | / lsns | peak RSS KB |"
echo "|---|---:|---:|---:|"
echo "$OUT" | awk '$1=="lsns"{l=$2} {r[NR]=$0} END{for(i=1;i<=NR;i++){split(r[i],f," "); if(f[1]~/^(lsns|machinepeers|machinepeers-separate|vethctl|ipall)$/ && NF==4) printf "| %s | %.4f | %.2f× | %s |\n", f[1], f[2], f[2]/l, f[3]}}'

