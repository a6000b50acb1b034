#!/bin/bash
# Captures the RTM_*QDISC request iproute2's tc sends for each case below, as fixtures for
# TrafficControlEncodingTests (which encode the same options with VethKit and compare byte for
# byte). Run inside the sandbox, from this directory:
#
#   scripts/sandbox Tests/VethKitTests/Fixtures/tc/capture.sh
#
# Each case is one tc command on a fresh veth (vkc0); strace dumps what tc writes to its netlink
# socket (-e write=all: a hex dump of each sendmsg's buffer). tc's request goes out even where
# the kernel then refuses it (this kernel has no sch_netem: "Specified qdisc kind is unknown").
# A fixture NAME.txt holds the command line, the tc and kernel versions, and the request as hex.
set -eu
cd "$(dirname "$0")"
cases=(
	# netem: each option alone, then combinations
	"netem-delay|add|netem delay 20ms"
	"netem-delay-bare|add|netem delay 20"
	"netem-delay-us|add|netem delay 1500us"
	"netem-delay-long|add|netem delay 274s"
	"netem-jitter|add|netem delay 20ms 5ms"
	"netem-jitter-correlation|add|netem delay 20ms 5ms 25%"
	"netem-normal|add|netem delay 20ms 5ms distribution normal"
	"netem-pareto|add|netem delay 20ms 5ms distribution pareto"
	"netem-paretonormal|add|netem delay 20ms 5ms distribution paretonormal"
	"netem-loss|add|netem loss 1%"
	"netem-loss-correlation|add|netem loss random 1% 25%"
	"netem-loss-gemodel|add|netem loss gemodel 1% 10% 70% 0.1%"
	"netem-loss-gemodel-p|add|netem loss gemodel 1%"
	"netem-loss-state|add|netem loss state 1% 10% 5% 80% 2%"
	"netem-loss-state-p13|add|netem loss state 1%"
	"netem-ecn|add|netem loss 1% ecn"
	"netem-duplicate|add|netem duplicate 0.1%"
	"netem-duplicate-correlation|add|netem duplicate 0.1% 50%"
	"netem-corrupt|add|netem corrupt 0.1%"
	"netem-corrupt-correlation|add|netem corrupt 0.1% 20%"
	"netem-reorder|add|netem delay 10ms reorder 25%"
	"netem-reorder-gap|add|netem delay 10ms reorder 25% 50% gap 5"
	"netem-rate|add|netem rate 100mbit"
	"netem-rate-overhead|add|netem rate 100mbit 20"
	"netem-rate-cell|add|netem rate 100mbit 20 100 -4"
	"netem-rate-64|add|netem rate 100gbit"
	"netem-limit|add|netem limit 5000"
	"netem-slot|add|netem slot 10ms 20ms"
	"netem-slot-min|add|netem slot 10ms"
	"netem-slot-limits|add|netem slot 10ms 20ms packets 10 bytes 15000"
	"netem-slot-distribution|add|netem slot distribution normal 10ms 2ms"
	"netem-combined|add|netem delay 20ms 2ms 10% distribution normal loss 1% duplicate 0.5% corrupt 0.1% rate 100mbit limit 2000"
	"netem-replace|replace|netem delay 20ms"
	# tbf
	"tbf-latency|add|tbf rate 100mbit burst 32kb latency 50ms"
	"tbf-limit|add|tbf rate 100mbit burst 32kb limit 100000"
	"tbf-peakrate|add|tbf rate 100mbit burst 32kb latency 50ms peakrate 200mbit mtu 1600"
	"tbf-1gbit|add|tbf rate 1gbit burst 128kb latency 20ms"
	"tbf-rate64|add|tbf rate 50gbit burst 1mb latency 10ms"
	"tbf-slow|add|tbf rate 8kbit burst 1600 latency 1s"
	"tbf-replace|replace|tbf rate 10mbit burst 16kb latency 50ms"
	# delete
	"delete|del|"
)
kernel=$(uname -r)
version=$(tc -V)
for c in "${cases[@]}"; do
	name=${c%%|*}
	rest=${c#*|}
	verb=${rest%%|*}
	options=${rest#*|}
	ip link del vkc0 2>/dev/null || true
	ip link add vkc0 type veth peer name vkc1
	if [ "$verb" = del ]; then
		tc qdisc add dev vkc0 root handle 564b: tbf rate 1mbit burst 10kb latency 50ms
	fi
	# shellcheck disable=SC2086
	command="tc qdisc $verb dev vkc0 root handle 564b: $options"
	hex=$(strace -f -e trace=sendmsg -e write=all -xx -s 65536 $command 2>&1 >/dev/null |
		awk '/^ \| [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]  /{ h = substr($0, 11, 49); gsub(/ /, "", h); printf "%s", h } /bytes in buffer/{ if (n++) exit }' || true)
	[ -n "$hex" ] || { echo "capture: no request for $name" >&2; exit 1; }
	{
		echo "# ${command% }"
		echo "# $version; kernel $kernel; strace -f -e trace=sendmsg -e write=all -xx -s 65536"
		echo "$hex"
	} > "$name.txt"
	echo "$name: $(( ${#hex} / 2 )) bytes"
done
ip link del vkc0 2>/dev/null || true
