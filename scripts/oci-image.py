#!/usr/bin/env python3
"""Builds an OCI image archive from files on this machine, with no registry and no container engine.

    oci-image.py OUT.tar NAME --entrypoint JSON [--cmd JSON] [--env K=V]... [--workdir DIR] [--arch ARCH]
                 [--with-libraries] [--symlink PATH=TARGET]... SRC=DEST...
    oci-image.py index OUT.tar NAME IMAGE.tar...
    oci-image.py busybox OUT.tar [NAME] [CMD-JSON] [--extra-layers N]

The second form merges single-platform archives of the first form (one per architecture) into one archive whose
index.json names an OCI image index (application/vnd.oci.image.index.v1+json) listing each platform's manifest:
what a registry serves for a multi-architecture tag, and what `ctr images import` resolves for the local platform.

Each SRC=DEST puts a file (or a directory, recursively) at the absolute path DEST in the image; files keep
their permission bits, everything is owned by root with mtime 0, entries are sorted. --with-libraries adds,
for every dynamically linked ELF file given, the shared libraries and loader that `ldd` names, at the same
paths (Swift release binaries still need glibc and libstdc++). The result is one uncompressed layer in an
OCI image layout tar (oci-layout, index.json, blobs/sha256/...) that `ctr images import` accepts; the image
is named by the `io.containerd.image.name` annotation. Same inputs, same bytes.

The third form is the end-to-end tests' image (integration/harness.sh): Debian's busybox-static ($BUSYBOX,
default /bin/busybox) with its applets as symlinks, a passwd and group, Cmd CMD-JSON (default ["/bin/sh"]), named
docker.io/library/busybox-local:latest unless NAME is given; --extra-layers N (or MKIMAGE_EXTRA_LAYERS=N) stacks N
small layers on top, layer i holding /layers/i, for many-layer rootfs tests. This one script builds every image
of the project: the node installation image (`make images`), the controller image and the test image.
"""

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def tar_info(name, kind, mode):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = 0
    return info


