#!/bin/bash
# bench/tc-bench.sh [REPS]
#
# Impairments on 1000 links, vethctl against tc, all in one run inside a throwaway sandbox:
#   - `tc -batch` of 1000 `qdisc add dev vethAi root handle 564b: tbf rate 100mbit burst B latency L`
#     (B and L: what VethKit's TokenBucket picks for a rate alone, read back from the kernel after
#     the first vethctl run, so both tools create the same qdisc);
#   - `vethctl --batch` of 1000 `link impair vethAi --rate 100mbit` (one process: its start-up,
#     the parsing of every line, the name and ownership look-ups and the requests included);
#   - the same vethctl batch again on links that already carry the impairment (a replace each);
#   - a `tc` process per qdisc (the shell loop users write), once, for reference (TC_LOOP=0 skips it).
# Every run is checked (1000 tbf qdiscs of handle 564b: and rate 12500000 B/s, read with tc -j)
# and deleted (untimed, `tc -batch` of `qdisc del`) before the next. Tools alternate in order
# per repetition. Release build (scripts/build-release). Writes bench/results/tc.md (medians of
# REPS, the ratio vethctl / tc -batch per repetition too) and rebuilds bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-7}
N=${N:-1000}
TC_LOOP=${TC_LOOP:-1}
[ -n "${SKIP_BUILD:-}" ] || scripts/build-release >/dev/null
WORK=$(mktemp -d /tmp/vethkit-tc-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for i in $(seq 0 $((N - 1))); do echo "link add vethA$i type veth peer name vethB$i"; done >"$WORK/links.batch"
for i in $(seq 0 $((N - 1))); do echo "link impair vethA$i --rate 100mbit"; done >"$WORK/vethctl.batch"
for i in $(seq 0 $((N - 1))); do echo "qdisc del dev vethA$i root"; done >"$WORK/del.batch"
export V="$PWD/dist/bin/vethctl" WORK REPS N TC_LOOP
scripts/sandbox bash -c '
set -euo pipefail
t() { local t0=$EPOCHREALTIME; "$@" >/dev/null; local t1=$EPOCHREALTIME; awk -v a=$t0 -v b=$t1 "BEGIN{printf \"%.4f\", b-a}"; }
# every vethA link carries our tbf at 100mbit (rate in bytes/s, as tc -j prints it)
check() {
	local n
	n=$(tc -j qdisc show | grep -o "\"kind\":\"tbf\",\"handle\":\"564b:\",\"dev\":\"vethA[0-9]*\",\"root\":true,\"refcnt\":[0-9]*,\"options\":{\"rate\":12500000," | wc -l)
	[ "$n" = "$N" ] || { echo "$1: $n of $N links carry tbf 564b: rate 100mbit" >&2; exit 1; }
}
clear() { tc -batch "$WORK/del.batch"; [ "$(tc qdisc show | grep -c "qdisc tbf")" = 0 ] || { echo "qdiscs left" >&2; exit 1; }; }
ip -batch "$WORK/links.batch"
# The qdisc vethctl makes for a rate alone, so tc makes the same one.
"$V" link impair vethA0 --rate 100mbit
opts=$(tc qdisc show dev vethA0 | sed -n "s/.* rate 100Mbit burst \([^ ]*\) lat \([^ ]*\) .*/burst \1 latency \2/p")
[ -n "$opts" ] || { echo "cannot read vethctl tbf options: $(tc qdisc show dev vethA0)" >&2; exit 1; }
"$V" link impair vethA0 --clear
echo "options $opts" >&2
for i in $(seq 0 $((N - 1))); do echo "qdisc add dev vethA$i root handle 564b: tbf rate 100mbit $opts"; done >"$WORK/tc.batch"
for r in $(seq 1 $REPS); do
	if [ $((r % 2)) = 1 ]; then order="tc vethctl"; else order="vethctl tc"; fi
	for tool in $order; do
		case $tool in
		tc) echo "tc-batch add $(t tc -batch "$WORK/tc.batch")"; check tc; clear ;;
		vethctl)
			echo "vethctl add $(t "$V" --batch "$WORK/vethctl.batch")"; check vethctl
			echo "vethctl replace $(t "$V" --batch "$WORK/vethctl.batch")"; check "vethctl (replace)"
			clear ;;
		esac
	done
done
if [ "$TC_LOOP" = 1 ]; then
	t0=$EPOCHREALTIME
	for i in $(seq 0 $((N - 1))); do tc qdisc add dev vethA$i root handle 564b: tbf rate 100mbit $opts; done
	t1=$EPOCHREALTIME
	echo "tc-loop add $(awk -v a=$t0 -v b=$t1 "BEGIN{printf \"%.4f\", b-a}")"; check "tc loop"; clear
fi
echo "load $(cut -d" " -f1-3 /proc/loadavg)"
' >"$WORK/raw.txt" 2>"$WORK/err.txt" || { cat "$WORK/err.txt" >&2; exit 1; }
python3 - "$WORK/raw.txt" "$REPS" "$N" "$(sed -n 's/^options //p' "$WORK/err.txt")" <<'PY' | tee bench/results/tc.md
import sys, statistics, datetime, platform
rows, load = {}, ""
for line in open(sys.argv[1]):
    parts = line.split()
    if parts[0] == "load": load = " ".join(parts[1:]); continue
    rows.setdefault((parts[0], parts[1]), []).append(float(parts[2]))
reps, n, opts = sys.argv[2], int(sys.argv[3]), sys.argv[4]
tcb = rows[("tc-batch", "add")]
med = lambda k: statistics.median(rows[k])
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
print(f"# Impairments on {n} links: vethctl --batch vs tc -batch (bench/tc-bench.sh)\n")
print(f"{now}, kernel {platform.release()}, {reps} reps (medians; tools alternate in order), load average at the end {load}.")
print("Whole-process wall time: `vethctl` (scripts/build-release: fully static), start-up and the parsing of every line included.")
print(f"tc's lines: `qdisc add dev vethAi root handle 564b: tbf rate 100mbit {opts}` (what VethKit picks for a rate alone).\n")
print("| case | seconds | vs tc -batch | target |")
print("|---|---|---|---|")
b = med(("tc-batch", "add"))
def row(name, key, target="–"):
    if key not in rows: return
    m = med(key)
    print(f"| {name} | {m:.4f} | {m / b:.2f}× | {target} |")
row(f"`tc -batch`: {n} `qdisc add … tbf`", ("tc-batch", "add"))
row(f"`vethctl --batch`: {n} `link impair … --rate 100mbit`", ("vethctl", "add"), "≤ 1.0×")
row(f"the same again (each a replace of our qdisc)", ("vethctl", "replace"))
row(f"a `tc` process per qdisc (shell loop, 1 run)", ("tc-loop", "add"))
ratios = [v / t for v, t in zip(rows[("vethctl", "add")], tcb)]
print(f"\nvethctl / tc -batch per repetition: {', '.join(f'{x:.2f}' for x in ratios)} (median {statistics.median(ratios):.2f}).")
PY
bench/collect.sh
