#!/bin/bash
# bench/perf-bench.sh — `vethctl perf` against iperf3 on the same path, in the same run.
#
#   sudo bench/perf-bench.sh          # REPS=5 DURATION=5 by default
#   REPS=3 DURATION=2 bench/perf-bench.sh
#
# One veth between two namespaces (a topology of two nodes brought up by vethctl inside
# scripts/sandbox), then for each rep, interleaved so both see the same machine load:
#   iperf3 -c … -t DURATION -J       (goodput: end.sum_received.bits_per_second)
#   vethctl perf FILE a b --duration DURATION --json   (the same key)
# first on the bare veth, then with `tc qdisc add dev eth0 root tbf rate 100mbit burst 64kb
# latency 50ms` on a's end. Prints and writes bench/results/perf.md: every rep, the medians and
# the ratio vethctl / iperf3 (targets: ≥ 0.95× on the bare veth, 1 ± 0.05 over tbf 100mbit).
# vethctl is the release binary of scripts/build-release (fully static, stripped).
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
REPS=${REPS:-5}
DURATION=${DURATION:-5}
[ "$(id -u)" = 0 ] || { echo "perf-bench: needs root (sandbox)" >&2; exit 77; }
command -v iperf3 >/dev/null || { echo "perf-bench: iperf3 missing (scripts/setup installs it)" >&2; exit 77; }
command -v jq >/dev/null || { echo "perf-bench: jq missing (scripts/setup installs it)" >&2; exit 77; }

scripts/build-release >&2
BIN=$ROOT/dist/bin/vethctl
W=$(mktemp -d /tmp/perf-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
cat >"$W/pb.yaml" <<'EOF'
name: pb
nodes:
  a: {}
  b: {}
links:
  - endpoints: [{node: a, name: eth0, addresses: [10.219.0.1/24]}, {node: b, name: eth0, addresses: [10.219.0.2/24]}]
EOF

mkdir -p "$ROOT/bench/results"
RAW=$ROOT/bench/results/perf-raw.txt   # case rep iperf3-bps vethctl-bps
"$ROOT/scripts/sandbox" env BIN="$BIN" W="$W" REPS="$REPS" DURATION="$DURATION" bash -c '
set -eu
"$BIN" up "$W/pb.yaml" -q >&2
iperf() {
	local out
	ip netns exec pb-b iperf3 -s -1 -p 5301 >/dev/null 2>&1 &
	local server=$!
	for _ in $(seq 50); do
		out=$(ip netns exec pb-a iperf3 -c 10.219.0.2 -p 5301 -t "$DURATION" -J 2>/dev/null) && ! grep -q "\"error\"" <<<"$out" && break
		sleep 0.1
	done
	wait $server 2>/dev/null || true
	jq -r ".end.sum_received.bits_per_second" <<<"$out"
}
ours() { "$BIN" perf "$W/pb.yaml" a b --duration "$DURATION" --json | jq -r ".end.sum_received.bits_per_second"; }
for case in veth tbf100; do
	if [ $case = tbf100 ]; then tc -n pb-a qdisc add dev eth0 root tbf rate 100mbit burst 64kb latency 50ms; fi
	for r in $(seq "$REPS"); do
		# alternate which goes first, so neither always gets the cooler machine
		if [ $((r % 2)) = 1 ]; then i=$(iperf); v=$(ours); else v=$(ours); i=$(iperf); fi
		echo "$case $r $i $v"
		echo "$case rep $r: iperf3 $i vethctl $v" >&2
	done
done
"$BIN" down pb >&2
' >"$RAW"

LOAD=$(cut -d" " -f1-3 /proc/loadavg)
python3 - "$RAW" "$REPS" "$DURATION" "$LOAD" "$(uname -r)" >"$ROOT/bench/results/perf.md" <<'EOF'
import sys, statistics
raw, reps, duration, load, kernel = sys.argv[1:6]
rows = [l.split() for l in open(raw) if l.strip()]
from datetime import datetime, timezone
print("# perf vs iperf3 (bench/perf-bench.sh)")
print()
print(f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC, kernel {kernel}, {reps} reps of {duration} s each, "
      f"interleaved (order alternating), load average at the end {load}.")
print("Goodput, receiver side: iperf3's `end.sum_received.bits_per_second` and vethctl perf's (same key), one TCP stream,")
print("same path, same run. vethctl: release binary (scripts/build-release).")
print()
print("| path | rep | iperf3 | vethctl perf | ratio |")
print("|---|---|---|---|---|")
for case, r, i, v in rows:
    i, v = float(i), float(v)
    unit, scale = ("Gbit/s", 1e9) if case == "veth" else ("Mbit/s", 1e6)
    print(f"| {case} | {r} | {i/scale:.3f} {unit} | {v/scale:.3f} {unit} | {v/i:.3f}× |")
print()
print("| path | iperf3 median | vethctl perf median | ratio of medians | target |")
print("|---|---|---|---|---|")
for case, target in [("veth", "≥ 0.95×"), ("tbf100", "1 ± 0.05")]:
    i = statistics.median(float(x[2]) for x in rows if x[0] == case)
    v = statistics.median(float(x[3]) for x in rows if x[0] == case)
    unit, scale = ("Gbit/s", 1e9) if case == "veth" else ("Mbit/s", 1e6)
    name = "one veth, two namespaces" if case == "veth" else "tbf rate 100mbit on the veth"
    print(f"| {name} | {i/scale:.3f} {unit} | {v/scale:.3f} {unit} | {v/i:.3f}× | {target} |")
EOF
cat "$ROOT/bench/results/perf.md"
bench/collect.sh
