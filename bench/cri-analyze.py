#!/usr/bin/python3
"""bench/cri-analyze.py OUT KERNEL LOAD: the tables of bench/cri-bench.sh from OUT/raw.jsonl (and the
trace breakdown from OUT/trace.jsonl + OUT/trace-NET.txt). Markdown on stdout."""
import json, os, re, sys
from collections import defaultdict

out, kernel, load = sys.argv[1:4]

def q25(xs):
    xs = sorted(xs)
    return float("nan") if not xs else xs[(len(xs) - 1) // 4]

def med(xs):
    xs = sorted(xs)
    n = len(xs)
    return float("nan") if n == 0 else xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2

rows = defaultdict(list)
for line in open(os.path.join(out, "raw.jsonl")):
    d = json.loads(line)
    rows[d["label"]] += d["rows"]

stub = os.environ.get("LOOPBACK") == "stub"
print(f"# containerd CRI: the CNI part of the pod sandbox calls (bench/cri-bench.sh{' LOOPBACK=stub' if stub else ''})\n")
if stub:
    print("**Experiment**: containerd's `loopback` call replaced by a /bin/sh stand-in that only prints the "
          "result (lo stays down): how much of the CNI part the loopback call is.\n")
print(f"kernel {kernel}, load at the end {load}; median of {len(rows['host'])} cycles per network, "
      "rounds alternating vethkit → bridge → hostNetwork. CNI part = the call's median minus the "
      "hostNetwork pod's median for the same call in the same run (hostNetwork: no netns, no CNI).\n")
print("| network | RunPodSandbox ms | CNI part of Run | StopPodSandbox ms | CNI part of Stop | RemovePodSandbox ms | CNI part of Run vs ref | CNI part of Stop vs ref | the same from the fastest quartile (p25): Run / Stop vs ref |")
print("|---|---|---|---|---|---|---|---|---|")
h = {k: med([r[k] for r in rows["host"]]) for k in ("run", "stop", "remove")}
h25 = {k: q25([r[k] for r in rows["host"]]) for k in ("run", "stop")}
part, part25 = {}, {}
labels = [l for l in ("vethkit", "vethkit-lo", "bridge") if rows.get(l)]
for label in labels:
    m = {k: med([r[k] for r in rows[label]]) for k in ("run", "stop", "remove")}
    part[label] = (m["run"] - h["run"], m["stop"] - h["stop"], m)
    part25[label] = tuple(q25([r[k] for r in rows[label]]) - h25[k] for k in ("run", "stop"))
names = {"vethkit": "**vethkit-cni** (static, built-in IPAM; the reference loopback)",
         "vethkit-lo": "**vethkit-cni**, and vethkit-cni as `loopback` too",
         "bridge": "bridge + host-local (ref; the reference loopback)"}
for label in labels:
    name = names[label]
    pr, ps, m = part[label]
    a, b = part25[label]
    print(f"| {name} | {m['run']:.1f} | {pr:.1f} | {m['stop']:.1f} | {ps:.1f} | {m['remove']:.1f} | "
          f"{pr / part['bridge'][0]:.2f}× | {ps / part['bridge'][1]:.2f}× | {a:.1f} / {b:.1f} ms: "
          f"{a / part25['bridge'][0]:.2f}× / {b / part25['bridge'][1]:.2f}× |")
print(f"| hostNetwork (no CNI) | {h['run']:.1f} | – | {h['stop']:.1f} | – | {h['remove']:.1f} | | | p25 {h25['run']:.1f} / {h25['stop']:.1f} |")
print()
allrun = [r["run"] for rs in rows.values() for r in rs]
print(f"Spread (all RunPodSandbox calls): min {min(allrun):.0f} ms, median {med(allrun):.0f} ms, max {max(allrun):.0f} ms — "
      "on a loaded machine the fastest quartile is the steadier estimate.\n")

# ---- the trace: where the CNI part goes ----
tpath = os.path.join(out, "trace.jsonl")
if not os.path.exists(tpath):
    sys.exit(0)
cycles = {}
for line in open(tpath):
    d = json.loads(line)
    cycles[d["label"].removeprefix("trace-")] = d["rows"]

LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
EVENTS = []  # (t, pid, text) of containerd and everything it started
for l in open(os.path.join(out, "trace.txt")):
    m = LINE.match(l)
    if m: EVENTS.append((float(m.group(2)), int(m.group(1)), m.group(3)))
PLUGINS = ("loopback", "vethkit-cni", "bridge", "host-local")

def breakdown(run_at):
    """The phases of one RunPodSandbox (the client's [t0, t1]) from containerd's syscalls, in order."""
    t0, t1 = run_at
    w = [e for e in EVENTS if t0 <= e[0] <= t1]
    execs, exits = {}, {}
    for t, pid, text in w:
        m = re.match(r'execve\("([^"]+)"', text)
        if m and (text.rstrip().endswith("= 0") or text.endswith("<unfinished ...>")):
            execs[pid] = (os.path.basename(m.group(1)), t)
        if text.startswith("+++ exited"): exits[pid] = t
    first = lambda pred: next((t for t, _, x in w if pred(x)), None)
    netns = first(lambda x: x.startswith("unshare(CLONE_NEWNET"))
    bound = first(lambda x: x.startswith("mount(") and "/netns/cni-" in x)
    spans = {}
    for pid, (name, start) in execs.items():
        if name in PLUGINS and pid in exits: spans.setdefault(name, []).append(exits[pid] - start)
    starts = [s for pid, (n, s) in execs.items() if n in PLUGINS]
    ends = [exits[pid] for pid, (n, s) in execs.items() if n in PLUGINS and pid in exits]
    shim = min((s for n, s in execs.values() if n.startswith("containerd-shim")), default=None)
    if None in (netns, bound, shim) or not starts or not ends: return None
    r = {"RunPodSandbox total": t1 - t0,
         "[containerd] request → unshare(CLONE_NEWNET)": netns - t0,
         "[containerd] netns: unshare → bind mount done": bound - netns,
         "[containerd/go-cni/libcni] netns ready → first plugin exec": min(starts) - bound}
    for name, xs in spans.items(): r[f"[plugin] {name}: exec → exit (each call)"] = sum(xs) / len(xs)
    r["[plugins] first exec → last exit (loopback ‖ the network, in parallel)"] = max(ends) - min(starts)
    r["[containerd] last plugin exit → sandbox shim exec (results parsed and cached, container made)"] = shim - max(ends)
    r["[containerd] shim exec → RunPodSandbox returns"] = t1 - shim
    r["= netns created → last plugin exit"] = max(ends) - netns
    return {k: v * 1000 for k, v in r.items()}

print("## Where the CNI part of RunPodSandbox goes (strace -f --seccomp-bpf -ttt of containerd, traced run)\n")
print("Only execve, unshare, mount and umount2 are traced (seccomp-bpf: nothing else stops), so a "
      "plugin is stopped only at its exec; containerd's Go runtime still runs slower traced. Median over "
      "the traced cycles, ms.\n")
tables = {}
for net in ("vknet", "brnet"):
    per = [b for b in (breakdown(c["runAt"]) for c in cycles.get(net, [])) if b]
    keys = []
    for p in per:
        keys += [k for k in p if k not in keys]
    tables[net] = ({k: med([p[k] for p in per if k in p]) for k in keys}, len(per))
keys = []
for t, _ in tables.values(): keys += [k for k in t if k not in keys]
print(f"| phase | vethkit-cni (n={tables['vknet'][1]}) | bridge + host-local (n={tables['brnet'][1]}) |")
print("|---|---|---|")
for k in keys:
    cell = lambda net: f"{tables[net][0][k]:.2f}" if k in tables[net][0] else "–"
    print(f"| {k} | {cell('vknet')} | {cell('brnet')} |")
print()

# ---- the plugins on their own (no containerd), untraced ----
spath = os.path.join(out, "standalone.txt")
if os.path.exists(spath):
    runs = {}
    for l in open(spath):
        f = l.split()
        if len(f) == 4: runs[(f[0], f[1])] = (float(f[2]), float(f[3]))
    print("## The same plugin calls without containerd (untraced, in the sandbox's host namespace)\n")
    print("One process per call from bash (fork + exec included), a fresh namespace per attachment, as libcni "
          "calls them; mean ms per call, wall and CPU (user + sys of the plugin processes, less sensitive to "
          "the machine's load).\n")
    print("| call | ADD wall | ADD cpu | DEL wall | DEL cpu |")
    print("|---|---|---|---|---|")
    for name, title in (("loopback", "loopback (Go; containerd's CRI runs it for every pod)"),
                        ("vethkit-lo", "vethkit-cni as loopback (`\"type\": \"loopback\"`)"), ("vethkit-cni", "vethkit-cni (static)"),
                        ("bridge", "bridge (+ the host-local it execs)")):
        a, d = runs.get((name, "ADD"), (0, 0)), runs.get((name, "DEL"), (0, 0))
        print(f"| {title} | {a[0]:.2f} | {a[1]:.2f} | {d[0]:.2f} | {d[1]:.2f} |")
    for (name, verb), (w, c) in runs.items():
        if verb in ("VERSION", "-"):
            print(f"| {name} {verb if verb != '-' else ''} (start-up floor) | {w:.2f} | {c:.2f} | | |")
    print()

# ---- reading: what is ours, what is containerd's ----
if "vknet" in tables and tables["vknet"][1] and not stub:   # the floor estimate assumes the real loopback
    t = tables["vknet"][0]
    g = lambda k: t.get(k, 0.0)
    window = g("= netns created → last plugin exit")
    ours_extra = max(0.0, g("[plugins] first exec → last exit (loopback ‖ the network, in parallel)") - g("[plugin] loopback: exec → exit (each call)"))
    theirs = window - ours_extra
    pr = part["vethkit"][0]
    floor = pr * theirs / window if window else float("nan")
    print("## Reading: what is ours, what is containerd's\n")
    print(f"- containerd's, in the traced window netns → last plugin exit of {window:.1f} ms: netns creation "
          f"{g('[containerd] netns: unshare → bind mount done'):.1f} ms, go-cni/libcni from the "
          f"netns to the first plugin exec {g('[containerd/go-cni/libcni] netns ready → first plugin exec'):.1f} ms, the "
          f"`loopback` plugin it runs for every pod {g('[plugin] loopback: exec → exit (each call)'):.1f} ms "
          f"(in parallel with the network's plugin); then parsing and caching the results and making the "
          f"sandbox container, {g('[containerd] last plugin exit → sandbox shim exec (results parsed and cached, container made)'):.1f} ms "
          "(partly also in a hostNetwork pod's call).")
    print(f"- ours: vethkit-cni's exec → exit {g('[plugin] vethkit-cni: exec → exit (each call)'):.1f} ms; it adds "
          f"{ours_extra:.1f} ms to the window beyond loopback's own time (the two run in parallel; on 2 shared "
          "cores they often run one after the other). Its own cost, without containerd, is in the table above "
          "(ADD wall and CPU next to loopback's).")
    print(f"- If vethkit-cni's ADD were hidden entirely behind loopback, the CNI part of RunPodSandbox "
          f"would be about {floor:.1f} ms (the untraced {pr:.1f} ms scaled by containerd's share of the traced "
          f"window) = {floor / part['bridge'][0]:.2f}× the reference's {part['bridge'][0]:.1f} ms: the floor a network "
          "plugin alone can reach under containerd 1.6. Below it only the other parts can go: a faster "
          "`loopback` in bin_dir (bringing `lo` up is one netlink request), or containerd itself.")
    print(f"- StopPodSandbox: DEL of loopback ‖ the network, then the netns is removed; vethkit-cni's DEL is "
          "dominated by the kernel's link deletion (an RCU grace period, ~16 ms on an idle machine), which "
          "bridge's DEL pays too.")
    print()
