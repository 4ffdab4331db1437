#!/usr/bin/env python3
"""Builds a small OCI image archive from Debian's busybox-static, with no registry and no engine.

    mkimage.py OUT.tar [NAME] [CMD-JSON]

MKIMAGE_EXTRA_LAYERS=N adds N small layers on top, layer i holding /layers/i (many-layer rootfs tests).
The archive is an OCI image layout (oci-layout, index.json, blobs/sha256/...) that
`ctr images import` accepts; the image is named by the `io.containerd.image.name` annotation.
Output is byte-for-byte deterministic for the same busybox binary and arguments.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

BUSYBOX = os.environ.get("BUSYBOX", "/bin/busybox")
DEFAULT_NAME = "docker.io/library/busybox-local:latest"
DEFAULT_CMD = ["/bin/sh"]


def add_dir(tar, name, mode=0o755):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    tar.addfile(info)


def add_file(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def add_symlink(tar, name, target):
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    info.mode = 0o777
    tar.addfile(info)


def layer_bytes():
    with open(BUSYBOX, "rb") as f:
        busybox = f.read()
    applets = subprocess.run([BUSYBOX, "--list-full"], check=True, capture_output=True, text=True).stdout.split()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for d in ["bin", "dev", "etc", "proc", "root", "sbin", "sys", "tmp", "usr", "usr/bin", "usr/sbin", "var"]:
            add_dir(tar, d, 0o1777 if d == "tmp" else 0o755)
        add_file(tar, "bin/busybox", busybox, 0o755)
        for path in sorted(set(applets)):
            if path == "bin/busybox" or "/" not in path:
                continue
            depth = path.count("/")
            add_symlink(tar, path, "../" * (depth - 1) + "bin/busybox" if depth > 1 else "busybox")
        add_file(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
        add_file(tar, "etc/group", b"root:x:0:\nnogroup:x:65534:\n")
        add_file(tar, "etc/hostname", b"busybox\n")
    return buf.getvalue()


def extra_layer_bytes(index):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        add_dir(tar, "layers")
        add_file(tar, f"layers/{index}", f"{index}\n".encode())
    return buf.getvalue()


def blob(blobs, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return digest


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: mkimage.py OUT.tar [NAME] [CMD-JSON]")
    out = argv[1]
    name = argv[2] if len(argv) > 2 else DEFAULT_NAME
    cmd = json.loads(argv[3]) if len(argv) > 3 else DEFAULT_CMD
    blobs = {}
    layers = [layer_bytes()] + [extra_layer_bytes(i) for i in range(1, int(os.environ.get("MKIMAGE_EXTRA_LAYERS", "0")) + 1)]
    digests = [blob(blobs, layer) for layer in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": cmd, "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": digests},
    }
    config_bytes = canonical(config)
    config_digest = blob(blobs, config_bytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": len(config_bytes),
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": len(layer)}
            for digest, layer in zip(digests, layers)
        ],
    }
    manifest_bytes = canonical(manifest)
    manifest_digest = blob(blobs, manifest_bytes)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": len(manifest_bytes),
                "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name},
                "platform": {"architecture": "amd64", "os": "linux"},
            }
        ],
    }
    with tarfile.open(out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        add_file(tar, "oci-layout", canonical({"imageLayoutVersion": "1.0.0"}))
        add_file(tar, "index.json", canonical(index))
        add_dir(tar, "blobs")
        add_dir(tar, "blobs/sha256")
        for digest in sorted(blobs):
            add_file(tar, "blobs/sha256/" + digest.split(":", 1)[1], blobs[digest])
    print(f"{out}: {name} {manifest_digest}")


if __name__ == "__main__":
    main(sys.argv)
