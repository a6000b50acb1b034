#!/usr/bin/env python3
"""Builds a tiny OCI image (an OCI layout tar) from Debian's /bin/busybox (busybox-static), offline:
the CRI sandbox image of the tests and bench/cri-bench.sh. Usage: mkimage.py OUT.tar NAME"""
import hashlib, io, json, os, sys, tarfile, time
out, name = sys.argv[1], sys.argv[2]
BB = "/bin/busybox"
APPLETS = ["sh", "sleep", "ip", "ping", "cat", "ls", "echo", "true", "hostname", "ifconfig", "route", "ps", "nc"]
def ti(path, typ=tarfile.REGTYPE, mode=0o755, size=0, link=""):
    t = tarfile.TarInfo(path); t.type = typ; t.mode = mode; t.size = size; t.linkname = link
    t.uid = t.gid = 0; t.uname = t.gname = "root"; t.mtime = 0; return t
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as tf:
    for d in ["bin", "dev", "etc", "proc", "sys", "tmp", "run"]:
        tf.addfile(ti(d, tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755))
    data = open(BB, "rb").read()
    tf.addfile(ti("bin/busybox", size=len(data)), io.BytesIO(data))
    for a in APPLETS:
        tf.addfile(ti("bin/" + a, tarfile.SYMTYPE, 0o777, link="busybox"))
    for f, c in [("etc/passwd", b"root:x:0:0:root:/:/bin/sh\n"), ("etc/group", b"root:x:0:\n")]:
        tf.addfile(ti(f, mode=0o644, size=len(c)), io.BytesIO(c))
layer = layer.getvalue()
def blob(b): return "sha256:" + hashlib.sha256(b).hexdigest()
config = json.dumps({
    "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
    "config": {"Env": ["PATH=/bin"], "Entrypoint": ["/bin/sleep"], "Cmd": ["infinity"], "WorkingDir": "/"},
    "rootfs": {"type": "layers", "diff_ids": [blob(layer)]},
    "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "mkimage.py (busybox-static)"}]},
    separators=(",", ":")).encode()
manifest = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": blob(layer), "size": len(layer)}]},
    separators=(",", ":")).encode()
index = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(manifest),
                   "size": len(manifest), "platform": {"architecture": "amd64", "os": "linux"},
                   "annotations": {"io.containerd.image.name": name,
                                   "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}}]},
    separators=(",", ":")).encode()
with tarfile.open(out, "w") as tf:
    def add(path, b, typ=tarfile.REGTYPE):
        t = ti(path, typ, 0o755 if typ == tarfile.DIRTYPE else 0o644, len(b) if typ == tarfile.REGTYPE else 0)
        tf.addfile(t, io.BytesIO(b) if typ == tarfile.REGTYPE else None)
    for d in ["blobs", "blobs/sha256"]: add(d, b"", tarfile.DIRTYPE)
    add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    add("index.json", index)
    for b in (layer, config, manifest): add("blobs/sha256/" + blob(b)[7:], b)
print(out, name, blob(manifest), len(layer))
