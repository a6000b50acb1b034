#!/usr/bin/python3
"""A small CRI v1 client (kubelet's pod sandbox path) for containerd's CRI plugin, over Debian's
python3-grpcio. The stubs are generated from api.proto on first use (python3-grpc-tools) into
.gen/ next to this file (atomically: concurrent first uses are fine).

  cri.py serve          one JSON request per line on stdin, one JSON reply per line on stdout
                        (the CRI kernel tests drive it: Tests/Support/CRIClient.swift)
  cri.py bench REPS     bench/cri-bench.sh: RunPodSandbox/StopPodSandbox/RemovePodSandbox timings

Requests ({"op": ...}): version; waitnet {name, timeout}; run {name, node, ports:[{container, host,
protocol}]}; status {id}; stop {id}; remove {id}; list; par {n, prefix}; stoprm {ids}.
Replies: {"ok": true, ...} or {"ok": false, "code": "<gRPC code>", "error": "<details>"}.
CRI_SOCK (default unix:///run/containerd/containerd.sock) names the socket.
"""
import concurrent.futures as cf, json, os, sys, tempfile, time, uuid

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, ".gen")

def stubs():
    proto = os.path.join(HERE, "api.proto")
    stamp = os.path.join(GEN, "api.proto")
    if not (os.path.exists(stamp) and open(stamp).read() == open(proto).read()):
        from grpc_tools import protoc
        tmp = tempfile.mkdtemp(prefix=".gen-", dir=HERE)
        if protoc.main(["protoc", f"-I{HERE}", f"--python_out={tmp}", f"--grpc_python_out={tmp}", proto]) != 0:
            sys.exit(f"cri.py: protoc failed on {proto}")
        open(os.path.join(tmp, "api.proto"), "w").write(open(proto).read())
        old = GEN + f".old-{os.getpid()}"
        try: os.rename(GEN, old)
        except OSError: pass   # none yet, or a concurrent first use moved it
        try: os.rename(tmp, GEN)
        except OSError: pass   # a concurrent first use won
        import shutil; shutil.rmtree(old, ignore_errors=True); shutil.rmtree(tmp, ignore_errors=True)
    sys.path.insert(0, GEN)

stubs()
import grpc, api_pb2 as pb, api_pb2_grpc as pbg

SOCK = os.environ.get("CRI_SOCK", "unix:///run/containerd/containerd.sock")
T = 60  # per-call deadline, s
rt = pbg.RuntimeServiceStub(grpc.insecure_channel(SOCK))
PROTO = {"TCP": pb.TCP, "UDP": pb.UDP, "SCTP": pb.SCTP}

def ms(t0): return (time.perf_counter() - t0) * 1000

def pod_config(name, node=False, ports=()):
    mode = pb.NODE if node else pb.POD
    return pb.PodSandboxConfig(  # kubelet leaves the hostname empty for hostNetwork pods
        metadata=pb.PodSandboxMetadata(name=name, uid=str(uuid.uuid4()), namespace="default", attempt=0),
        hostname="" if node else name, labels={"app": "vethkit-cri"},
        port_mappings=[pb.PortMapping(protocol=PROTO[p.get("protocol", "TCP")], container_port=p["container"],
                                      host_port=p["host"], host_ip=p.get("hostIP", "")) for p in ports],
        linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(
            namespace_options=pb.NamespaceOption(network=mode, pid=pb.CONTAINER, ipc=pb.POD))))

def run(name, node=False, ports=()):
    t0 = time.perf_counter()
    r = rt.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_config(name, node, ports)), timeout=T)
    return r.pod_sandbox_id, ms(t0)

def stop(pid):
    t0 = time.perf_counter(); rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pid), timeout=T); return ms(t0)

def remove(pid):
    t0 = time.perf_counter(); rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pid), timeout=T); return ms(t0)

def status(pid):
    st = rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pid, verbose=True), timeout=T)
    info = json.loads(st.info.get("info", "{}"))
    netns = next((n.get("path", "") for n in (info.get("runtimeSpec", {}).get("linux", {}).get("namespaces") or [])
                  if n.get("type") == "network"), "")
    return {"state": pb.PodSandboxState.Name(st.status.state), "ip": st.status.network.ip,
            "additionalIPs": [a.ip for a in st.status.network.additional_ips], "netns": netns,
            "cniResult": info.get("cniResult")}

