#!/bin/bash
# scripts/orphans-podman.sh [VETHCTL_BINARY]
#
# A real runtime's leak for `vethctl orphans` (issue 10): Debian's podman 4.3 (CNI backend) runs
# two busybox containers on a bridge + host-local network; one has its conmon, then its process,
# killed with kill -9 (by pid), so podman never tears it down: its namespace stays mounted at
# /run/netns/netns-<uuid> with its veth, and host-local keeps its reservation. Checks: `orphans`
# lists that namespace (with its host veth) and that reservation, and not the live container's;
# `--clean` alone removes nothing; `--clean --yes` removes both; the live container's veth,
# namespace and reservation are untouched. Runs inside scripts/sandbox (like cni-podman.sh, whose
# setup it shares). Exit 0 = all PASS, 1 = a FAIL, 77 = skipped.
set -u
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(readlink -f "$HERE/..")
VETHCTL=$(readlink -f "${1:-$ROOT/.build/debug/vethctl}")

if [ "${CNI_PODMAN_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
	for c in podman crun conmon busybox jq ip; do
		command -v $c >/dev/null || { echo "SKIP: missing $c (apt-get install --no-install-recommends podman busybox-static jq)" >&2; exit 77; }
	done
	[ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/bridge ] || { echo "SKIP: missing /usr/lib/cni/bridge or host-local (containernetworking-plugins)" >&2; exit 77; }
	ldd "$(command -v busybox)" >/dev/null 2>&1 && { echo "SKIP: busybox is dynamic; need busybox-static" >&2; exit 77; }
	[ -x "$VETHCTL" ] || { echo "no vethctl binary $VETHCTL" >&2; exit 1; }
	if [ "${VETHKIT_SANDBOX:-}" = 1 ]; then
		CNI_PODMAN_INSIDE=1 exec unshare --mount --propagation private "$(readlink -f "$0")" "$VETHCTL"
	fi
	CNI_PODMAN_INSIDE=1 exec "$ROOT/scripts/sandbox" "$(readlink -f "$0")" "$VETHCTL"
fi

# ---------- inside the sandbox: refuse to touch the host ----------
[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] || { echo "REFUSING: not in a throwaway netns" >&2; exit 99; }
[ "$(stat -f -c %T /run/netns)" = tmpfs ] || { echo "REFUSING: /run/netns not private" >&2; exit 99; }
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] || { echo "REFUSING: not in a private mount ns" >&2; exit 99; }
[ "${VETHKIT_SANDBOX:-}" = 1 ] || { echo "REFUSING: not started by scripts/sandbox" >&2; exit 99; }
export LC_ALL=C
SUBNET=10.144.7.0/24 GW=10.144.7.1 BRIDGE=h4pbr0 NET=h4pnet

if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
	[ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ]; then
	umount /sys/fs/cgroup/unified   # private mount namespace only
fi
made_cache=0; [ -d /var/lib/cni ] || { mkdir -p /var/lib/cni && made_cache=1; }
mount -t tmpfs vkcni-cache /var/lib/cni
mount -t tmpfs vkcni-shm /dev/shm
W=$(mktemp -d /tmp/vkcni-podman.XXXXXX) && mount -t tmpfs vkcni-work "$W" || exit 1

P=()
cleanup() {
	[ ${#P[@]} -gt 0 ] && "${P[@]}" rm -a -f -t 0 >/dev/null 2>&1
	for pid in $(pgrep -x conmon); do   # only conmons of this run (their command line names $W)
		grep -qF "$W" /proc/$pid/cmdline 2>/dev/null && kill "$pid"
	done
	umount "$W" 2>/dev/null; rmdir "$W" 2>/dev/null
	[ $made_cache = 1 ] && umount /var/lib/cni 2>/dev/null && rmdir /var/lib/cni 2>/dev/null
}
trap cleanup EXIT

mkdir -p "$W"/{rootfs/bin,rootfs/proc,rootfs/sys,rootfs/dev,rootfs/etc,rootfs/tmp,net.d,root,run,tmp,ipam,plugins}
cp "$(command -v busybox)" "$W/rootfs/bin/busybox"
# A logging wrapper named vethkit-cni, first in cni_plugin_dirs; it execs the binary under test.
printf '%s\n' \
	'[containers]' \
	'log_driver = "k8s-file"' \
	'cgroups = "disabled"' \
	'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]' \
	'[network]' \
	'network_backend = "cni"' \
	"cni_plugin_dirs = [\"$W/plugins\", \"/usr/lib/cni\"]" \
	"network_config_dir = \"$W/net.d\"" \
	'[engine]' \
	'cgroup_manager = "cgroupfs"' \
	'events_logger = "file"' \
	"events_logfile_path = \"$W/events.log\"" \
	'runtime = "crun"' \
	"tmp_dir = \"$W/tmp\"" >"$W/containers.conf"
export CONTAINERS_CONF=$W/containers.conf
P=(podman --root "$W/root" --runroot "$W/run" --storage-driver vfs)
RUN=(--network $NET --rootfs "$W/rootfs")

fails=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
chk() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
jq -n --arg net $NET --arg br $BRIDGE --arg dir "$W/ipam" --arg sub $SUBNET --arg gw $GW \
	'{cniVersion: "1.0.0", name: $net, plugins: [{type: "bridge", bridge: $br, isGateway: true, ipMasq: false,
	  ipam: {type: "host-local", dataDir: $dir, ranges: [[{subnet: $sub, gateway: $gw}]]}}]}' >"$W/net.d/10-$NET.conflist"
