#!/bin/bash
# scripts/cni-podman.sh [PLUGIN_BINARY]
#
# A real container runtime drives vethkit-cni: Debian's podman 4.3 (CNI backend, libcni 1.1.2, so
# cniVersion 1.0.0) runs busybox containers from a local rootfs (--rootfs: no image, no registry)
# on a vethkit-cni network, twice: with the built-in IPAM (type vethkit) and with IPAM delegated to
# Debian's host-local. Checks: the container gets an address in the subnet and a default route,
# pings the gateway and another container, `podman inspect` shows the address (ips[].interface),
# the host pings the containers, `podman rm -f` calls DEL and leaves no veth, no reservation, no
# namespace, no libcni cache entry.
#
# Runs itself inside scripts/sandbox (throwaway netns + private mounts), with private tmpfs on
# /var/lib/cni (libcni cache), /dev/shm (podman's lock) and the work dir, and the hybrid cgroup2
# mount unmounted in the private mount namespace (crun refuses hybrid mode). podman never runs
# outside the sandbox: the script refuses to. Exit 0 = all PASS, 1 = a FAIL, 77 = skipped.
# Needs: apt-get install --no-install-recommends podman busybox-static containernetworking-plugins jq
set -u
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(readlink -f "$HERE/..")
BIN=$(readlink -f "${1:-$ROOT/.build/debug/vethkit-cni}")

if [ "${CNI_PODMAN_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
	for c in podman crun conmon busybox jq ip; do
		command -v $c >/dev/null || { echo "SKIP: missing $c (apt-get install --no-install-recommends podman busybox-static jq)" >&2; exit 77; }
	done
	[ -x /usr/lib/cni/host-local ] || { echo "SKIP: missing /usr/lib/cni/host-local (containernetworking-plugins)" >&2; exit 77; }
	ldd "$(command -v busybox)" >/dev/null 2>&1 && { echo "SKIP: busybox is dynamic; need busybox-static" >&2; exit 77; }
	[ -x "$BIN" ] || { echo "no plugin binary $BIN (swift build --product vethkit-cni)" >&2; exit 1; }
	if [ "${VETHKIT_SANDBOX:-}" = 1 ]; then
		# Already in the project's sandbox (e.g. from swift test): a private mount namespace is enough.
		CNI_PODMAN_INSIDE=1 exec unshare --mount --propagation private "$(readlink -f "$0")" "$BIN"
	fi
	CNI_PODMAN_INSIDE=1 exec "$ROOT/scripts/sandbox" "$(readlink -f "$0")" "$BIN"
fi

# ---------- inside the sandbox: refuse to touch the host ----------
[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] || { echo "REFUSING: not in a throwaway netns" >&2; exit 99; }
[ "$(stat -f -c %T /run/netns)" = tmpfs ] || { echo "REFUSING: /run/netns not private" >&2; exit 99; }
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] || { echo "REFUSING: not in a private mount ns" >&2; exit 99; }
[ "${VETHKIT_SANDBOX:-}" = 1 ] || { echo "REFUSING: not started by scripts/sandbox" >&2; exit 99; }
export LC_ALL=C
SUBNET=10.77.0.0/24 GW=10.77.0.1 BRIDGE=cni-vk0 NET=vknet

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
printf '#!/bin/sh\necho "$CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME" >>"%s/cni.log"\nexec "%s" "$@"\n' "$W" "$BIN" >"$W/plugins/vethkit-cni"
chmod +x "$W/plugins/vethkit-cni"
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
q() { "$@" >/dev/null 2>&1; }   # a check whose output is not wanted
reserved() { ls "$W/ipam/$NET" 2>/dev/null | grep -E '^[0-9a-f.:]+$'; }
in_subnet() { case "$1" in 10.77.0.*) [ "$1" != 10.77.0.0 ] && [ "$1" != $GW ] ;; *) false ;; esac; }

