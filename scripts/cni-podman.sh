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
. "$(dirname "$(readlink -f "$0")")/podman-common.sh"   # HERE, ROOT, podman_*
BIN=$(readlink -f "${1:-$ROOT/.build/debug/vethkit-cni}")
podman_start CNI_PODMAN_INSIDE "$BIN" "podman crun conmon busybox jq ip" host-local "swift build --product vethkit-cni"
SUBNET=10.77.0.0/24 GW=10.77.0.1 BRIDGE=cni-vk0 NET=vknet

podman_setup vkcni /tmp/vkcni-podman.XXXXXX 1
# A logging wrapper named vethkit-cni, first in cni_plugin_dirs; it execs the binary under test.
printf '#!/bin/sh\necho "$CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME" >>"%s/cni.log"\nexec "%s" "$@"\n' "$W" "$BIN" >"$W/plugins/vethkit-cni"
chmod +x "$W/plugins/vethkit-cni"

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
