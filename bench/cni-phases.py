# bench/cni-phases.py DIR: phases of vethkit-cni ADD/DEL from strace -ttt -T files (DIR/ADD-k, DIR/DEL-k)
import sys, os, re, statistics
d = sys.argv[1]
def parse(p):
    ev = []
    for line in open(p):
        m = re.match(r'(\d+)\s+(\d+\.\d+) (\w+)\((.*)', line)
        if m: ev.append((float(m.group(2)) * 1000, m.group(3), m.group(4)))
    return ev
def first(ev, name, pat="", after=0.0):
    for t, n, a in ev:
        if n == name and pat in a and t >= after: return t
    return None
phases = {}
for f in sorted(os.listdir(d)):
    cmd = f.split("-")[0]
    ev = parse(os.path.join(d, f))
    t0 = ev[0][0]
    end = [t for t, n, a in ev if n == "exit_group"][-1]
    marks = []
    if cmd == "ADD":
        m = [("start-up (execve → stdin read)", first(ev, "read", "0, ")),
             ("environment, configuration, CNI_NETNS checks", first(ev, "openat", '"/"')),
             ("IPAM store: walk, lock, boot id, marker + record, reserve, hint, unlock", first(ev, "flock", "LOCK_UN")),
             ("bridge lookup + veth pair created in CNI_NETNS (RTM_NEWLINK)", first(ev, "clone3")),
             ("rtnetlink socket inside CNI_NETNS (thread + setns)", first(ev, "sendto", "", first(ev, "setns") or 0)),
             ("container side: up, address, route (one batch) + gateway, sysctl, wait running", first(ev, "write", "1, ")),
             ("result written → exit", end)]
    else:
        m = [("start-up (execve → stdin read)", first(ev, "read", "0, ")),
             ("environment, configuration", first(ev, "sendto")),
             ("host veth lookup + delete (RTM_DELLINK)", first(ev, "openat", '"/"')),
             ("IPAM store: release", first(ev, "flock", "LOCK_UN")),
             ("→ exit", end)]
    prev = t0
    for name, t in m:
        if t is None: continue
        phases.setdefault((cmd, name), []).append(t - prev); prev = t
    phases.setdefault((cmd, "total (traced)"), []).append(end - t0)
order = []
for k in phases:
    if k not in order: order.append(k)
for cmd in ("ADD", "DEL"):
    print("| %s phase | median ms | max ms |" % cmd); print("|---|---|---|")
    for k in order:
        if k[0] == cmd: print("| %s | %.2f | %.2f |" % (k[1], statistics.median(phases[k]), max(phases[k])))
    print()
