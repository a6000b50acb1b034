#!/usr/bin/env python3
# Times each plugin exec (fork + exec + wait) as a runtime runs it: vethkit-cni vs bridge + host-local.
import os, subprocess, time, statistics, sys, shutil, json
# bench/cni-exec-times.py (run by bench/cni-phases.sh inside scripts/sandbox; BIN, DATA, N from the environment)
N = int(os.environ.get("N", "30"))
BIN = os.environ["BIN"]
D = "/run/vethkit/cni-exec-times"
shutil.rmtree(D, ignore_errors=True); os.makedirs(D + "/bin")
shutil.copy(BIN, D + "/bin/vethkit-cni")
for p in ("bridge", "host-local", "loopback"): shutil.copy("/usr/lib/cni/" + p, D + "/bin/" + p)
def cfg(t, ipam, name, br, net):
    return json.dumps({"cniVersion": "1.0.0", "name": name, "type": t, "bridge": br, "isGateway": True,
        "ipam": {"type": ipam, "dataDir": os.environ.get("DATA", D + "/data"), "ranges": [[{"subnet": net + ".0/24", "gateway": net + ".1"}]], "routes": [{"dst": "0.0.0.0/0"}]}}).encode()
NETS = {"vethkit-cni": cfg("vethkit-cni", "vethkit", "vkp", "vkc0", "10.88.0"), "bridge": cfg("bridge", "host-local", "brp", "brc0", "10.90.0")}
def env(cmd, k):
    cid = "%064x" % k
    return {"CNI_COMMAND": cmd, "CNI_CONTAINERID": cid, "CNI_NETNS": "/var/run/netns/cni-%d" % k, "CNI_IFNAME": "eth0",
            "CNI_PATH": D + "/bin", "PATH": "/usr/sbin:/usr/bin:/bin",
            "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p%d;K8S_POD_INFRA_CONTAINER_ID=%s;K8S_POD_UID=u%d" % (k, cid, k)}
def run(plugin, cmd, k):
    t0 = time.perf_counter()
    r = subprocess.run([D + "/bin/" + plugin], input=NETS[plugin], env=env(cmd, k), capture_output=True)
    t = time.perf_counter() - t0
    if r.returncode != 0: sys.exit("%s %s %d failed: %s" % (plugin, cmd, k, r.stdout))
    return t * 1000
def ns(k): subprocess.run(["ip", "netns", "add", "cni-%d" % k], check=True)
res = {}
for plugin, base in (("vethkit-cni", 1000), ("bridge", 3000)):
    ns(base); run(plugin, "ADD", base)   # warm-up: the bridge exists
for rnd in range(3):
    for plugin, base in (("vethkit-cni", 1000), ("bridge", 3000)):
        ks = [base + 1 + rnd * 100 + i for i in range(N // 3)]
        for k in ks: ns(k)
        for k in ks: res.setdefault((plugin, "ADD"), []).append(run(plugin, "ADD", k))
        for k in ks: res.setdefault((plugin, "DEL"), []).append(run(plugin, "DEL", k))
        for k in ks: subprocess.run(["ip", "netns", "del", "cni-%d" % k])
v = []
for i in range(N):
    t0 = time.perf_counter(); subprocess.run([D + "/bin/vethkit-cni"], input=b"", env={"CNI_COMMAND": "VERSION"}, capture_output=True); v.append((time.perf_counter() - t0) * 1000)
t = []
for i in range(N):
    t0 = time.perf_counter(); subprocess.run(["/bin/true"], capture_output=True); t.append((time.perf_counter() - t0) * 1000)
for (p, c), xs in sorted(res.items()):
    xs.sort(); print("%-12s %s  median %.2f ms  mean %.2f  p90 %.2f  (min %.2f, n=%d)" % (p, c, statistics.median(xs), statistics.mean(xs), xs[int(len(xs)*0.9)], xs[0], len(xs)))
print("vethkit-cni VERSION median %.2f ms; /bin/true median %.2f ms" % (statistics.median(v), statistics.median(t)))
for k in (1000, 3000): subprocess.run(["ip", "netns", "del", "cni-%d" % k])
