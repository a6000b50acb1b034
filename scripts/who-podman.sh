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
. "$(dirname "$(readlink -f "$0")")/podman-common.sh"   # HERE, ROOT, podman_*
VETHCTL=$(readlink -f "${1:-$ROOT/.build/debug/vethctl}")
podman_start WHO_PODMAN_INSIDE "$VETHCTL" "podman crun conmon busybox ip" "bridge host-local" "swift build"
NET=h3who SUBNET=10.143.9.0/24 GW=10.143.9.1 BRIDGE=h3who0

extra_cleanup() { ip link del $BRIDGE 2>/dev/null; }
podman_setup h3who /tmp/h3who.XXXXXX 0
cat >"$W/net.d/10-$NET.conflist" <<EOF
{ "cniVersion": "1.0.0", "name": "$NET",
  "plugins": [ { "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false,
      "ipam": { "type": "host-local", "dataDir": "$W/ipam",
                "ranges": [[{ "subnet": "$SUBNET", "gateway": "$GW" }]] } } ] }
EOF

for c in h3web h3db; do
	"${P[@]}" run -d --name $c "${RUN[@]}" /bin/busybox sleep 600 >/dev/null || { echo "podman run $c failed" >&2; exit 1; }
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
