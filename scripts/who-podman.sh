#!/bin/bash
# scripts/who-podman.sh [VETHCTL]
#
# `vethctl who` against a real runtime: Debian's podman 4.3 (CNI backend, Debian's bridge and
# host-local plugins) runs two busybox containers (--rootfs: no image, no registry) on one network;
# for each, the host veth whose ifindex is the container's eth0 iflink is asked about with
# `vethctl who IFNAME --json`. Prints, for WhoPodmanTests to check:
#   CONTAINER <name> <id from podman inspect> <host veth> <host ifindex>
#   WHO <name> <vethctl's JSON, one line>
#   TEXT <name> <vethctl's text answer, one line per TEXT line>
# Runs itself in a private mount namespace inside scripts/sandbox (tmpfs on /var/lib/cni, /dev/shm
# and the work dir; the hybrid cgroup2 mount unmounted there only), and refuses to run anywhere
# else. vethctl runs in that mount namespace too, so it sees podman's CNI result cache.
# Exit 0 = ran (the checks are the test's), 1 = setup failed, 77 = skipped (the reason on stderr).
set -u
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(readlink -f "$HERE/..")
VETHCTL=$(readlink -f "${1:-$ROOT/.build/debug/vethctl}")

if [ "${WHO_PODMAN_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
	for c in podman crun conmon busybox ip; do
		command -v $c >/dev/null || { echo "SKIP: missing $c (apt-get install --no-install-recommends podman busybox-static containernetworking-plugins)" >&2; exit 77; }
	done
	for p in bridge host-local; do
		[ -x /usr/lib/cni/$p ] || { echo "SKIP: missing /usr/lib/cni/$p (containernetworking-plugins)" >&2; exit 77; }
	done
	ldd "$(command -v busybox)" >/dev/null 2>&1 && { echo "SKIP: busybox is dynamic; need busybox-static" >&2; exit 77; }
	[ -x "$VETHCTL" ] || { echo "no vethctl binary $VETHCTL (swift build)" >&2; exit 1; }
	if [ "${VETHKIT_SANDBOX:-}" = 1 ]; then
		WHO_PODMAN_INSIDE=1 exec unshare --mount --propagation private "$(readlink -f "$0")" "$VETHCTL"
	fi
	WHO_PODMAN_INSIDE=1 exec "$ROOT/scripts/sandbox" "$(readlink -f "$0")" "$VETHCTL"
fi

# ---------- inside the sandbox: refuse to touch the host ----------
[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] || { echo "REFUSING: not in a throwaway netns" >&2; exit 99; }
[ "$(stat -f -c %T /run/netns)" = tmpfs ] || { echo "REFUSING: /run/netns not private" >&2; exit 99; }
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] || { echo "REFUSING: not in a private mount ns" >&2; exit 99; }
[ "${VETHKIT_SANDBOX:-}" = 1 ] || { echo "REFUSING: not started by scripts/sandbox" >&2; exit 99; }
export LC_ALL=C
NET=h3who SUBNET=10.143.9.0/24 GW=10.143.9.1 BRIDGE=h3who0

if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
	[ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ]; then
	umount /sys/fs/cgroup/unified   # private mount namespace only (crun refuses hybrid mode)
fi
made_cache=0; [ -d /var/lib/cni ] || { mkdir -p /var/lib/cni && made_cache=1; }
mount -t tmpfs h3who-cache /var/lib/cni
mount -t tmpfs h3who-shm /dev/shm
W=$(mktemp -d /tmp/h3who.XXXXXX) && mount -t tmpfs h3who-work "$W" || exit 1

P=()
cleanup() {
	[ ${#P[@]} -gt 0 ] && "${P[@]}" rm -a -f -t 0 >/dev/null 2>&1
	for pid in $(pgrep -x conmon); do   # only conmons of this run (their command line names $W)
		grep -qF "$W" /proc/$pid/cmdline 2>/dev/null && kill "$pid"
	done
	ip link del $BRIDGE 2>/dev/null
	umount "$W" 2>/dev/null; rmdir "$W" 2>/dev/null
	[ $made_cache = 1 ] && umount /var/lib/cni 2>/dev/null && rmdir /var/lib/cni 2>/dev/null
}
trap cleanup EXIT

mkdir -p "$W"/{rootfs/bin,rootfs/proc,rootfs/sys,rootfs/dev,rootfs/etc,rootfs/tmp,net.d,root,run,tmp,ipam}
cp "$(command -v busybox)" "$W/rootfs/bin/busybox"
printf '%s\n' \
	'[containers]' \
	'log_driver = "k8s-file"' \
	'cgroups = "disabled"' \
	'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]' \
	'[network]' \
	'network_backend = "cni"' \
	'cni_plugin_dirs = ["/usr/lib/cni"]' \
	"network_config_dir = \"$W/net.d\"" \
	'[engine]' \
	'cgroup_manager = "cgroupfs"' \
	'events_logger = "file"' \
	"events_logfile_path = \"$W/events.log\"" \
	'runtime = "crun"' \
	"tmp_dir = \"$W/tmp\"" >"$W/containers.conf"
cat >"$W/net.d/10-$NET.conflist" <<EOF
{ "cniVersion": "1.0.0", "name": "$NET",
  "plugins": [ { "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false,
      "ipam": { "type": "host-local", "dataDir": "$W/ipam",
                "ranges": [[{ "subnet": "$SUBNET", "gateway": "$GW" }]] } } ] }
EOF
export CONTAINERS_CONF=$W/containers.conf
P=(podman --root "$W/root" --runroot "$W/run" --storage-driver vfs)

for c in h3web h3db; do
	"${P[@]}" run -d --name $c --network $NET --rootfs "$W/rootfs" /bin/busybox sleep 600 >/dev/null || { echo "podman run $c failed" >&2; exit 1; }
done
for c in h3web h3db; do
	id=$("${P[@]}" inspect --format '{{.Id}}' $c)
	iflink=$("${P[@]}" exec $c /bin/busybox cat /sys/class/net/eth0/iflink | tr -d '\r\n')
	veth=$(ip -o link show | awk -F': ' -v i="$iflink" '$1==i{split($2,a,"@"); print a[1]; exit}')
	[ -n "$id" ] && [ -n "$veth" ] || { echo "no id or host veth for $c (iflink $iflink)" >&2; exit 1; }
	echo "CONTAINER $c $id $veth $iflink"
	echo "WHO $c $("$VETHCTL" who "$veth" --json)"
	"$VETHCTL" who "$veth" | sed "s/^/TEXT $c /"
done
exit 0
