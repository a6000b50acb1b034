# scripts/podman-common.sh: sourced (not run) by the scripts that drive a real podman 4.3 (CNI
# backend) with busybox containers from a local rootfs (--rootfs: no image, no registry):
# cni-podman.sh, who-podman.sh, orphans-podman.sh. It sets HERE (scripts/) and ROOT (the
# checkout); each script then calls, in order:
#   podman_start INSIDE_VAR BINARY "COMMANDS" "CNI_PLUGINS" HINT   (outside: skip checks, re-exec
#       itself inside scripts/sandbox, or in a private mount namespace when already in one, with
#       INSIDE_VAR=1; inside: refuse to run anywhere but the sandbox)
#   podman_setup TAG WORKDIR_TEMPLATE WRAPPER_DIR(0|1)   (needs NET; sets W, P, RUN and the
#       EXIT trap; an `extra_cleanup` function, when defined, runs in the trap before W goes)
# and may use ok/bad/chk (counting into `fails`).
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(readlink -f "$HERE/..")

# Outside (INSIDE_VAR unset): root, the commands and CNI plugins needed, a static busybox, the
# binary under test; then re-exec the calling script with INSIDE_VAR=1 (never returns). Inside:
# podman_refuse_host.
podman_start() {
	local var=$1 bin=$2 commands=$3 plugins=$4 hint=$5 c p self
	[ "${!var:-}" = 1 ] && { podman_refuse_host; return; }
	self=$(readlink -f "$0")
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
	for c in $commands; do
		command -v $c >/dev/null || { echo "SKIP: missing $c (apt-get install --no-install-recommends podman busybox-static containernetworking-plugins jq)" >&2; exit 77; }
	done
	for p in $plugins; do
		[ -x /usr/lib/cni/$p ] || { echo "SKIP: missing /usr/lib/cni/$p (containernetworking-plugins)" >&2; exit 77; }
	done
	ldd "$(command -v busybox)" >/dev/null 2>&1 && { echo "SKIP: busybox is dynamic; need busybox-static" >&2; exit 77; }
	[ -x "$bin" ] || { echo "no binary $bin ($hint)" >&2; exit 1; }
	export "$var=1"
	if [ "${VETHKIT_SANDBOX:-}" = 1 ]; then
		# Already in the project's sandbox (e.g. from swift test): a private mount namespace is enough.
		exec unshare --mount --propagation private "$self" "$bin"
	fi
	exec "$ROOT/scripts/sandbox" "$self" "$bin"
}

# Inside: refuse to touch the host.
podman_refuse_host() {
	[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] || { echo "REFUSING: not in a throwaway netns" >&2; exit 99; }
	[ "$(stat -f -c %T /run/netns)" = tmpfs ] || { echo "REFUSING: /run/netns not private" >&2; exit 99; }
	[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] || { echo "REFUSING: not in a private mount ns" >&2; exit 99; }
	[ "${VETHKIT_SANDBOX:-}" = 1 ] || { echo "REFUSING: not started by scripts/sandbox" >&2; exit 99; }
	export LC_ALL=C
}

# Inside the private mount namespace: the hybrid cgroup2 mount unmounted (crun refuses hybrid
# mode), private tmpfs on /var/lib/cni (libcni cache), /dev/shm (podman's lock) and the work dir
# W (TAG names the tmpfs mounts); a busybox rootfs; containers.conf (cgroups disabled, CNI
# backend, plugins from /usr/lib/cni, after $W/plugins when WRAPPER_DIR is 1); P (podman on
# W's storage) and RUN (a container on $NET from the rootfs).
podman_setup() {
	local tag=$1 template=$2 wrapper=$3 dirs='"/usr/lib/cni"'
	if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
		[ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ]; then
		umount /sys/fs/cgroup/unified   # private mount namespace only
	fi
	made_cache=0; [ -d /var/lib/cni ] || { mkdir -p /var/lib/cni && made_cache=1; }
	mount -t tmpfs $tag-cache /var/lib/cni
	mount -t tmpfs $tag-shm /dev/shm
	W=$(mktemp -d "$template") && mount -t tmpfs $tag-work "$W" || exit 1
	P=()
	trap podman_cleanup EXIT

	mkdir -p "$W"/{rootfs/bin,rootfs/proc,rootfs/sys,rootfs/dev,rootfs/etc,rootfs/tmp,net.d,root,run,tmp,ipam}
	[ "$wrapper" = 1 ] && { mkdir -p "$W/plugins"; dirs="\"$W/plugins\", $dirs"; }
	cp "$(command -v busybox)" "$W/rootfs/bin/busybox"
	printf '%s\n' \
		'[containers]' \
		'log_driver = "k8s-file"' \
		'cgroups = "disabled"' \
		'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]' \
		'[network]' \
		'network_backend = "cni"' \
		"cni_plugin_dirs = [$dirs]" \
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
}

podman_cleanup() {
	[ ${#P[@]} -gt 0 ] && "${P[@]}" rm -a -f -t 0 >/dev/null 2>&1
	for pid in $(pgrep -x conmon); do   # only conmons of this run (their command line names $W)
		grep -qF "$W" /proc/$pid/cmdline 2>/dev/null && kill "$pid"
	done
	declare -F extra_cleanup >/dev/null && extra_cleanup
	umount "$W" 2>/dev/null; rmdir "$W" 2>/dev/null
	[ $made_cache = 1 ] && umount /var/lib/cni 2>/dev/null && rmdir /var/lib/cni 2>/dev/null
}

fails=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
chk() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
