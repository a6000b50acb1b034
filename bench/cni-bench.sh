#!/bin/bash
# bench/cni-bench.sh [N...]          (default: 50 200; REPS=3 runs of each, alternating, median)
#
# Times CNI ADD and DEL as a runtime performs them -- one plugin process per container, one after
# the other -- for N containers (network namespaces) on one bridge network, with:
#   ref      Debian's /usr/lib/cni/bridge + /usr/lib/cni/host-local (containernetworking-plugins)
#   vethkit  vethkit-cni with its built-in IPAM (ipam.type vethkit), two builds:
#              static   swift build -c release --static-swift-stdlib -Xswiftc -static-executable
#                       (no dynamic loader at all: ~1.4 ms process start-up instead of ~3.9 ms)
#              stdlib   swift build -c release --static-swift-stdlib (glibc, libstdc++ dynamic)
#   vk+hl    vethkit-cni (static) with IPAM delegated to host-local (shows the cost of the IPAM fork)
# all in the same run, same configuration (only `type` / `ipam.type` differ), IPAM dataDir on
# tmpfs for all. Runs inside scripts/sandbox. Writes bench/results/cni.md.
# Setup and teardown of the namespaces (ip netns add/del) are not timed. Besides wall time, the
# CPU time of the plugin processes (user+sys of the children, from bash's `times`) is reported:
# the machine is shared, and CPU time is much less sensitive to other load than wall time.
set -u
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(readlink -f "$HERE/..")
BIN=$ROOT/.build/release/vethkit-cni
BIN_STATIC=$ROOT/.build-static/release/vethkit-cni
REF=/usr/lib/cni/bridge

