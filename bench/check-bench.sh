#!/bin/bash
# bench/check-bench.sh — `vethctl check --all` against fping, in one run.
#
#   sudo bench/check-bench.sh          # REPS=5 by default; LEAVES=100
#
# The routed star: a router r with a /30 to each of LEAVES leaves (default route via r);
# `vethctl gen` has no routed star, so it is generated here. All pairs is every node to every
# address of every other node: LEAVES × (LEAVES − 1 + LEAVES) + LEAVES probes (20 000 for 100).
# Cases, interleaved per rep so that both see the same machine load (medians in the table):
#   vethctl      `vethctl check FILE --all` (the release binary; whole process: load, probe, matrix)
#   fping x N    one `ip netns exec lK fping -q -c1 -p1 -i1 -t500 TARGETS…` per node, all at once
#                (1 ms pacing; the router's too), waited for together — the best shell equivalent
#   fping seq    the same processes one after another (reference; REPS_SEQ=1 rep, 0 to skip)
# Every case must see no loss (a lost probe is reported and fails the run).
# Everything runs inside one throwaway scripts/sandbox: no link or namespace is made on the host.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
REPS=${REPS:-5}
REPS_SEQ=${REPS_SEQ:-1}
LEAVES=${LEAVES:-100}
[ "$(id -u)" = 0 ] || { echo "check-bench: needs root (sandbox)" >&2; exit 77; }
command -v fping >/dev/null || { echo "check-bench: needs fping (scripts/setup)" >&2; exit 77; }
if [ -z "${VETHCTL:-}" ]; then
	swift build -c release --product vethctl -Xswiftc -static-executable --scratch-path .build-static >/dev/null 2>&1 \
		|| swift build -c release --product vethctl -Xswiftc -static-executable --scratch-path .build-static >&2
	VETHCTL=$ROOT/.build-static/release/vethctl
fi
W=$(mktemp -d /tmp/check-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

addr() { local k=$(($1 - 1)); echo "10.100.$((k * 4 / 256)).$((k * 4 % 256 + $2))"; }   # leaf K, .1 router / .2 leaf
{
	echo "name: rstar"
	echo "nodes:"
	echo "  r: {sysctls: {net.ipv4.ip_forward: \"1\"}}"
	for i in $(seq 1 "$LEAVES"); do echo "  l$i: {routes: [{to: default, via: $(addr "$i" 1)}]}"; done
	echo "links:"
	for i in $(seq 1 "$LEAVES"); do
		echo "  - endpoints: [{node: r, name: l$i, addresses: [$(addr "$i" 1)/30]}, {node: l$i, name: eth0, addresses: [$(addr "$i" 2)/30]}]"
	done
} >"$W/rstar.yaml"
# Targets per node: every address of every other node.
for i in $(seq 1 "$LEAVES"); do
	for j in $(seq 1 "$LEAVES"); do [ "$j" != "$i" ] && addr "$j" 2; addr "$j" 1; done >"$W/t-l$i"
done
for j in $(seq 1 "$LEAVES"); do addr "$j" 2; done >"$W/t-r"

cat >"$W/run.sh" <<'INNER'
set -eu
W=$1; V=$2; REPS=$3; REPS_SEQ=$4; LEAVES=$5
now() { date +%s.%N; }
nodes="r $(seq -f 'l%g' 1 "$LEAVES" | tr '\n' ' ')"
"$V" up "$W/rstar.yaml" -q >&2
"$V" check "$W/rstar.yaml" >/dev/null    # neighbours resolved once, as a warm path for every case
fping_par() {
	for n in $nodes; do ip netns exec "rstar-$n" fping -q -c1 -p1 -i1 -t500 $(cat "$W/t-$n") 2>"$W/f-$n" & done
	wait
}
lost() { cat "$W"/f-* | grep -c ' 1/0/100%' || true; }
for rep in $(seq 1 "$REPS"); do
	s=$(now); "$V" check "$W/rstar.yaml" --all >"$W/all.txt" || true; e=$(now)
	echo "vethctl|$(echo "$e - $s" | bc)|$(grep -c '  FAIL ' "$W/all.txt" || true)|$(tail -1 "$W/all.txt")"
	s=$(now); fping_par; e=$(now)
	echo "fping-par|$(echo "$e - $s" | bc)|$(lost)|"
done
for rep in $(seq 1 "$REPS_SEQ"); do
	s=$(now)
	for n in $nodes; do ip netns exec "rstar-$n" fping -q -c1 -p1 -i1 -t500 $(cat "$W/t-$n") 2>"$W/f-$n"; done
	e=$(now)
	echo "fping-seq|$(echo "$e - $s" | bc)|$(lost)|"
done
"$V" down rstar >&2
INNER
"$ROOT/scripts/sandbox" bash "$W/run.sh" "$W" "$VETHCTL" "$REPS" "$REPS_SEQ" "$LEAVES" | tee "$W/raw.txt"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
vk=$(grep '^vethctl|' "$W/raw.txt" | cut -d'|' -f2 | median)
fp=$(grep '^fping-par|' "$W/raw.txt" | cut -d'|' -f2 | median)
fs=$(grep '^fping-seq|' "$W/raw.txt" | cut -d'|' -f2 | median || true)
lostvk=$(grep '^vethctl|' "$W/raw.txt" | cut -d'|' -f3 | paste -sd+ | bc)
lostfp=$(grep '^fping-' "$W/raw.txt" | cut -d'|' -f3 | paste -sd+ | bc)
probes=$((LEAVES * (2 * LEAVES - 1) + LEAVES))
echo
echo "routed star of $LEAVES leaves, $probes probes, $REPS reps (medians):"
echo "  vethctl check --all        ${vk} s   (lost probes over all reps: $lostvk)"
echo "  fping x$((LEAVES + 1)) in parallel      ${fp} s   (lost: $lostfp)"
[ -n "$fs" ] && echo "  fping one after another    ${fs} s"
echo "  ratio vethctl / fping parallel: $(echo "scale=3; $vk / $fp" | bc)  (target <= 0.5)"
[ "$lostvk" = 0 ] || { echo "check-bench: vethctl lost probes" >&2; exit 1; }