"${P[@]}" run -d --name live "${RUN[@]}" /bin/busybox sleep 300 >/dev/null || bad "run live"
"${P[@]}" run -d --name leak "${RUN[@]}" /bin/busybox sleep 300 >/dev/null || bad "run leak"
leak_id=$("${P[@]}" inspect --format '{{.Id}}' leak)
live_id=$("${P[@]}" inspect --format '{{.Id}}' live)
key=$("${P[@]}" inspect --format '{{.NetworkSettings.SandboxKey}}' leak)
live_key=$("${P[@]}" inspect --format '{{.NetworkSettings.SandboxKey}}' live)
conmon=$("${P[@]}" inspect --format '{{.State.ConmonPid}}' leak)
pid=$("${P[@]}" inspect --format '{{.State.Pid}}' leak)
echo "leak $leak_id at $key (conmon $conmon, pid $pid); live $live_id at $live_key"
host_veths() { ip -j link show master $BRIDGE type veth | jq -r '.[].ifname' | sort; }
nsid_veth() { # the host veth whose peer is in namespace file $1
	local id; id=$(ip -j netns list | jq -r --arg n "${1##*/}" '.[] | select(.name == $n) | .id // empty')
	[ -n "$id" ] && ip -j link show type veth | jq -r --argjson id "$id" '.[] | select(.link_netnsid == $id) | .ifname'
}
leak_veth=$(nsid_veth "$key"); live_veth=$(nsid_veth "$live_key")
chk "the containers' host veths: leak=$leak_veth live=$live_veth" [ -n "$leak_veth" -a -n "$live_veth" ]
kill -9 "$conmon"; kill -9 "$pid"
for _ in $(seq 100); do [ -d /proc/$pid ] || break; sleep 0.05; done
chk "the leak's processes are gone" [ ! -d /proc/$pid -a ! -d /proc/$conmon ]
mounted() { findmnt -rn "$1" >/dev/null; }
chk "its namespace is still mounted at $key" mounted "$key"
before=$(ip -br link | sort; ls "$W/ipam/$NET" | sort; findmnt -rn -t nsfs -o TARGET | sort)

# A machine-wide scan by another program (peers --all, who) holds every namespace open for a
# moment, and a namespace held open is no orphan while it is: ask again a few times.
for _ in $(seq 60); do
	out=$("$VETHCTL" orphans --json --min-age 0 --data-dir "$W/ipam")
	jq -e --arg k "$key" '[.orphans[] | select(.netns == $k)] | length == 1' <<<"$out" >/dev/null && break
	sleep 0.2
done
echo "$out" | jq -c '.orphans[]' | sed 's/^/  | /'
chk "orphans lists the leak's namespace $key with veth $leak_veth" \
	[ "$(jq -r --arg k "$key" '.orphans[] | select(.kind=="namespace" and .netns==$k) | .veths | join(",")' <<<"$out")" = "$leak_veth" ]
chk "orphans lists the leak's host-local reservation" \
	[ "$(jq -r --arg c "$leak_id" '[.orphans[] | select(.kind=="host-local-reservation" and .containerID==$c)] | length' <<<"$out")" = 1 ]
chk "the live container is not listed" \
	[ "$(jq -r --arg c "$live_id" --arg k "$live_key" '[.orphans[] | select(.containerID==$c or (.netns|contains($k)))] | length' <<<"$out")" = 0 ]
"$VETHCTL" orphans --min-age 0 --data-dir "$W/ipam" --clean >/dev/null 2>&1
chk "--clean alone changes nothing" [ "$(ip -br link | sort; ls "$W/ipam/$NET" | sort; findmnt -rn -t nsfs -o TARGET | sort)" = "$before" ]
for _ in $(seq 60); do
	"$VETHCTL" orphans --min-age 0 --data-dir "$W/ipam" --clean --yes | sed 's/^/  | /'
	findmnt -rn "$key" >/dev/null || break
	sleep 0.2
done
for _ in $(seq 100); do ip link show "$leak_veth" >/dev/null 2>&1 || break; sleep 0.05; done
chk "--clean --yes: the leak's mount is gone" [ -z "$(findmnt -rn "$key")" ]
gone() { ! ip link show "$1" >/dev/null 2>&1; }
chk "--clean --yes: its veth $leak_veth is gone" gone "$leak_veth"
chk "--clean --yes: its reservation is gone" [ -z "$(grep -l "$leak_id" "$W/ipam/$NET"/* 2>/dev/null)" ]
chk "the live container's veth $live_veth stays" ip -br link show "$live_veth"
chk "the live container's namespace stays" mounted "$live_key"
chk "the live container's reservation stays" grep -q "$live_id" "$W/ipam/$NET"/*
chk "the live container still runs" [ "$("${P[@]}" inspect --format '{{.State.Running}}' live)" = true ]
echo "RESULT fails=$fails"
[ $fails = 0 ]
