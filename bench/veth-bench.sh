#!/bin/bash
# bench/veth-bench.sh [REPS]
#
# vethctl against its anchors, all in one run, inside a throwaway sandbox:
#   - create 1000 veth pairs: `vethctl --batch` (one process) vs `ip -batch` vs the raw-C netlink
#     floor (../shared/bench/nlbench.c, in-process timing: the kernel's own cost);
#   - list 2000 links as JSON: `vethctl link show --json` vs `ip -j link show` (whole process);
#   - delete the 1000 pairs by link group: `vethctl link del --group` vs `ip link del group` vs C;
#   - start-up: `vethctl --version` vs `ip -V`;
#   - the release binaries' sizes (vethctl, vethkit-cni; stripped, as scripts/build-release makes them).
# BASELINE=REV also builds REV's vethctl the same way (fully static, stripped; from `git archive`,
# outside this tree) and measures its size and start-up in the same run: e.g. BASELINE=691dc41,
# the last vethctl without the topology verbs linked in, to see what linking VethKitTopology costs.
# Release build (scripts/build-release: vethctl fully static). Writes bench/results/veth.md (medians of REPS) and rebuilds bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-5}
N=1000
ANCHORS=${ANCHORS:-../shared/bench}
scripts/build-release >/dev/null
WORK=$(mktemp -d /tmp/vethkit-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
BV=
if [ -n "${BASELINE:-}" ]; then
	mkdir -p "$WORK/baseline"
	git archive "$BASELINE" | tar -x -C "$WORK/baseline"
	(cd "$WORK/baseline" && swift build -c release --product vethctl -Xswiftc -static-executable -Xlinker -s \
		--scratch-path "$WORK/baseline/.build" >/dev/null 2>&1) || { echo "veth-bench: cannot build $BASELINE" >&2; exit 1; }
	BV=$WORK/baseline/.build/release/vethctl
fi
cp "$ANCHORS/nlbench.c" "$WORK/"
gcc -O2 -Wall -o "$WORK/nlbench" "$WORK/nlbench.c"
for i in $(seq 0 $((N - 1))); do echo "link add vethA$i type veth peer name vethB$i group 99"; done >"$WORK/ip.batch"
for i in $(seq 0 $((N - 1))); do echo "link add vethA$i --peer vethB$i --group 99"; done >"$WORK/vethctl.batch"
export V="$PWD/dist/bin/vethctl" BV WORK REPS N
scripts/sandbox bash -c '
set -euo pipefail
t() { local t0=$EPOCHREALTIME; "$@" >/dev/null; local t1=$EPOCHREALTIME; awk -v a=$t0 -v b=$t1 "BEGIN{printf \"%.4f\", b-a}"; }
veths() { grep -c "veth[AB]" /proc/net/dev || true; }
gone() { while grep -q "veth[AB]" /proc/net/dev; do :; done; }
for r in $(seq 1 $REPS); do
	# raw-C floor (in-process timing)
	c=$("$WORK/nlbench" create-batch $N 99); c=${c##*elapsed_s=}
	[ "$(veths)" = $((2*N)) ] || { echo "C: wrong count" >&2; exit 1; }
	d=$("$WORK/nlbench" delete-group 99); d=${d##*elapsed_s=}; gone
	echo "C-floor create $c"; echo "C-floor delete $d"
	# ip -batch
	echo "ip create $(t ip -batch "$WORK/ip.batch")"
	[ "$(veths)" = $((2*N)) ] || { echo "ip: wrong count" >&2; exit 1; }
	echo "ip list $(t ip -j link show)"
	echo "ip delete $(t ip link del group 99)"; gone
	# vethctl
	echo "vethctl create $(t "$V" --batch "$WORK/vethctl.batch")"
	[ "$(veths)" = $((2*N)) ] || { echo "vethctl: wrong count $(veths)" >&2; exit 1; }
	echo "vethctl list $(t "$V" link show --json)"
	[ "$("$V" link show --json | grep -o "\"ifname\"" | wc -l)" = $((2*N+1)) ] || { echo "vethctl: list count" >&2; exit 1; }
	echo "vethctl delete $(t "$V" link del --group 99)"; gone
	for i in 1 2 3 4 5; do
		echo "ip startup $(t ip -V)"; echo "vethctl startup $(t "$V" --version)"
		if [ -n "$BV" ]; then echo "baseline startup $(t "$BV" --version)"; fi
	done
done' >"$WORK/raw.txt"
size() { echo "$1 $(stat -c %s "$2") $(file -b "$2" | grep -q 'not stripped' && echo 0 || echo 1)"; }
{ size vethctl dist/bin/vethctl; size vethkit-cni dist/bin/vethkit-cni; [ -z "$BV" ] || size baseline "$BV"; } >"$WORK/sizes.txt"
python3 - "$WORK/raw.txt" "$REPS" "$WORK/sizes.txt" "${BASELINE:-}" <<'PY' | tee bench/results/veth.md
import sys, statistics, datetime, platform, subprocess
rows = {}
for line in open(sys.argv[1]):
    tool, what, val = line.split()
    rows.setdefault((tool, what), []).append(float(val))
sizes = {}
for line in open(sys.argv[3]):
    name, size, stripped = line.split()
    sizes[name] = (int(size), stripped == "1")
baseline = sys.argv[4]
med = {k: statistics.median(v) for k, v in rows.items()}
kernel = platform.release()
print(f"# vethctl vs anchors ({datetime.date.today()}, kernel {kernel}, {sys.argv[2]} reps, medians; release, vethctl fully static)\n")
print("Whole-process wall time except the C floor, which times its netlink work in-process.\n")
print("| task | raw-C floor | ip | vethctl | vethctl / floor | vethctl / ip | target |")
print("|---|---|---|---|---|---|---|")
def row(name, what, target, floor=True):
    c = med.get(("C-floor", what)); i = med.get(("ip", what)); v = med[("vethctl", what)]
    f = lambda x: f"{x*1000:.1f} ms" if x is not None else "–"
    r = lambda a, b: f"{a/b:.2f}×" if b else "–"
    print(f"| {name} | {f(c)} | {f(i)} | {f(v)} | {r(v, c) if c else '–'} | {r(v, i)} | {target} |")
row("create 1000 veth pairs (batch)", "create", "≤ 1.05× floor")
row("list 2000 links as JSON", "list", "≤ 1.0× ip")
row("delete 1000 pairs by group", "delete", "–")
row("start-up (--version / -V)", "startup", "≤ 1.5× ip")
print("\n## Release binaries (scripts/build-release: fully static, stripped)\n")
print("| binary | size | stripped |")
print("|---|---|---|")
def mb(n): return f"{n / 1e6:.1f} MB"
for name in ("vethctl", "vethkit-cni"):
    n, s = sizes[name]
    print(f"| {name} | {mb(n)} | {'yes' if s else 'NO'} |")
if baseline:
    n, s = sizes["baseline"]
    b = med[("baseline", "startup")]; i = med[("ip", "startup")]; v = med[("vethctl", "startup")]
    print(f"\nBaseline {baseline} (vethctl built the same way, same run): {mb(n)}{'' if s else ' (not stripped)'}, "
          f"start-up {b*1000:.1f} ms = {b/i:.2f}× ip; this vethctl {mb(sizes['vethctl'][0])}, {v*1000:.1f} ms = {v/i:.2f}× ip.")
PY
bench/collect.sh
