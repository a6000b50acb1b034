#!/bin/bash
# scripts/orphans-podman.sh [VETHCTL_BINARY]
#
# A real runtime's leak for `vethctl orphans` (issue 10): Debian's podman 4.3 (CNI backend) runs
# two busybox containers on a bridge + host-local network; one has its conmon, then its process,
# killed with kill -9 (by pid), so podman never tears it down: its namespace stays mounted at
# /run/netns/netns-<uuid> with its veth, and host-local keeps its reservation. Checks: `orphans`
# lists that namespace (with its host veth) and that reservation, and not the live container's;
# `--clean` alone removes nothing; `--clean --yes` removes both; the live container's veth,
# namespace and reservation are untouched. Runs inside scripts/sandbox (setup in podman-common.sh,
# shared with cni-podman.sh and who-podman.sh). Exit 0 = all PASS, 1 = a FAIL, 77 = skipped.
set -u
. "$(dirname "$(readlink -f "$0")")/podman-common.sh"   # HERE, ROOT, podman_*
VETHCTL=$(readlink -f "${1:-$ROOT/.build/debug/vethctl}")
podman_start CNI_PODMAN_INSIDE "$VETHCTL" "podman crun conmon busybox jq ip" "host-local bridge" "swift build"
SUBNET=10.144.7.0/24 GW=10.144.7.1 BRIDGE=h4pbr0 NET=h4pnet

podman_setup vkcni /tmp/vkcni-podman.XXXXXX 1
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
