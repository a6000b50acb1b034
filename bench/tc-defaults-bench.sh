#!/bin/bash
# bench/tc-defaults-bench.sh: how close TCP gets to a rate-only impairment's cap with VethKit's
# tbf defaults (LinkImpairment.defaultBurst: 4 ms of the rate, at least 64 KiB; defaultLatency
# 50 ms), one veth between two namespaces, iperf3 (-t SECONDS, REPS runs, median). Anchors in
# the same run: the uncapped path, and tbf with tc's textbook "burst 32kb latency 50ms".
# Run inside the sandbox:  scripts/sandbox bench/tc-defaults-bench.sh   → bench/results/tc-defaults.md
set -eu
cd "$(dirname "$0")"
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
REPS=${REPS:-3}
ip netns add tcb-a
ip netns add tcb-b
trap 'ip netns del tcb-a 2>/dev/null; ip netns del tcb-b 2>/dev/null' EXIT
ip link add va netns tcb-a type veth peer name vb netns tcb-b
ip -n tcb-a addr add 10.9.0.1/24 dev va
ip -n tcb-b addr add 10.9.0.2/24 dev vb
for n in tcb-a tcb-b; do ip -n $n link set lo up; done
ip -n tcb-a link set va up
ip -n tcb-b link set vb up
sleep 1
once() {
	ip netns exec tcb-b iperf3 -s -D -1 >/dev/null 2>&1
	sleep 0.3
	ip netns exec tcb-a iperf3 -c 10.9.0.2 -t "$SECONDS_PER_RUN" -J 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["end"]["sum_received"]["bits_per_second"]/1e6, d["end"]["sum_sent"]["retransmits"])'
}
median() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
measure() {  # qdisc args or "none" -> "median_mbit retransmits_of_that_run"
	if [ "$1" = none ]; then ip netns exec tcb-a tc qdisc del dev va root 2>/dev/null || true
	else ip netns exec tcb-a tc qdisc replace dev va root handle 564b: $1; fi
	for _ in $(seq "$REPS"); do once; done | median
}
out=results/tc-defaults.md
{
	echo "# Rate-only impairments: TCP goodput against the cap (bench/tc-defaults-bench.sh, $(date -u +%Y-%m-%d), kernel $(uname -r), iperf3 -t $SECONDS_PER_RUN, median of $REPS)"
	echo
	echo "| rate | uncapped path | VethKit tbf (burst, latency 50ms) | goodput / rate | tc's \"burst 32kb latency 50ms\" |"
	echo "|---|---|---|---|---|"
	read -r free _ <<<"$(measure none)"
	for rate in 100mbit 1gbit 10gbit; do
		bits=$(python3 -c "print({'100mbit':100e6,'1gbit':1e9,'10gbit':10e9}['$rate'])")
		burst=$(python3 -c "print(max(65536, int($bits/8*0.004)))")
		read -r ours oursr <<<"$(measure "tbf rate $rate burst $burst latency 50ms")"
		read -r text textr <<<"$(measure "tbf rate $rate burst 32kb latency 50ms")"
		python3 -c "print(f'| $rate | {$free:.0f} Mbit/s | {$ours:.1f} Mbit/s ($burst B; {$oursr} retransmits) | {$ours*1e6/$bits:.3f} | {$text:.1f} Mbit/s ({$textr} retransmits) |')"
	done
	echo
	echo "Goodput counts TCP payload; tbf counts Ethernet frames, so 1448/1514 = 0.956 of the rate is the"
	echo "ceiling. Where the uncapped path itself is slower than the rate (10gbit on a loaded 2-core"
	echo "machine), the path, not the cap, is what is measured."
} >"$out"
cat "$out"