round() { # round IPAM_TYPE
	local ipam=$1 out rc ip1 cid1 cid2 cmds ipi ipc c
	echo "## vethkit-cni with ipam.type=$ipam"
	rm -f "$W"/net.d/*.conflist
	: >"$W/cni.log"
	jq -n --arg net $NET --arg br $BRIDGE --arg ipam "$ipam" --arg dir "$W/ipam" --arg sub $SUBNET --arg gw $GW \
		'{cniVersion: "1.0.0", name: $net, plugins: [{type: "vethkit-cni", bridge: $br, isGateway: true, ipMasq: false,
		  ipam: {type: $ipam, dataDir: $dir, ranges: [[{subnet: $sub, gateway: $gw}]], routes: [{dst: "0.0.0.0/0"}]}}]}' \
		>"$W/net.d/10-$NET.conflist" || { bad "write conflist"; return; }
	"${P[@]}" network ls --format '{{.Name}}' | grep -qx $NET && ok "[$ipam] podman sees network $NET" || bad "[$ipam] podman network ls"

	out=$("${P[@]}" run --name run1 "${RUN[@]}" /bin/busybox sh -c \
		"ip -4 -o addr show eth0; ip route; ping -c1 -W2 $GW >/dev/null && echo PING_GW_OK" 2>&1); rc=$?
	echo "$out" | sed 's/^/  | /'
	ip1=$(echo "$out" | awk '/ eth0 .*inet /{split($4,a,"/"); print a[1]; exit}')
	cid1=$("${P[@]}" inspect --format '{{.Id}}' run1 2>/dev/null)
	chk "[$ipam] run1 exit 0" [ $rc = 0 ]
	chk "[$ipam] run1 eth0 address '$ip1' in $SUBNET" in_subnet "$ip1"
	chk "[$ipam] run1 default route via $GW" grep -q "default via $GW dev eth0" <<<"$out"
	chk "[$ipam] run1 pings gateway" grep -q PING_GW_OK <<<"$out"
	cmds=$(awk -v c="$cid1" '$2==c{printf "%s ", $1}' "$W/cni.log")
	chk "[$ipam] run1 plugin calls: ${cmds:-none} (want ADD DEL)" [ "$cmds" = "ADD DEL " ]
	"${P[@]}" rm run1 >/dev/null
	chk "[$ipam] run1 reservation released" [ -z "$(reserved)" ]

	for c in d1 d2; do "${P[@]}" run -d --name $c "${RUN[@]}" /bin/busybox sleep 600 >/dev/null || bad "[$ipam] run -d $c"; done
	for c in d1 d2; do
		ipi=$("${P[@]}" inspect --format "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" $c)
		ipc=$("${P[@]}" exec $c /bin/busybox ip -4 -o addr show eth0 | awk '{split($4,a,"/"); print a[1]}')
		chk "[$ipam] $c podman inspect IP '$ipi' == in-container IP '$ipc', reserved by IPAM" \
			sh -c "[ -n '$ipi' ] && [ '$ipi' = '$ipc' ] && [ -e '$W/ipam/$NET/$ipi' ]"
		eval "ip_$c=\$ipi"
		chk "[$ipam] host pings $c ($ipi)" q ping -c1 -W2 "$ipi"
	done
	chk "[$ipam] d1 pings d2 ($ip_d2)" q "${P[@]}" exec d1 /bin/busybox ping -c1 -W2 "$ip_d2"
	chk "[$ipam] d2 pings gateway" q "${P[@]}" exec d2 /bin/busybox ping -c1 -W2 "$GW"
	chk "[$ipam] 2 host veths on $BRIDGE" [ "$(ip -o link show master "$BRIDGE" type veth | wc -l)" = 2 ]
	cid2=$("${P[@]}" inspect --format '{{.Id}}' d2)
	"${P[@]}" rm -f -t 0 d1 d2 >/dev/null
	chk "[$ipam] rm -f called DEL" awk -v c="$cid2" '$2==c && $1=="DEL"{f=1} END{exit !f}' "$W/cni.log"
	chk "[$ipam] no veth left on $BRIDGE" [ "$(ip -o link show master "$BRIDGE" type veth | wc -l)" = 0 ]
	chk "[$ipam] all reservations released" [ -z "$(reserved)" ]
	chk "[$ipam] no podman namespace left in /run/netns" [ -z "$(ls /run/netns | grep '^netns-')" ]
	chk "[$ipam] libcni cache empty" [ -z "$(ls /var/lib/cni/results 2>/dev/null)" ]
	echo "  plugin calls:"; awk '{print "  | "$1, substr($2,1,12), $3, $4}' "$W/cni.log"
}

echo "# podman $(podman --version | awk '{print $3}'), plugin $BIN"
round vethkit
round host-local
echo "RESULT fails=$fails"
[ $fails = 0 ]