def networks():
    s = rt.Status(pb.StatusRequest(verbose=True), timeout=T)
    ready = any(c.type == "NetworkReady" and c.status for c in s.status.conditions)
    cc = json.loads(s.info.get("cniconfig", "{}"))
    return ready, [n.get("Config", {}).get("Name") for n in cc.get("Networks") or []]

def handle(req):
    op = req.get("op")
    if op == "version":
        v = rt.Version(pb.VersionRequest(version="v1"), timeout=T)
        return {"name": v.runtime_name, "version": v.runtime_version, "api": v.runtime_api_version}
    if op == "waitnet":  # until the CRI plugin has (re)loaded the CNI network NAME
        deadline, t0 = time.time() + float(req.get("timeout", 20)), time.perf_counter()
        while True:
            ready, names = networks()
            if ready and req["name"] in names: return {"ms": ms(t0), "networks": names}
            if time.time() > deadline:
                return {"ok": False, "code": "DEADLINE", "error": f"network {req['name']} not loaded (ready={ready}, networks={names})"}
            time.sleep(0.02)
    if op == "run":
        pid, t = run(req["name"], req.get("node", False), req.get("ports", ()))
        return {"id": pid, "ms": t}
    if op == "status": return status(req["id"])
    if op == "stop": return {"ms": stop(req["id"])}
    if op == "remove": return {"ms": remove(req["id"])}
    if op == "list":
        r = rt.ListPodSandbox(pb.ListPodSandboxRequest(), timeout=T)
        return {"items": [{"id": s.id, "name": s.metadata.name, "state": pb.PodSandboxState.Name(s.state)} for s in r.items]}
    if op == "par":  # n RunPodSandbox at once, as kubelet starts pods in parallel
        n, prefix = int(req["n"]), req.get("prefix", "pod-p")
        t0 = time.perf_counter()
        with cf.ThreadPoolExecutor(n) as ex: res = list(ex.map(lambda i: run(f"{prefix}{i}"), range(n)))
        return {"ids": [p for p, _ in res], "ms": [t for _, t in res], "wall": ms(t0)}
    if op == "stoprm":
        ids = req["ids"]
        t0 = time.perf_counter()
        with cf.ThreadPoolExecutor(max(1, len(ids))) as ex: list(ex.map(lambda p: (stop(p), remove(p)), ids))
        return {"wall": ms(t0)}
    return {"ok": False, "code": "BAD_REQUEST", "error": f"unknown op {op!r}"}

def serve():
    for line in sys.stdin:
        try:
            reply = handle(json.loads(line))
        except grpc.RpcError as e:
            reply = {"ok": False, "code": e.code().name, "error": e.details()}
        except Exception as e:  # a malformed request: say so, keep serving
            reply = {"ok": False, "code": "CLIENT", "error": f"{type(e).__name__}: {e}"}
        reply.setdefault("ok", True)
        print(json.dumps(reply), flush=True)

def bench(reps, label, node):
    """REPS cycles (+1 warm-up) of Run/Status/Stop/Remove; prints one JSON line of the raw times (ms)
    and each call's start and end (epoch s, to line them up with an strace of containerd)."""
    rows = []
    for i in range(reps + 1):
        t0 = time.time()
        pid, r = run(f"bench-{i}", node)
        t1 = time.time()
        st = status(pid)
        assert node or st["ip"], "no pod IP"
        t2 = time.time()
        p = stop(pid)
        t3 = time.time()
        d = remove(pid)
        if i: rows.append({"run": r, "stop": p, "remove": d, "id": pid, "runAt": [t0, t1], "stopAt": [t2, t3]})
    print(json.dumps({"label": label, "rows": rows}), flush=True)

if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]: serve()
    elif sys.argv[1:2] == ["bench"]: bench(int(sys.argv[2]), sys.argv[3], sys.argv[4:5] == ["node"])
    else: sys.exit(__doc__)
