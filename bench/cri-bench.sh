#!/bin/bash
# bench/cri-bench.sh [REPS]           (default 30; ROUNDS=3 alternating rounds of REPS/ROUNDS each)
#
# The CNI part of kubelet's pod sandbox calls through containerd 1.6's CRI plugin:
#   CNI part of RunPodSandbox = its median time for a pod network minus the median for a
#   hostNetwork pod (no netns, no CNI) in the same run; the same for StopPodSandbox.
# Networks (same shape, only the plugin differs): vethkit-cni (fully static release build, built-in
# IPAM) and Debian's bridge + host-local; IPAM dataDir and libcni's cache on tmpfs for both. The
# plugins are called directly (no logging wrapper). The rounds alternate vethkit → bridge → host.
# Then (TRACE=1, default) a breakdown of where the time goes: strace -f --seccomp-bpf -ttt of
# containerd during TRACE_REPS (10) more cycles of each network: netns creation (unshare + bind
# mount), each plugin's exec → exit (loopback included: containerd's CRI runs it too), libcni's
# cache write, the rest. Tracing slows containerd down; its times are for the shape, not the size.
# containerd runs in scripts/cri/containerd-sandbox (private mount namespace, tmpfs, the host
# quirks), inside scripts/sandbox. Writes bench/results/cri.md (and the raw data in bench/out/).
#   BIN=path     a vethkit-cni to use instead of building .build-static/release/vethkit-cni
#   SKIP_BUILD=1 use the existing static build
#   LOOPBACK=stub the experiment "what if containerd's loopback call cost (almost) nothing": a
#                /bin/sh stand-in that prints the result and leaves lo down (results go to
#                bench/results/cri-loopback-stub.md; TRACE=0 is then a good idea)
set -u
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(readlink -f "$HERE/..")
BIN=${BIN:-$ROOT/.build-static/release/vethkit-cni}
if [ "${CRI_BENCH_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
	for c in containerd crun strace /usr/lib/cni/bridge /usr/bin/python3; do
		command -v "$c" >/dev/null || { echo "missing $c (scripts/setup installs containerd, crun, containernetworking-plugins; apt-get install strace)" >&2; exit 1; }
	done
	if [ "${SKIP_BUILD:-}" != 1 ] && [ "$BIN" = "$ROOT/.build-static/release/vethkit-cni" ]; then
		(cd "$ROOT" && swift build -c release --static-swift-stdlib -Xswiftc -static-executable \
			--scratch-path .build-static --product vethkit-cni) || exit 1
	fi
	[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
	BIN=$(readlink -f "$BIN") CRI_BENCH_INSIDE=1 exec "$ROOT/scripts/sandbox" "$(readlink -f "$0")" "$@"
fi
[ "${VETHKIT_SANDBOX:-}" = 1 ] || { echo "REFUSING: not started by scripts/sandbox" >&2; exit 99; }
export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
RESULT=cri.md; [ "${LOOPBACK:-}" = stub ] && RESULT=cri-loopback-stub.md
REPS=${1:-30}; ROUNDS=${ROUNDS:-3}; TRACE=${TRACE:-1}; TRACE_REPS=${TRACE_REPS:-10}
PER=$(( (REPS + ROUNDS - 1) / ROUNDS ))
OUT=$ROOT/bench/out/cri; mkdir -p "$OUT"; rm -f "$OUT"/*.jsonl "$OUT"/trace.txt
CRI="$ROOT/scripts/cri/cri.py"

CPID=
start_containerd() { # start_containerd [TRACEFILE]: CPID (containerd, or strace running it), R its root
	CONTAINERD_TRACE=${1:-} "$ROOT/scripts/cri/containerd-sandbox" 2>"$OUT/containerd-sandbox.err" &
	CPID=$!; R=/proc/$CPID/root
	for _ in $(seq 600); do [ -S $R/run/containerd/containerd.sock ] && break; sleep 0.05; done
	[ -S $R/run/containerd/containerd.sock ] || { echo "containerd did not start: $(cat "$OUT/containerd-sandbox.err")" >&2; exit 1; }
	until nsenter -t $CPID -m ctr version >/dev/null 2>&1; do sleep 0.05; done
	"$ROOT/scripts/cri/containerd-sandbox" import $CPID || exit 1
	cp "$BIN" $R/opt/cni/bin/vethkit-cni
	for p in bridge host-local loopback; do cp /usr/lib/cni/$p $R/opt/cni/bin/$p; done
	if [ "${LOOPBACK:-}" = stub ]; then   # the experiment: what if the loopback call cost (almost) nothing
		cat >$R/opt/cni/bin/loopback <<-'EOF'
		#!/bin/sh
		# a stand-in for containerd's loopback call (does not bring lo up): the result only
		[ "$CNI_COMMAND" = ADD ] && printf '{"cniVersion":"0.3.1","interfaces":[{"name":"lo","sandbox":"%s"}],"ips":[{"version":"4","address":"127.0.0.1/8","interface":0}]}' "$CNI_NETNS"
		exit 0
		EOF
		chmod +x $R/opt/cni/bin/loopback
	fi
}
stop_containerd() { # by PID: containerd (the child of strace when traced), then the shims of its mount namespace
	[ -n "$CPID" ] || return 0
	local mnt pid=$CPID
	mnt=$(readlink /proc/$CPID/ns/mnt)
	[ "$(cat /proc/$CPID/comm)" = strace ] && pid=$(ps -o pid= --ppid $CPID | head -1)
	kill $pid; for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
	kill -0 $pid 2>/dev/null && kill -9 $pid
	wait $CPID 2>/dev/null
	for p in /proc/[0-9]*; do
		[ "$(readlink $p/ns/mnt 2>/dev/null)" = "$mnt" ] || continue
		case "$(cat $p/comm 2>/dev/null)" in containerd-shim*) ;; *) continue ;; esac
		for k in $(ps -o pid= --ppid "${p#/proc/}"); do kill -9 "$k"; done
		kill -9 "${p#/proc/}"
	done 2>/dev/null
	CPID=
}
trap 'set +e; stop_containerd' EXIT
start_containerd
conf() { # conf NAME TYPE IPAMTYPE BRIDGE SUBNET
	printf '{ "cniVersion": "1.0.0", "name": "%s", "plugins": [ { "type": "%s", "bridge": "%s", "isGateway": true,
  "ipam": { "type": "%s", "dataDir": "/var/lib/cni/networks", "ranges": [[{ "subnet": "%s" }]], "routes": [{ "dst": "0.0.0.0/0" }] } } ] }\n' \
		"$1" "$2" "$4" "$3" "$5"
}
use() { # use NAME: make it the only network and wait until the CRI plugin has loaded it
	case $1 in
	vknet) conf vknet vethkit-cni vethkit vkb0 10.88.0.0/16 ;;
	brnet) conf brnet bridge host-local brb0 10.90.0.0/16 ;;
	esac >$R/etc/cni/net.d/.tmp && mv $R/etc/cni/net.d/.tmp $R/etc/cni/net.d/10-$1.conflist
	rm -f $(ls $R/etc/cni/net.d/*.conflist | grep -v "/10-$1.conflist")
	echo "{\"op\":\"waitnet\",\"name\":\"$1\"}" | nsenter -t $CPID -m /usr/bin/python3 "$CRI" serve | grep -q '"ok": true' || { echo "network $1 not loaded" >&2; exit 1; }
}
bench() { # bench LABEL NETWORK REPS [node] >> FILE
	[ "$2" = - ] || use "$2"
	nsenter -t $CPID -m /usr/bin/python3 "$CRI" bench "$3" "$1" ${4:-}
}
echo "# containerd $(containerd --version | awk '{print $3}'), crun $(crun --version | awk 'NR==1{print $3}'), plugin $BIN, $REPS reps in $ROUNDS rounds; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((r = 0; r < ROUNDS; r++)); do
	bench vethkit vknet "$PER" >>"$OUT/raw.jsonl" || exit 1
	if [ -z "${LOOPBACK:-}" ]; then   # vethkit-cni serving containerd's loopback network too
		cp "$BIN" $R/opt/cni/bin/.lo && mv $R/opt/cni/bin/.lo $R/opt/cni/bin/loopback
		bench vethkit-lo vknet "$PER" >>"$OUT/raw.jsonl" || exit 1
		cp /usr/lib/cni/loopback $R/opt/cni/bin/.lo && mv $R/opt/cni/bin/.lo $R/opt/cni/bin/loopback
	fi
	bench bridge brnet "$PER" >>"$OUT/raw.jsonl" || exit 1
	bench host - "$PER" node >>"$OUT/raw.jsonl" || exit 1
done
grep -iE 'level=(error|fatal)' $R/run/containerd/vk/containerd.log | grep -v 'no network config found' | cut -c1-300 | sort | uniq -c | head -5 >&2
if [ "$TRACE" = 1 ]; then
	stop_containerd
	start_containerd /run/containerd/vk/trace.txt
	for net in vknet brnet; do
		bench "trace-$net" $net "$TRACE_REPS" >>"$OUT/trace.jsonl" || exit 1
	done
	cp $R/run/containerd/vk/trace.txt "$OUT/trace.txt"
fi
stop_containerd
# The plugins on their own, as libcni runs them (one process per call, a fresh netns each), untraced.
S=/run/vethkit/cri-bench; rm -rf $S; mkdir -p $S/bin $S/ipam; cp "$BIN" $S/bin/vethkit-cni; cp "$BIN" $S/bin/vethkit-lo
for p in bridge host-local loopback; do cp /usr/lib/cni/$p $S/bin/$p; done
sconf() { # sconf TYPE NAME IFNAME -> the single-plugin configuration libcni passes
	case $1 in
	loopback|vethkit-lo) echo '{"cniVersion":"1.0.0","name":"cni-loopback","type":"loopback"}' ;;
	vethkit-cni) echo '{"cniVersion":"1.0.0","name":"vknet","type":"vethkit-cni","bridge":"vks0","isGateway":true,"ipam":{"type":"vethkit","dataDir":"'$S'/ipam","ranges":[[{"subnet":"10.89.0.0/16"}]],"routes":[{"dst":"0.0.0.0/0"}]}}' ;;
	bridge) echo '{"cniVersion":"1.0.0","name":"brnet","type":"bridge","bridge":"brs0","isGateway":true,"ipam":{"type":"host-local","dataDir":"'$S'/ipam","ranges":[[{"subnet":"10.91.0.0/16"}]],"routes":[{"dst":"0.0.0.0/0"}]}}' ;;
	esac
}
: >"$OUT/standalone.txt"
cpu() { # cpu VAR: user+sys seconds of this shell's finished children (`times`, not in a subshell)
	times >$S/times
	printf -v "$1" '%s' "$(awk 'NR==2{u=$1; s=$2; sub(/s$/,"",u); sub(/s$/,"",s); split(u,a,"m"); split(s,b,"m"); printf "%.6f", a[1]*60+a[2]+b[1]*60+b[2]}' $S/times)"
}
for p in loopback vethkit-lo vethkit-cni bridge; do
	ifn=eth0; case $p in loopback|vethkit-lo) ifn=lo ;; esac
	cfg=$(sconf $p)
	for ((i = 0; i < REPS; i++)); do ip netns add crib$i; done
	for verb in ADD DEL; do
		cpu c0; t0=$EPOCHREALTIME
		for ((i = 0; i < REPS; i++)); do
			CNI_COMMAND=$verb CNI_CONTAINERID=crib$i CNI_NETNS=/run/netns/crib$i CNI_IFNAME=$ifn CNI_PATH=$S/bin \
				$S/bin/$p <<<"$cfg" >/dev/null || echo "standalone $p $verb failed" >&2
		done
		t1=$EPOCHREALTIME; cpu c1
		awk -v p=$p -v v=$verb -v a=$t0 -v b=$t1 -v c=$c0 -v d=$c1 -v n=$REPS 'BEGIN{printf "%s %s %.3f %.3f\n", p, v, (b-a)*1000/n, (d-c)*1000/n}' >>"$OUT/standalone.txt"
	done
	for ((i = 0; i < REPS; i++)); do ip netns del crib$i; done
done
cpu c0; t0=$EPOCHREALTIME
for ((i = 0; i < REPS; i++)); do CNI_COMMAND=VERSION $S/bin/vethkit-cni </dev/null >/dev/null; done
t1=$EPOCHREALTIME; cpu c1
for ((i = 0; i < REPS; i++)); do /bin/true; done
t2=$EPOCHREALTIME; cpu c2
awk -v a=$t0 -v b=$t1 -v e=$t2 -v c=$c0 -v d=$c1 -v f=$c2 -v n=$REPS 'BEGIN{printf "vethkit-cni VERSION %.3f %.3f\n/bin/true - %.3f %.3f\n", (b-a)*1000/n, (d-c)*1000/n, (e-b)*1000/n, (f-d)*1000/n}' >>"$OUT/standalone.txt"
ip link del vks0 2>/dev/null; ip link del brs0 2>/dev/null
LOOPBACK=${LOOPBACK:-} /usr/bin/python3 "$HERE/cri-analyze.py" "$OUT" "$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$ROOT/bench/results/$RESULT" || exit 1
cat "$ROOT/bench/results/$RESULT"