class Layer:
    """Files by image path; parent directories are added implicitly."""

    def __init__(self):
        self.entries = {}

    def add_directory(self, path, mode=0o755):
        path = path.strip("/")
        if path and path not in self.entries:
            self.add_directory(os.path.dirname(path))
            self.entries[path] = ("dir", mode, None)

    def add_file(self, path, data, mode):
        path = path.strip("/")
        self.add_directory(os.path.dirname(path))
        self.entries[path] = ("file", mode, data)

    def add_symlink(self, path, target):
        path = path.strip("/")
        self.add_directory(os.path.dirname(path))
        self.entries[path] = ("symlink", 0o777, target)

    def add_host_path(self, source, dest):
        if os.path.isdir(source) and not os.path.islink(source):
            self.add_directory(dest, os.stat(source).st_mode & 0o7777)
            for name in sorted(os.listdir(source)):
                self.add_host_path(os.path.join(source, name), dest.rstrip("/") + "/" + name)
        elif os.path.islink(source):
            self.add_symlink(dest, os.readlink(source))
        else:
            with open(source, "rb") as f:
                self.add_file(dest, f.read(), os.stat(source).st_mode & 0o7777)

    def tar_bytes(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(self.entries):
                kind, mode, payload = self.entries[path]
                if kind == "dir":
                    tar.addfile(tar_info(path, tarfile.DIRTYPE, mode))
                elif kind == "symlink":
                    info = tar_info(path, tarfile.SYMTYPE, mode)
                    info.linkname = payload
                    tar.addfile(info)
                else:
                    info = tar_info(path, tarfile.REGTYPE, mode)
                    info.size = len(payload)
                    tar.addfile(info, io.BytesIO(payload))
        return buf.getvalue()


def shared_libraries(path):
    """Absolute paths of the libraries and loader `ldd` lists; empty for static binaries and non-ELF files."""
    with open(path, "rb") as f:
        if f.read(4) != b"\x7fELF":
            return []
    result = subprocess.run(["ldd", path], capture_output=True, text=True)
    if result.returncode != 0:  # "not a dynamic executable"
        return []
    libraries = []
    for line in result.stdout.splitlines():
        fields = line.split()
        if "=>" in fields and fields.index("=>") + 1 < len(fields) and fields[fields.index("=>") + 1].startswith("/"):
            libraries.append(fields[fields.index("=>") + 1])
        elif fields and fields[0].startswith("/"):
            libraries.append(fields[0])
    return libraries


def write_layout(out, index, blobs):
    outer = Layer()
    outer.add_file("oci-layout", canonical({"imageLayoutVersion": "1.0.0"}), 0o644)
    outer.add_file("index.json", canonical(index), 0o644)
    for digest, data in sorted(blobs.items()):
        outer.add_file("blobs/sha256/" + digest.split(":", 1)[1], data, 0o644)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    temporary = out + ".tmp"
    with open(temporary, "wb") as f:
        f.write(outer.tar_bytes())
    os.replace(temporary, out)


def read_layout(path):
    """index.json and the blobs of an archive written by this script."""
    with tarfile.open(path) as archive:
        index = json.loads(archive.extractfile("index.json").read())
        blobs = {}
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith("blobs/sha256/"):
                blobs["sha256:" + member.name.rsplit("/", 1)[1]] = archive.extractfile(member).read()
    return index, blobs


def build_index(out, name, images):
    blobs = {}
    manifests = []
    platforms = set()
    for image in images:
        index, image_blobs = read_layout(image)
        for entry in index["manifests"]:
            if entry["mediaType"] != "application/vnd.oci.image.manifest.v1+json":
                sys.exit(f"oci-image index: {image}: expected single-platform image manifests")
            platform = (entry["platform"]["os"], entry["platform"]["architecture"])
            if platform in platforms:
                sys.exit(f"oci-image index: {image}: platform {platform[0]}/{platform[1]} given twice")
            platforms.add(platform)
            manifests.append({key: entry[key] for key in ("mediaType", "digest", "size", "platform")})
        blobs.update(image_blobs)
    manifests.sort(key=lambda entry: (entry["platform"]["os"], entry["platform"]["architecture"]))
    image_index = canonical({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    })
    digest = "sha256:" + hashlib.sha256(image_index).hexdigest()
    blobs[digest] = image_index
    write_layout(out, {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": digest,
            "size": len(image_index),
            "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name},
        }],
    }, blobs)
    return digest


def build(out, name, layers, entrypoint, cmd, env, workdir, arch="amd64"):
    """Writes a single-platform image of LAYERS (bottom first); a None entrypoint or cmd is left out."""
    blobs = {}

    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return digest

    layer_data = [layer.tar_bytes() for layer in layers]
    layer_digests = [blob(data) for data in layer_data]
    config = {
        "architecture": arch,
        "os": "linux",
        "config": {"Entrypoint": entrypoint, "Cmd": cmd, "Env": env, "WorkingDir": workdir},
        "rootfs": {"type": "layers", "diff_ids": layer_digests},
    }
    for key, value in (("Entrypoint", entrypoint), ("Cmd", cmd)):
        if value is None:
            del config["config"][key]
    config_bytes = canonical(config)
    config_digest = blob(config_bytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                   "size": len(config_bytes)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": len(data)}
                   for digest, data in zip(layer_digests, layer_data)],
    }
    manifest_bytes = canonical(manifest)
    manifest_digest = blob(manifest_bytes)
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": len(manifest_bytes),
            "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name},
            "platform": {"architecture": arch, "os": "linux"},
        }],
    }
    write_layout(out, index, blobs)
    return manifest_digest


BUSYBOX_DIRECTORIES = ["bin", "dev", "etc", "proc", "root", "sbin", "sys", "tmp", "usr", "usr/bin", "usr/sbin", "var"]


