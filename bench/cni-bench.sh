#!/bin/bash
# bench/cni-bench.sh [N...]          (default: 50 200)
#
# Times CNI ADD and DEL as a runtime performs them -- one plugin process per container, one after
# the other -- for N containers (network namespaces) on one bridge network, with:
#   ref      Debian's /usr/lib/cni/bridge + /usr/lib/cni/host-local (containernetworking-plugins)
#   vethkit  vethkit-cni (release, Swift stdlib static) with its built-in IPAM (ipam.type vethkit)
#   vk+hl    vethkit-cni with IPAM delegated to host-local (shows the cost of the IPAM fork)
# all in the same run, same configuration (only `type` / `ipam.type` differ), IPAM dataDir on
# tmpfs for all. Runs inside scripts/sandbox. Writes bench/results/cni.md.
# Setup and teardown of the namespaces (ip netns add/del) are not timed.
set -u
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(readlink -f "$HERE/..")
BIN=$ROOT/.build/release/vethkit-cni
REF=/usr/lib/cni/bridge

if [ "${CNI_BENCH_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
	[ -x "$REF" ] || { echo "missing $REF: apt-get install containernetworking-plugins" >&2; exit 1; }
	if [ "${SKIP_BUILD:-}" != 1 ]; then
		(cd "$ROOT" && swift build -c release --static-swift-stdlib --product vethkit-cni) || exit 1
	fi
	[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
	CNI_BENCH_INSIDE=1 exec "$ROOT/scripts/sandbox" "$(readlink -f "$0")" "$@"
fi
[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] || { echo "REFUSING: not in a throwaway netns" >&2; exit 99; }
[ "${VETHKIT_SANDBOX:-}" = 1 ] || { echo "REFUSING: not started by scripts/sandbox" >&2; exit 99; }
export LC_ALL=C
NS=("$@"); [ ${#NS[@]} -gt 0 ] || NS=(50 200)
D=/run/vethkit/cni-bench   # tmpfs inside the sandbox
mkdir -p "$D"
PLUGDIR=$D/plugins; mkdir -p "$PLUGDIR"
cp "$BIN" "$PLUGDIR/vethkit-cni"
ln -sf /usr/lib/cni/host-local "$PLUGDIR/host-local"

conf() { # conf TYPE IPAMTYPE
	printf '{"cniVersion":"1.0.0","name":"bench","type":"%s","bridge":"cni-bench0","isGateway":true,"ipMasq":false,"ipam":{"type":"%s","dataDir":"%s/ipam","ranges":[[{"subnet":"10.200.0.0/16"}]],"routes":[{"dst":"0.0.0.0/0"}]}}' "$1" "$2" "$D"
}
ms() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN{printf "%.1f %.2f", (b-a)*1000, (b-a)*1000/n}'; }

run() { # run LABEL BINARY TYPE IPAMTYPE N -> "add_total add_per del_total del_per"
	local label=$1 bin=$2 type=$3 ipam=$4 n=$5 i t0 t1 t2 cfg fails=0
	cfg=$(conf "$type" "$ipam")
	rm -rf "$D/ipam"
	for ((i = 0; i < n; i++)); do ip netns add bn$i; done
	export CNI_PATH=$PLUGDIR:/usr/lib/cni CNI_IFNAME=eth0
	t0=$EPOCHREALTIME
	for ((i = 0; i < n; i++)); do
		CNI_COMMAND=ADD CNI_CONTAINERID=bench$i CNI_NETNS=/run/netns/bn$i "$bin" <<<"$cfg" >/dev/null || fails=$((fails + 1))
	done
	t1=$EPOCHREALTIME
	local veths; veths=$(ip -o link show master cni-bench0 type veth | wc -l)
	for ((i = 0; i < n; i++)); do
		CNI_COMMAND=DEL CNI_CONTAINERID=bench$i CNI_NETNS=/run/netns/bn$i "$bin" <<<"$cfg" >/dev/null || fails=$((fails + 1))
	done
	t2=$EPOCHREALTIME
	local left; left=$(ip -o link show type veth | wc -l)
	for ((i = 0; i < n; i++)); do ip netns del bn$i; done
	ip link del cni-bench0 2>/dev/null
	if [ $fails != 0 ] || [ "$veths" != "$n" ] || [ "$left" != 0 ]; then
		echo "BENCH ERROR $label N=$n: $fails failed calls, $veths veths after ADD, $left after DEL" >&2
	fi
	echo "$(ms "$t0" "$t1" "$n") $(ms "$t1" "$t2" "$n")"
}

startup() { # startup BINARY -> ms per VERSION call (process start-up floor)
	local bin=$1 i t0 t1
	t0=$EPOCHREALTIME
	for ((i = 0; i < 200; i++)); do CNI_COMMAND=VERSION "$bin" </dev/null >/dev/null; done
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)*1000/200}'
}

OUT=$ROOT/bench/results/cni.md
mkdir -p "$(dirname "$OUT")"
{
	echo "# vethkit-cni vs Debian bridge + host-local"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores; containernetworking-plugins $(dpkg-query -W -f '${Version}' containernetworking-plugins 2>/dev/null)."
	echo "One plugin process per container, sequential, as a runtime calls it; bash fork+exec included for all."
	echo "Config: bridge cni-bench0, isGateway, 10.200.0.0/16, IPAM dataDir on tmpfs. Release build, Swift stdlib static."
	echo
	echo "| N | plugin | ADD total ms | ADD ms/container | DEL total ms | DEL ms/container | ADD speed-up vs ref | DEL vs ref |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$OUT.tmp"
for n in "${NS[@]}"; do
	read -r ra rap rd rdp < <(run ref "$REF" bridge host-local "$n")
	read -r va vap vd vdp < <(run vethkit "$PLUGDIR/vethkit-cni" vethkit-cni vethkit "$n")
	read -r ha hap hd hdp < <(run vk+hl "$PLUGDIR/vethkit-cni" vethkit-cni host-local "$n")
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f×", a/b}'; }
	{
		echo "| $n | bridge + host-local (ref) | $ra | $rap | $rd | $rdp | 1.00× | 1.00× |"
		echo "| $n | **vethkit-cni (built-in IPAM)** | $va | $vap | $vd | $vdp | $(ratio "$ra" "$va") | $(ratio "$rd" "$vd") |"
		echo "| $n | vethkit-cni + host-local | $ha | $hap | $hd | $hdp | $(ratio "$ra" "$ha") | $(ratio "$rd" "$hd") |"
	} >>"$OUT.tmp"
done
{
	echo
	echo "Process start-up floor (VERSION, 200 calls): vethkit-cni $(startup "$PLUGDIR/vethkit-cni") ms, bridge $(startup "$REF") ms per call."
	echo
	echo "Speed-up = reference time / vethkit-cni time (higher is better). Reproduce: \`bench/cni-bench.sh 50 200\`."
} >>"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
rm -rf "$D"
