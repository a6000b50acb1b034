#!/bin/bash
# bench/cni-phases.sh [N]            (default 30)
#
# Where the time of one vethkit-cni ADD and DEL goes, called as containerd's CRI calls it (a fresh
# /var/run/netns/cni-N per pod, a 64-hex container id, eth0, K8S_* CNI_ARGS, isGateway, IPv4):
#  1. exec timings (bench/cni-exec-times.py): fork + exec + wait of each plugin process from
#     Python, vethkit-cni against Debian's bridge + host-local in the same run, plus the floors
#     (vethkit-cni VERSION, /bin/true); IPAM dataDir on tmpfs, then on the disk (/var/tmp: ext4
#     here), where the store's fsyncs would show.
#  2. phases (bench/cni-phases.py): strace --seccomp-bpf stopping only at a few marker syscalls
#     (execve, read, openat, flock, sendto, clone3, setns, write, exit_group, fsync, renameat,
#     linkat; everything else runs untraced), phase = time between markers, median and max.
# Runs inside scripts/sandbox. The machine's load shows in every figure: rerun on a quiet machine.
#   BIN=path  the vethkit-cni to measure (default: the fully static release build, built first)
#   OLD=path  a second vethkit-cni measured alternately with BIN (A/B)
set -u
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(readlink -f "$HERE/..")
BIN=${BIN:-$ROOT/.build-static/release/vethkit-cni}
if [ "${CNI_PHASES_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
	for c in strace python3 /usr/lib/cni/bridge; do command -v "$c" >/dev/null || { echo "missing $c" >&2; exit 1; }; done
	if [ "${SKIP_BUILD:-}" != 1 ] && [ "$BIN" = "$ROOT/.build-static/release/vethkit-cni" ]; then
		(cd "$ROOT" && swift build -c release --static-swift-stdlib -Xswiftc -static-executable \
			--scratch-path .build-static --product vethkit-cni) || exit 1
	fi
	BIN=$(readlink -f "$BIN") CNI_PHASES_INSIDE=1 exec "$ROOT/scripts/sandbox" "$(readlink -f "$0")" "$@"
fi
[ "${VETHKIT_SANDBOX:-}" = 1 ] || { echo "REFUSING: not started by scripts/sandbox" >&2; exit 99; }
export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
N=${1:-30}
echo "## vethkit-cni ADD/DEL as containerd calls them (bench/cni-phases.sh, N=$N)"
echo; echo "kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"; echo
for data in tmpfs disk; do
	DATA=/run/vethkit/cni-phases-data; [ $data = disk ] && DATA=/var/tmp/vethkit-cni-phases-data
	rm -rf "$DATA"
	for b in ${OLD:+old} new; do
		bin=$BIN; [ $b = old ] && bin=$OLD
		echo "### exec times, dataDir on $data${OLD:+ ($b: $bin)}"; echo '```'
		DATA=$DATA BIN=$bin N=$N python3 "$HERE/cni-exec-times.py"
		echo '```'
		rm -rf "$DATA"
	done
done
D=/run/vethkit/cni-phases; rm -rf $D; mkdir -p $D/bin $D/tr; cp "$BIN" $D/bin/vethkit-cni
VK='{"cniVersion":"1.0.0","name":"vkp","type":"vethkit-cni","bridge":"vkc0","isGateway":true,"ipam":{"type":"vethkit","dataDir":"'$D'/data","ranges":[[{"subnet":"10.88.0.0/24","gateway":"10.88.0.1"}]],"routes":[{"dst":"0.0.0.0/0"}]}}'
T=execve,read,openat,flock,sendto,clone3,setns,write,exit_group,fsync,renameat,linkat
one() { # one CMD k
	local cid; cid=$(printf '%064x' $2)
	CNI_COMMAND=$1 CNI_CONTAINERID=$cid CNI_NETNS=/var/run/netns/cni-$2 CNI_IFNAME=eth0 CNI_PATH=$D/bin \
	CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p$2;K8S_POD_INFRA_CONTAINER_ID=$cid" \
	strace -f --seccomp-bpf -e trace=$T -ttt -T -o $D/tr/$1-$2 $D/bin/vethkit-cni <<<"$VK" >/dev/null
}
ip netns add cni-1; one ADD 1; rm -f $D/tr/*   # warm-up: the bridge exists
for i in $(seq 2 $((N+1))); do ip netns add cni-$i; one ADD $i; done
for i in $(seq 2 $((N+1))); do one DEL $i; done
echo; echo "### phases (strace --seccomp-bpf on marker syscalls, dataDir on tmpfs)"; echo
python3 "$HERE/cni-phases.py" $D/tr
for i in $(seq 1 $((N+1))); do ip netns del cni-$i 2>/dev/null; done