def busybox_layers(busybox, extra_layers):
    """busybox-static with an applet symlink per `busybox --list-full` path, then EXTRA_LAYERS one-file layers."""
    base = Layer()
    for directory in BUSYBOX_DIRECTORIES:
        base.add_directory(directory, 0o1777 if directory == "tmp" else 0o755)
    with open(busybox, "rb") as f:
        base.add_file("bin/busybox", f.read(), 0o755)
    applets = subprocess.run([busybox, "--list-full"], check=True, capture_output=True, text=True).stdout.split()
    for path in sorted(set(applets)):
        if path == "bin/busybox" or "/" not in path:
            continue
        depth = path.count("/")
        base.add_symlink(path, "../" * (depth - 1) + "bin/busybox" if depth > 1 else "busybox")
    base.add_file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n", 0o644)
    base.add_file("etc/group", b"root:x:0:\nnogroup:x:65534:\n", 0o644)
    base.add_file("etc/hostname", b"busybox\n", 0o644)
    layers = [base]
    for index in range(1, extra_layers + 1):
        layer = Layer()
        layer.add_file(f"layers/{index}", f"{index}\n".encode(), 0o644)
        layers.append(layer)
    return layers


def busybox_main(argv):
    parser = argparse.ArgumentParser(prog="oci-image.py busybox")
    parser.add_argument("out")
    parser.add_argument("name", nargs="?", default="docker.io/library/busybox-local:latest")
    parser.add_argument("cmd", nargs="?", default='["/bin/sh"]', help="JSON array")
    parser.add_argument("--extra-layers", type=int, default=int(os.environ.get("MKIMAGE_EXTRA_LAYERS", "0")))
    args = parser.parse_args(argv)
    layers = busybox_layers(os.environ.get("BUSYBOX", "/bin/busybox"), args.extra_layers)
    digest = build(args.out, args.name, layers, None, json_array(args.cmd, "CMD-JSON"),
                   ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "/")
    print(f"{args.out}: {args.name} {digest}")


def json_array(text, option):
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        sys.exit(f"oci-image: {option} must be a JSON array of strings, got {text}")
    return value


def main(argv):
    if len(argv) > 1 and argv[1] == "busybox":
        busybox_main(argv[2:])
        return
    if len(argv) > 1 and argv[1] == "index":
        if len(argv) < 5:
            sys.exit("usage: oci-image.py index OUT.tar NAME IMAGE.tar...")
        digest = build_index(argv[2], argv[3], argv[4:])
        print(f"{argv[2]}: {argv[3]} {digest} (image index)")
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("name")
    parser.add_argument("--entrypoint", required=True, help="JSON array")
    parser.add_argument("--cmd", help="JSON array")
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("--workdir", default="/")
    parser.add_argument("--arch", default="amd64", help="GOARCH-style architecture (amd64, arm64)")
    parser.add_argument("--with-libraries", action="store_true")
    parser.add_argument("--symlink", action="append", default=[], metavar="PATH=TARGET")
    parser.add_argument("entries", nargs="+", metavar="SRC=DEST")
    args = parser.parse_args(argv[1:])

    layer = Layer()
    libraries = set()
    for entry in args.entries:
        source, sep, dest = entry.partition("=")
        if not sep or not dest.startswith("/"):
            sys.exit(f"oci-image: {entry!r}: expected SRC=/absolute/dest")
        if not os.path.exists(source):
            sys.exit(f"oci-image: {source}: no such file or directory")
        layer.add_host_path(source, dest)
        if args.with_libraries and os.path.isfile(source):
            libraries.update(shared_libraries(source))
    for library in sorted(libraries):
        layer.add_file(library, open(os.path.realpath(library), "rb").read(), 0o755)
    for link in args.symlink:
        path, sep, target = link.partition("=")
        if not sep or not path.startswith("/"):
            sys.exit(f"oci-image: --symlink {link!r}: expected /path=target")
        layer.add_symlink(path, target)
    env = args.env or ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    cmd = json_array(args.cmd, "--cmd") if args.cmd else None
    digest = build(
        args.out, args.name, [layer], json_array(args.entrypoint, "--entrypoint"), cmd, env, args.workdir, args.arch)
    print(f"{args.out}: {args.name} {digest}")


if __name__ == "__main__":
    main(sys.argv)