if [ "${CNI_BENCH_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
	[ -x "$REF" ] || { echo "missing $REF: apt-get install containernetworking-plugins" >&2; exit 1; }
	if [ "${SKIP_BUILD:-}" != 1 ]; then
		(cd "$ROOT" && swift build -c release --static-swift-stdlib --product vethkit-cni) || exit 1
		(cd "$ROOT" && swift build -c release --static-swift-stdlib -Xswiftc -static-executable \
			--scratch-path .build-static --product vethkit-cni) || exit 1
	fi
	[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
	[ -x "$BIN_STATIC" ] || { echo "no $BIN_STATIC" >&2; exit 1; }
	CNI_BENCH_INSIDE=1 exec "$ROOT/scripts/sandbox" "$(readlink -f "$0")" "$@"
fi
[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] || { echo "REFUSING: not in a throwaway netns" >&2; exit 99; }
[ "${VETHKIT_SANDBOX:-}" = 1 ] || { echo "REFUSING: not started by scripts/sandbox" >&2; exit 99; }
export LC_ALL=C
NS=("$@"); [ ${#NS[@]} -gt 0 ] || NS=(50 200)
D=/run/vethkit/cni-bench   # tmpfs inside the sandbox
mkdir -p "$D"
PLUGDIR=$D/plugins; mkdir -p "$PLUGDIR"
cp "$BIN_STATIC" "$PLUGDIR/vethkit-cni"
mkdir -p "$D/plugins-dyn" && cp "$BIN" "$D/plugins-dyn/vethkit-cni"
ln -sf /usr/lib/cni/host-local "$PLUGDIR/host-local"

conf() { # conf TYPE IPAMTYPE
	printf '{"cniVersion":"1.0.0","name":"bench","type":"%s","bridge":"cni-bench0","isGateway":true,"ipMasq":false,"ipam":{"type":"%s","dataDir":"%s/ipam","ranges":[[{"subnet":"10.200.0.0/16"}]],"routes":[{"dst":"0.0.0.0/0"}]}}' "$1" "$2" "$D"
}
ms() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN{printf "%.2f", (b-a)*1000/n}'; }
cpu() { # cpu VAR: children's user+sys seconds so far (`times` runs in this shell, not a subshell)
	times >"$D/times"
	printf -v "$1" '%s' "$(awk 'NR==2{u=$1; s=$2; sub(/s$/,"",u); sub(/s$/,"",s); split(u,a,"m"); split(s,b,"m"); printf "%.4f", a[1]*60+a[2]+b[1]*60+b[2]}' "$D/times")"
}
run() { # run LABEL BINARY TYPE IPAMTYPE N -> "add_total add_per del_total del_per"
	local label=$1 bin=$2 type=$3 ipam=$4 n=$5 i t0 t1 t1b t2 cfg fails=0
	cfg=$(conf "$type" "$ipam")
	rm -rf "$D/ipam"
	for ((i = 0; i < n; i++)); do ip netns add bn$i; done
	export CNI_PATH=$PLUGDIR:/usr/lib/cni CNI_IFNAME=eth0
	local c0 c1 c1a c2
	cpu c0; t0=$EPOCHREALTIME
	for ((i = 0; i < n; i++)); do
		CNI_COMMAND=ADD CNI_CONTAINERID=bench$i CNI_NETNS=/run/netns/bn$i "$bin" <<<"$cfg" >/dev/null || fails=$((fails + 1))
	done
	t1=$EPOCHREALTIME; cpu c1a
	local veths; veths=$(ip -o link show master cni-bench0 type veth | wc -l)
	t1b=$EPOCHREALTIME; cpu c1
	for ((i = 0; i < n; i++)); do
		CNI_COMMAND=DEL CNI_CONTAINERID=bench$i CNI_NETNS=/run/netns/bn$i "$bin" <<<"$cfg" >/dev/null || fails=$((fails + 1))
	done
	t2=$EPOCHREALTIME; cpu c2
	local left; left=$(ip -o link show type veth | wc -l)
	for ((i = 0; i < n; i++)); do ip netns del bn$i; done
	ip link del cni-bench0 2>/dev/null
	if [ $fails != 0 ] || [ "$veths" != "$n" ] || [ "$left" != 0 ]; then
		echo "BENCH ERROR $label N=$n: $fails failed calls, $veths veths after ADD, $left after DEL" >&2
	fi
	# per container: ADD wall, ADD cpu, DEL wall, DEL cpu (ms)
	echo "$(ms "$t0" "$t1" "$n") $(ms "$c0" "$c1a" "$n") $(ms "$t1b" "$t2" "$n") $(ms "$c1" "$c2" "$n")"
}

startup() { # startup BINARY -> ms per VERSION call (process start-up floor)
	local bin=$1 i t0 t1
	t0=$EPOCHREALTIME
	for ((i = 0; i < 200; i++)); do CNI_COMMAND=VERSION "$bin" </dev/null >/dev/null; done
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)*1000/200}'
}

OUT=$ROOT/bench/results/cni.md
REPS=${REPS:-3}
mkdir -p "$(dirname "$OUT")"
{
	echo "# vethkit-cni vs Debian bridge + host-local"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores (shared with other builds: load $(cut -d' ' -f1-3 /proc/loadavg)); containernetworking-plugins $(dpkg-query -W -f '${Version}' containernetworking-plugins 2>/dev/null)."
	echo "One plugin process per container, sequential, as a runtime calls it (bash fork+exec included for all)."
	echo "Config: bridge cni-bench0, isGateway, 10.200.0.0/16, IPAM dataDir on tmpfs. Builds: see bench/cni-bench.sh (static executable and --static-swift-stdlib)."
	echo "Median of $REPS runs per row, the plugins alternating run by run. ms per container; cpu = user+sys of the plugin processes."
	echo
	echo "| N | plugin | ADD ms | ADD cpu ms | DEL ms | DEL cpu ms | ADD speed-up (wall / cpu) | DEL speed-up (wall / cpu) |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$OUT.tmp"
median() { sort -g | awk '{a[NR]=$1} END{printf "%.2f", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f×", a/b}'; }
for n in "${NS[@]}"; do
	declare -A R=()
	for ((r = 0; r < REPS; r++)); do
		R[ref]+="$(run ref "$REF" bridge host-local "$n")"$'\n'
		R[vk]+="$(run vethkit "$PLUGDIR/vethkit-cni" vethkit-cni vethkit "$n")"$'\n'
		R[dy]+="$(run vk-dyn "$D/plugins-dyn/vethkit-cni" vethkit-cni vethkit "$n")"$'\n'
		R[hl]+="$(run vk+hl "$PLUGDIR/vethkit-cni" vethkit-cni host-local "$n")"$'\n'
	done
	declare -A M=()
	for k in ref vk dy hl; do
		for col in 1 2 3 4; do M[$k$col]=$(awk -v c=$col 'NF{print $c}' <<<"${R[$k]}" | median); done
	done
	row() { # row KEY LABEL
		echo "| $n | $2 | ${M[${1}1]} | ${M[${1}2]} | ${M[${1}3]} | ${M[${1}4]} | $(ratio "${M[ref1]}" "${M[${1}1]}") / $(ratio "${M[ref2]}" "${M[${1}2]}") | $(ratio "${M[ref3]}" "${M[${1}3]}") / $(ratio "${M[ref4]}" "${M[${1}4]}") |"
	}
	{
		row ref "bridge + host-local (ref)"
		row vk "**vethkit-cni, static executable (built-in IPAM)**"
		row dy "vethkit-cni, --static-swift-stdlib only (built-in IPAM)"
		row hl "vethkit-cni, static + host-local (delegated)"
	} >>"$OUT.tmp"
	unset R M
done
{
	echo
	echo "Process start-up floor (VERSION, 200 calls, wall): vethkit-cni static $(startup "$PLUGDIR/vethkit-cni") ms, --static-swift-stdlib $(startup "$D/plugins-dyn/vethkit-cni") ms, bridge $(startup "$REF") ms per call."
	echo
	echo "Speed-up = reference / vethkit-cni (higher is better). Reproduce: \`bench/cni-bench.sh 50 200\`."
} >>"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
[ -x "$ROOT/bench/collect.sh" ] && "$ROOT/bench/collect.sh"   # bench/RESULTS.md = all results/ tables
rm -rf "$D"
